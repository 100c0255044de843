"""Recurrent layers that ONNX's RNN/LSTM/GRU operators cannot express, as one ``Scan`` a direction of a
layer, its body one step of the cell written in plain operators:

    xp = x W_ih^T (+ b_ih + b_hh)          all steps at once, before the Scan     (T, N, G*H)
    mask_t = t < length                    (T, N, 1) bool, every step when no lengths are given
    body (state, xp_t, mask_t):  new = step(state, xp_t);  state' = where(mask_t, new, state)
                                 y_t = where(mask_t, h_new, 0)
    the reverse direction scans xp and the mask backwards and writes y back in time order

Steps (the cells' own docstrings give the equations):

    lstm with projections   a = xp_t + h W_hh^T; i, f, g, o; c' = f c + i g; h' = (o tanh c') W_hr^T
    ln_lstm                 a = LN(xp_t; gx) + LN(h W_hh^T; gh, b); c' = f c + i g;
                            h' = o tanh(LN(c'; gc, bc))            (LN: LayerNormalization, eps 1e-5)
    ln_gru                  ax = LN(xp_t; gx, bx); ah = LN(h W_hh^T; gh, bh); r, z; n = tanh(ax_n + r ah_n);
                            h' = (1 - z) n + z h
"""

from __future__ import annotations

import numpy as np

__all__ = ["SCANNED", "scan_nodes"]

SCANNED = ("ln_lstm", "ln_gru")  # and "lstm" with projections


class _Body:
    """The nodes of one Scan body, their value names under one prefix."""

    def __init__(self, graph, prefix: str) -> None:
        from onnx import helper

        self.graph, self.p, self.nodes, self.helper = graph, prefix, [], helper

    def __call__(self, op: str, inputs: list[str], output: str, **attrs) -> str:
        self.nodes.append(self.helper.make_node(op, inputs, [f"{self.p}_{output}"], **attrs))
        return f"{self.p}_{output}"

    def split(self, v: str, sizes: list[int], names: list[str]) -> list[str]:
        outs = [f"{self.p}_{n}" for n in names]
        self.nodes.append(self.helper.make_node("Split", [v, self.graph.int64s(f"split_{'_'.join(map(str, sizes))}",
                                                                               sizes)], outs, axis=1))
        return outs

    def layer_norm(self, v: str, gain: str, shift: str, output: str) -> str:
        return self("LayerNormalization", [v, gain, shift], output, axis=-1, epsilon=1e-5)


def _lstm_gates(b: _Body, a: str, H: int) -> tuple[str, str, str, str]:
    ai, af, ag, ao = b.split(a, [H] * 4, ["ai", "af", "ag", "ao"])
    return b("Sigmoid", [ai], "i"), b("Sigmoid", [af], "f"), b("Tanh", [ag], "g"), b("Sigmoid", [ao], "o")


def _step(graph, layer, b: _Body, w: dict[str, str], states: list[str], xp: str) -> list[str]:
    """The new state (h', [c']) of one step of ``layer``'s cell in body ``b``."""
    H = layer.hidden_size
    hp = b("MatMul", [states[0], w["W_hh_t"]], "hp")
    if layer.mode == "ln_gru":
        ax = b.layer_norm(xp, w["ln_ih_weight"], w["ln_ih_bias"], "ax")
        ah = b.layer_norm(hp, w["ln_hh_weight"], w["ln_hh_bias"], "ah")
        xr, xz, xn = b.split(ax, [H] * 3, ["xr", "xz", "xn"])
        hr, hz, hn = b.split(ah, [H] * 3, ["hr", "hz", "hn"])
        r = b("Sigmoid", [b("Add", [xr, hr], "ar")], "r")
        z = b("Sigmoid", [b("Add", [xz, hz], "az")], "z")
        n = b("Tanh", [b("Add", [xn, b("Mul", [r, hn], "rhn")], "an")], "n")
        keep = b("Mul", [z, states[0]], "zh")
        one = graph.constant("one_f", np.array(1.0))
        return [b("Add", [b("Mul", [b("Sub", [one, z], "1mz"), n], "zn"), keep], "h_new")]
    if layer.mode == "ln_lstm":
        no_shift = graph.constant(f"zeros_{4 * H}", np.zeros(4 * H))  # the shift is b, on the other norm
        a = b("Add", [b.layer_norm(xp, w["ln_ih_weight"], no_shift, "xn"),
                      b.layer_norm(hp, w["ln_hh_weight"], w["ln_bias"], "hn")], "a")
    else:
        a = b("Add", [xp, hp], "a")
    i, f, g, o = _lstm_gates(b, a, H)
    c = b("Add", [b("Mul", [f, states[1]], "fc"), b("Mul", [i, g], "ig")], "c_new")
    u = b.layer_norm(c, w["ln_c_weight"], w["ln_c_bias"], "u") if layer.mode == "ln_lstm" else c
    m = b("Mul", [o, b("Tanh", [u], "tu")], "m")
    h = b("MatMul", [m, w["W_hr_t"]], "h_new") if layer.proj_size else m
    return [h, c]


def scan_nodes(graph, layer, x: str, state, prefix: str, lengths: str | None):
    """Add ``layer``'s Scans to ``graph`` reading ``x`` (T, N, D), ``state`` (names of (L*D_dir, N, w)
    arrays, or None for zeros) and ``lengths`` (an int32 (N,) name, or None); returns as
    ``export.recurrent.recurrent_nodes`` (the output's name, the final states' names)."""
    from onnx import TensorProto, helper

    H, L, dirs = layer.hidden_size, layer.num_layers, layer.num_directions
    widths = layer.state_widths()
    params = layer.state_dict()
    zero, axis0 = graph.int64s("zero1", [0]), graph.int64s("axis0", [0])
    T = graph.node("Shape", [x], f"{prefix}_T", start=0, end=1)
    N = graph.node("Shape", [x], f"{prefix}_N", start=1, end=2)
    steps = graph.node("Range", [graph.constant("zero", np.array(0, np.int64)), graph.node("Squeeze", [T, zero],
                       f"{prefix}_T0"), graph.constant("one", np.array(1, np.int64))], f"{prefix}_steps")
    if lengths is None:
        mask = graph.node("Less", [graph.node("Unsqueeze", [steps, graph.int64s("axis1", [1])], f"{prefix}_col"),
                                   graph.node("Unsqueeze", [T, zero], f"{prefix}_T_row")], f"{prefix}_mask2")
        mask = graph.node("Expand", [mask, graph.node("Concat", [T, N], f"{prefix}_TN", axis=0)], f"{prefix}_maskTN")
    else:
        lengths64 = graph.node("Cast", [lengths], f"{prefix}_lengths64", to=TensorProto.INT64)
        mask = graph.node("Less", [graph.node("Unsqueeze", [steps, graph.int64s("axis1", [1])], f"{prefix}_col"),
                                   graph.node("Unsqueeze", [lengths64, zero], f"{prefix}_row")], f"{prefix}_maskTN")
    mask = graph.node("Unsqueeze", [mask, graph.int64s("axis2", [2])], f"{prefix}_mask")  # (T, N, 1) bool
    zeros = [graph.node("ConstantOfShape", [graph.node("Concat", [N, graph.int64s(f"width_{w}", [w])],
                                                        f"{prefix}_zshape{i}", axis=0)], f"{prefix}_zeros{i}",
                        value=helper.make_tensor("z", TensorProto.FLOAT, [1], [0.0])) for i, w in enumerate(widths)]
    finals: list[list[str]] = [[] for _ in widths]
    for k in range(L):
        ys = []
        for d, sfx in enumerate([f"_l{k}", f"_l{k}_reverse"][:dirs]):
            name = f"{prefix}{sfx}"
            W_ih = params[f"weight_ih{sfx}"]
            xp = graph.node("MatMul", [x, graph.constant(f"{name}_W_ih_t", W_ih.T)], f"{name}_xw")
            if layer.bias:
                xp = graph.node("Add", [xp, graph.constant(f"{name}_b", params[f"bias_ih{sfx}"] + params[f"bias_hh{sfx}"])],
                                f"{name}_xp")
            w = {"W_hh_t": graph.constant(f"{name}_W_hh_t", params[f"weight_hh{sfx}"].T)}
            if layer.proj_size:
                w["W_hr_t"] = graph.constant(f"{name}_W_hr_t", params[f"weight_hr{sfx}"].T)
            for n in layer.kernel.step_params:
                w[n] = graph.constant(f"{name}_{n}", params[f"{n}{sfx}"])
            if state is None:
                inits = zeros
            else:
                at = k * dirs + d
                inits = [graph.node("Squeeze", [graph.node("Slice", [s, graph.int64s(f"{name}_start", [at]),
                                                                    graph.int64s(f"{name}_end", [at + 1]), axis0],
                                                           f"{name}_init{i}_3d"), axis0], f"{name}_init{i}")
                         for i, s in enumerate(state)]
            b = _Body(graph, f"{name}_body")
            ins = [f"{b.p}_s{i}" for i in range(len(widths))] + [f"{b.p}_xp", f"{b.p}_mask"]
            new = _step(graph, layer, b, w, ins[:len(widths)], ins[-2])
            outs = [b("Where", [ins[-1], n_, s], f"s{i}_out") for i, (n_, s) in enumerate(zip(new, ins))]
            outs.append(b("Where", [ins[-1], new[0], graph.constant("zero_f", np.array(0.0))], "y"))
            info = lambda n_, w_: helper.make_tensor_value_info(n_, TensorProto.FLOAT, ["N", w_])  # noqa: E731
            body = helper.make_graph(
                b.nodes, b.p, [info(ins[i], widths[i]) for i in range(len(widths))]
                + [info(ins[-2], layer.kernel.gates * H), helper.make_tensor_value_info(ins[-1], TensorProto.BOOL,
                                                                                          ["N", 1])],
                [info(o, widths[i] if i < len(widths) else widths[0]) for i, o in enumerate(outs)])
            names = [f"{name}_s{i}_n" for i in range(len(widths))] + [f"{name}_y"]
            graph.nodes.append(helper.make_node("Scan", [*inits, xp, mask], names, name=name, body=body,
                                                num_scan_inputs=2, scan_input_directions=[d, d],
                                                scan_output_directions=[d]))
            for f, out in zip(finals, names):
                f.append(graph.node("Unsqueeze", [out, axis0], f"{out}_3d"))
            ys.append(names[-1])
        x = graph.node("Concat", ys, f"{prefix}_l{k}_out", axis=2) if dirs == 2 else ys[0]
    final = tuple(graph.node("Concat", f, f"{prefix}_state{i}", axis=0) if len(f) > 1 else f[0]
                  for i, f in enumerate(finals))
    return x, final
