"""A recurrent stack (``rnnlab.nn.RNNBase``: tanh/relu RNN, LSTM, GRU, one or two directions, several
layers) as ONNX nodes, one ONNX ``RNN``/``LSTM``/``GRU`` operator a layer.

The operators take the same equations as the library's (and PyTorch's) layers with other gate orders
and shapes:

    LSTM   library blocks i, f, g, o          ONNX i, o, f, c         (rows of W_ih, W_hh, both biases)
    GRU    library blocks r, z, n             ONNX z, r, h            with linear_before_reset = 1: the
                                                                      reset gate multiplies W_hn h + b_hn
    RNN    one block                          activation Tanh or Relu

An LSTM with projections (``proj_size`` P), which ONNX's LSTM operator cannot express, becomes a
``Scan`` a layer (one direction, every sequence T long: a language model), its body one step:

    xp_t = x_t W_ih^T + b_ih + b_hh  (all steps at once, before the Scan)
    a = xp_t + h W_hh^T;  i, f, g, o = sigma, sigma, tanh, sigma of its four blocks (Split)
    c' = f c + i g;  h' = (o tanh c') W_hr^T       state (h (N, P), c (N, H)), output h'

    W (D_dir, G*H, D_in) = weight_ih rows reordered, R (D_dir, G*H, H) = weight_hh, B (D_dir, 2*G*H) =
    [bias_ih | bias_hh], D_dir = 1 or 2 (forward, then reverse); X (T, N, D_in); Y (T, D_dir, N, H),
    turned into (T, N, D_dir*H) for the next layer; Y_h, Y_c (D_dir, N, H).
"""

from __future__ import annotations

import numpy as np

__all__ = ["GATE_ORDER", "recurrent_nodes", "operator", "reorder"]

# ONNX's gate blocks as indices of the library's
GATE_ORDER = {"lstm": [0, 3, 1, 2], "gru": [1, 0, 2], "rnn": [0], "rnn_relu": [0]}


def reorder(w: np.ndarray, cell: str) -> np.ndarray:
    blocks = np.split(w, len(GATE_ORDER[cell]), axis=0)
    return np.concatenate([blocks[k] for k in GATE_ORDER[cell]], axis=0)


def operator(graph, cell: str, H: int, W: np.ndarray, R: np.ndarray, B: np.ndarray, x: str, inits: list[str],
             lengths: str | None, name: str) -> list[str]:
    """One ONNX RNN/LSTM/GRU node over ``x`` (T, N, D) with the weights in ONNX's order and shapes
    (``reorder``; D_dir = W.shape[0]), initial states ``inits`` (none: zeros) and ``lengths``; returns
    the names of Y, Y_h (and Y_c)."""
    from onnx import helper

    dirs = W.shape[0]
    op = {"lstm": "LSTM", "gru": "GRU"}.get(cell, "RNN")
    inputs = [x, graph.constant(f"{name}_W", W), graph.constant(f"{name}_R", R), graph.constant(f"{name}_B", B),
              lengths or "", *inits]  # X, W, R, B, sequence_lens, initial_h, initial_c
    while inputs[-1] == "":  # optional inputs left out at the end
        inputs.pop()
    outputs = [f"{name}_Y", f"{name}_Yh"] + ([f"{name}_Yc"] if cell == "lstm" else [])
    attrs = dict(hidden_size=H, direction="bidirectional" if dirs == 2 else "forward")
    if cell == "gru":
        attrs["linear_before_reset"] = 1
    if op == "RNN":
        attrs["activations"] = ["Relu" if cell == "rnn_relu" else "Tanh"] * dirs
    graph.nodes.append(helper.make_node(op, inputs, outputs, name=name, **attrs))
    return outputs


def recurrent_nodes(graph, layer, x: str, state: tuple[str, ...] | None, prefix: str,
                    lengths: str | None = None) -> tuple[str, tuple[str, ...]]:
    """Add ``layer``'s operators to ``graph`` (an ``export.graph.Graph``) reading ``x`` (T, N, D), the
    initial ``state`` (h0[, c0]: (L*D_dir, N, H) names, or None for zeros) and each sequence's length
    (``lengths``: an int32 (N,) name, or None for all T); returns the output's name (T, N, D_dir*H) and
    the final state's names (each (L*D_dir, N, H): the forward direction's at each sequence's last step,
    the reverse one's at step 0)."""
    cell, H, L = layer.mode, layer.hidden_size, layer.num_layers
    if getattr(layer, "proj_size", 0):
        if layer.bidirectional or lengths is not None:
            raise ValueError("export writes an LSTM with projections for one direction over whole sequences (a "
                             "language model) only")
        return _projected_nodes(graph, layer, x, state, prefix)
    if cell not in GATE_ORDER:
        raise ValueError(f"ONNX has no operator for a {cell} cell; export takes {', '.join(GATE_ORDER)}")
    dirs = 2 if layer.bidirectional else 1
    params = layer.state_dict()
    finals: list[list[str]] = [[] for _ in range(2 if cell == "lstm" else 1)]
    for k in range(L):
        suffixes = [f"_l{k}", f"_l{k}_reverse"][:dirs]
        W = np.stack([reorder(params[f"weight_ih{s}"], cell) for s in suffixes])
        R = np.stack([reorder(params[f"weight_hh{s}"], cell) for s in suffixes])
        B = np.stack([np.concatenate([reorder(params[f"bias_ih{s}"], cell), reorder(params[f"bias_hh{s}"], cell)])
                      for s in suffixes])
        name = f"{prefix}_l{k}"
        inits = []
        if state is not None:
            starts, ends = graph.int64s(f"{name}_start", [k * dirs]), graph.int64s(f"{name}_end", [(k + 1) * dirs])
            inits = [graph.node("Slice", [s, starts, ends, graph.int64s("axis0", [0])], f"{name}_init{i}")
                     for i, s in enumerate(state)]
        outputs = operator(graph, cell, H, W, R, B, x, inits, lengths, name)
        for f, out in zip(finals, outputs[1:]):
            f.append(out)
        # Y (T, D_dir, N, H) -> (T, N, D_dir, H) -> (T, N, D_dir*H)
        moved = graph.node("Transpose", [outputs[0]], f"{name}_moved", perm=[0, 2, 1, 3])
        x = graph.node("Reshape", [moved, graph.int64s(f"{name}_shape", [0, 0, dirs * H])], f"{name}_out")
    final = tuple(graph.node("Concat", f, f"{prefix}_state{i}", axis=0) if len(f) > 1 else f[0]
                  for i, f in enumerate(finals))
    return x, final


def _projected_nodes(graph, layer, x: str, state, prefix: str) -> tuple[str, tuple[str, ...]]:
    """The layers of an LSTM with projections as one ``Scan`` each; returns as ``recurrent_nodes``."""
    from onnx import TensorProto, helper

    H, P, L = layer.hidden_size, layer.proj_size, layer.num_layers
    params = layer.state_dict()
    finals: list[list[str]] = [[], []]
    for k in range(L):
        name = f"{prefix}_l{k}"
        p = {n: params[f"{n}_l{k}"] for n in ("weight_ih", "weight_hh", "weight_hr")}
        bias = params[f"bias_ih_l{k}"] + params[f"bias_hh_l{k}"] if layer.bias else np.zeros(4 * H)
        xp = graph.node("Add", [graph.node("MatMul", [x, graph.constant(f"{name}_W_ih_t", p["weight_ih"].T)],
                                           f"{name}_xw"), graph.constant(f"{name}_bias", bias)], f"{name}_xp")
        if state is None:
            raise ValueError("an LSTM with projections is exported with its initial state as an input")
        starts, ends = graph.int64s(f"{name}_start", [k]), graph.int64s(f"{name}_end", [k + 1])
        inits = [graph.node("Squeeze", [graph.node("Slice", [s, starts, ends, graph.int64s("axis0", [0])],
                                                   f"{name}_init{i}_3d"), graph.int64s("axis0", [0])], f"{name}_init{i}")
                 for i, s in enumerate(state)]
        W_hh, W_hr = graph.constant(f"{name}_W_hh_t", p["weight_hh"].T), graph.constant(f"{name}_W_hr_t",
                                                                                          p["weight_hr"].T)
        b = f"{name}_body"
        nodes = [helper.make_node("MatMul", [f"{b}_h", W_hh], [f"{b}_hp"]),
                 helper.make_node("Add", [f"{b}_xp", f"{b}_hp"], [f"{b}_a"]),
                 helper.make_node("Split", [f"{b}_a", graph.int64s(f"four_{H}", [H] * 4)],
                                  [f"{b}_ai", f"{b}_af", f"{b}_ag", f"{b}_ao"], axis=1)]
        for gate, op in (("i", "Sigmoid"), ("f", "Sigmoid"), ("g", "Tanh"), ("o", "Sigmoid")):
            nodes.append(helper.make_node(op, [f"{b}_a{gate}"], [f"{b}_{gate}"]))
        nodes += [helper.make_node("Mul", [f"{b}_f", f"{b}_c"], [f"{b}_fc"]),
                  helper.make_node("Mul", [f"{b}_i", f"{b}_g"], [f"{b}_ig"]),
                  helper.make_node("Add", [f"{b}_fc", f"{b}_ig"], [f"{b}_c_new"]),
                  helper.make_node("Tanh", [f"{b}_c_new"], [f"{b}_tc"]),
                  helper.make_node("Mul", [f"{b}_o", f"{b}_tc"], [f"{b}_m"]),
                  helper.make_node("MatMul", [f"{b}_m", W_hr], [f"{b}_h_new"]),
                  helper.make_node("Identity", [f"{b}_h_new"], [f"{b}_y"])]
        info = lambda n, w: helper.make_tensor_value_info(n, TensorProto.FLOAT, ["N", w])  # noqa: E731
        body = helper.make_graph(nodes, b, [info(f"{b}_h", P), info(f"{b}_c", H), info(f"{b}_xp", 4 * H)],
                                 [info(f"{b}_h_new", P), info(f"{b}_c_new", H), info(f"{b}_y", P)])
        outputs = [f"{name}_h_n", f"{name}_c_n", f"{name}_out"]
        graph.nodes.append(helper.make_node("Scan", [*inits, xp], outputs, name=name, body=body, num_scan_inputs=1))
        for f, out in zip(finals, outputs):
            f.append(graph.node("Unsqueeze", [out, graph.int64s("axis0", [0])], f"{out}_3d"))
        x = outputs[2]
    final = tuple(graph.node("Concat", f, f"{prefix}_state{i}", axis=0) if len(f) > 1 else f[0]
                  for i, f in enumerate(finals))
    return x, final
