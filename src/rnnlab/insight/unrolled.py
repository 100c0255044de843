"""A recurrent layer unrolled over T steps with an output layer and a loss, forward and backward
through time, every number kept (``rnnlab explain --steps T``), computed by the library's own step
kernels (``rnnlab.kernels``) as the time loop calls them.

    h_t = cell(x_t, h_{t-1})          o_t = W_hy h_t + b_y          L = 1/2 sum_t ||o_t - y_t||^2
                                      or, with class targets y_t:    L = -sum_t log softmax(o_t)[y_t]

Backward, from the last step to the first (the recurrence of the source articles):

    dL/do_t = o_t - y_t               (cross-entropy: softmax(o_t) - onehot(y_t))
    dL/dh_t = W_hy^T dL/do_t + dL/dh_{t+1} dh_{t+1}/dh_t       (the second term 0 at t = T)
    dL/dW   = sum_t (step t's contribution)

Weights are named as the articles name them, column vectors throughout: a plain RNN's W_hx, W_hh,
b_h; an LSTM's W_f, W_i, W_c, W_o over the concatenation [h_{t-1}, x_t], one bias each; a GRU's reset
and update gates (重置门 r, 更新门 z) W_r, W_z over [h_{t-1}, x_t] with b_r, b_z, and its candidate
n_t (h~_t) with the reset gate applied after the product, as PyTorch and cuDNN compute it:

    r_t = sigma(W_r [h_{t-1}, x_t] + b_r)      z_t = sigma(W_z [h_{t-1}, x_t] + b_z)
    n_t = tanh(W_nx x_t + b_n + r_t * (W_nh h_{t-1} + b_nh))      h_t = (1 - z_t) * n_t + z_t * h_{t-1}

Other (registered) cells keep the library's names, W_ih, W_hh, b_ih, b_hh, with their gates in the
kernel's order. ``ARTICLE_TO_LIBRARY`` says how the names map. Shapes: x (T, D), h (H,), o and y (O,).
"""

from __future__ import annotations

import numpy as np

from ..nn import cell_kind

__all__ = ["unroll", "to_library", "to_article", "from_article", "ARTICLE_TO_LIBRARY", "random_network",
           "format_unrolled", "ARTICLE_EQUATIONS"]

# the articles' gates in their order over [h_{t-1}, x_t], and where each sits among the library's blocks
_OVER_CONCAT = {"lstm": {"f": 1, "i": 0, "c": 2, "o": 3}, "gru": {"r": 0, "z": 1}}
ARTICLE_TO_LIBRARY = {
    "rnn": "W_hx = weight_ih, W_hh = weight_hh, b_h = bias_ih + bias_hh",
    "lstm": "W_k = [weight_hh_k | weight_ih_k] (H x (H + D)), b_k = bias_ih_k + bias_hh_k for the gates k = f, i, "
            "c (c~, the candidate), o; the library keeps them in the order i, f, g (= c~), o",
    "gru": "W_k = [weight_hh_k | weight_ih_k], b_k = bias_ih_k + bias_hh_k for the gates k = r, z; W_nx = "
           "weight_ih_n, W_nh = weight_hh_n, b_n = bias_ih_n, b_nh = bias_hh_n",
}


# the gates in the articles' order and names (library gate -> the articles' letter); --json keys gate_<letter>
_ARTICLE_GATES = {"lstm": {"f": "f", "i": "i", "g": "c", "o": "o"}, "gru": {"r": "r", "z": "z", "n": "n"}}

# the step in the articles' notation, as the text view prints it above the numbers
ARTICLE_EQUATIONS = {
    "rnn": ("h_t = tanh(W_hx x_t + W_hh h_{t-1} + b_h)",),
    "lstm": ("f_t = sigma(W_f [h_{t-1}, x_t] + b_f)    i_t = sigma(W_i [h_{t-1}, x_t] + b_i)",
             "c~_t = tanh(W_c [h_{t-1}, x_t] + b_c)    o_t = sigma(W_o [h_{t-1}, x_t] + b_o)",
             "c_t = f_t * c_{t-1} + i_t * c~_t         h_t = o_t * tanh(c_t)"),
    "gru": ("r_t = sigma(W_r [h_{t-1}, x_t] + b_r)    z_t = sigma(W_z [h_{t-1}, x_t] + b_z)",
            "n_t = tanh(W_nx x_t + b_n + r_t * (W_nh h_{t-1} + b_nh))",
            "h_t = (1 - z_t) * n_t + z_t * h_{t-1}"),
}


def _notation(cell: str) -> str:
    return "rnn" if cell in ("rnn", "rnn_relu") else cell if cell in _OVER_CONCAT else "library"


def to_article(cell: str, w: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
    """The layer's weights (weight_ih, weight_hh, bias_ih, bias_hh) in the articles' names."""
    kind = _notation(cell)
    if kind == "rnn":
        return {"W_hx": w["weight_ih"], "W_hh": w["weight_hh"], "b_h": w["bias_ih"] + w["bias_hh"]}
    if kind == "library":
        return {"W_ih": w["weight_ih"], "W_hh": w["weight_hh"], "b_ih": w["bias_ih"], "b_hh": w["bias_hh"]}
    H = w["weight_hh"].shape[1]
    out = {}
    for g, k in _OVER_CONCAT[kind].items():
        rows = slice(k * H, (k + 1) * H)
        out[f"W_{g}"] = np.concatenate([w["weight_hh"][rows], w["weight_ih"][rows]], axis=1)
        out[f"b_{g}"] = w["bias_ih"][rows] + w["bias_hh"][rows]
    if kind == "gru":  # the candidate's two products stay apart: r_t multiplies the hidden one
        n = slice(2 * H, 3 * H)
        out |= {"W_nx": w["weight_ih"][n], "W_nh": w["weight_hh"][n], "b_n": w["bias_ih"][n], "b_nh": w["bias_hh"][n]}
    return out


def to_library(cell: str, a: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
    """The inverse of ``to_article`` (a bias the articles write once becomes bias_ih, with bias_hh = 0)."""
    kind = _notation(cell)
    if kind == "rnn":
        return {"weight_ih": a["W_hx"], "weight_hh": a["W_hh"], "bias_ih": a["b_h"], "bias_hh": np.zeros_like(a["b_h"])}
    if kind == "library":
        return {"weight_ih": a["W_ih"], "weight_hh": a["W_hh"], "bias_ih": a["b_ih"], "bias_hh": a["b_hh"]}
    gates = _OVER_CONCAT[kind]
    H = a[f"W_{next(iter(gates))}"].shape[0]
    order = sorted(gates, key=gates.get)  # the library's order
    w = {"weight_hh": [a[f"W_{g}"][:, :H] for g in order], "weight_ih": [a[f"W_{g}"][:, H:] for g in order],
         "bias_ih": [a[f"b_{g}"] for g in order], "bias_hh": [np.zeros(H) for _ in order]}
    if kind == "gru":
        for lib, art in (("weight_ih", "W_nx"), ("weight_hh", "W_nh"), ("bias_ih", "b_n"), ("bias_hh", "b_nh")):
            w[lib].append(a[art])
    return {k: np.concatenate(v) for k, v in w.items()}


def from_article(cell: str, given: dict) -> dict[str, np.ndarray]:
    """The network (the layer's weights in the library's names, W_hy, b_y) of weights given in the
    articles' names (``to_article``'s, and W_hy, b_y); ValueError in one line naming what is missing or
    of the wrong shape."""
    arrays = {k: np.asarray(v, np.float64) for k, v in given.items()}
    kind = _notation(cell)
    matrix = lambda name: np.shape(arrays[name]) if np.ndim(arrays.get(name)) == 2 else (0, 0)  # noqa: E731
    if kind in _OVER_CONCAT:  # the sizes from the first gate's matrix over [h_{t-1}, x_t]
        H, HD = matrix(f"W_{next(iter(_OVER_CONCAT[kind]))}")
        D = HD - H
    else:
        H, D = matrix("W_hh")[0], matrix("W_hx" if kind == "rnn" else "W_ih")[1]
    O = np.shape(arrays.get("W_hy", np.zeros((0, 0))))[0]
    G = cell_kind(cell).kernel().gates
    expected = {k: v.shape for k, v in to_article(cell, {"weight_ih": np.zeros((G * H, D)), "weight_hh": np.zeros(
        (G * H, H)), "bias_ih": np.zeros(G * H), "bias_hh": np.zeros(G * H)}).items()} | {"W_hy": (O, H), "b_y": (O,)}
    missing = [k for k in expected if k not in arrays]
    if missing:
        raise ValueError(f"the weights of a {cell} layer are {', '.join(expected)}; missing {', '.join(missing)}")
    unknown = sorted(set(arrays) - set(expected))
    if unknown:
        raise ValueError(f"unknown weight(s) {', '.join(unknown)}; a {cell} layer has {', '.join(expected)}")
    wrong = [f"{k} is {arrays[k].shape}, expected {shape}" for k, shape in expected.items() if arrays[k].shape != shape]
    if wrong or min(D, H, O) < 1:
        raise ValueError(f"the weights' shapes disagree: {'; '.join(wrong) or 'a size is 0'} (D = {D} inputs, H = {H} "
                         f"hidden units, O = {O} outputs)")
    layer = {k: arrays[k] for k in expected if k not in ("W_hy", "b_y")}
    return to_library(cell, layer) | {"W_hy": arrays["W_hy"], "b_y": arrays["b_y"]}


def random_network(cell: str, D: int, H: int, O: int, seed: int) -> dict[str, np.ndarray]:
    """PyTorch's initialisation, U(-1/sqrt(H), 1/sqrt(H)), for the layer and the output layer, in float64."""
    layer = cell_kind(cell).layer(D, H, dtype=np.float64, seed=seed)
    w = {k[:-3]: v for k, v in layer.state_dict().items()}
    rng = np.random.default_rng([seed, 1])
    bound = 1 / np.sqrt(H)
    return w | {"W_hy": rng.uniform(-bound, bound, (O, H)), "b_y": rng.uniform(-bound, bound, O)}


def unroll(cell: str, w: dict[str, np.ndarray], x: np.ndarray, h0: np.ndarray, targets: np.ndarray,
           c0: np.ndarray | None = None, loss: str = "mse", last_only: bool = False) -> dict:
    """Every number of T steps of ``cell`` (weights ``w``: the layer's, in the library's names, and W_hy,
    b_y), forward and backward: {"steps": [per step: h, o (, c) and the gates], "loss", "grads" (the
    layer's in the articles' names where they have them, W_hy, b_y, and "h": dL/dh_t per step),
    "contributions" (each step's share of each weight's gradient)}. ``loss``: "mse" (targets (T, O)) or
    "ce" (softmax cross-entropy, targets (T,): class indices); ``last_only``: the loss of the last step
    alone (the earlier targets ignored), so dL/dh_t shows how far back one step's gradient reaches."""
    kernel = cell_kind(cell).kernel()
    if kernel.step_params:
        raise ValueError(f"unrolling takes the articles' cells (rnn, lstm, gru and their kin without step parameters); "
                         f"{cell} normalises its steps")
    x, h0, targets = (np.asarray(v, np.float64) for v in (x, h0, targets))
    T, H = len(x), len(h0)
    W_ih, W_hh, b_ih, b_hh = (np.asarray(w[k], np.float64) for k in ("weight_ih", "weight_hh", "bias_ih", "bias_hh"))
    W_hy, b_y = np.asarray(w["W_hy"], np.float64), np.asarray(w["b_y"], np.float64)
    F = kernel.folded_hh_gates * H
    state = (h0[None],) if kernel.n_states == 1 else (h0[None], np.zeros((1, H)) if c0 is None else c0[None])
    ws = kernel.workspace(T, 1, H, np.float64)
    states, steps = [state], []
    for t in range(T):  # forward
        xp = (x[t] @ W_ih.T + b_ih)[None]
        xp[:, :F] += b_hh[:F]
        hp = (state[0][0] @ W_hh.T)[None]
        hp[:, F:] += b_hh[F:]
        state = tuple(s.copy() for s in kernel.forward_step(ws, t, xp, hp, state))
        states.append(state)
        step = {}
        if "act" in ws:  # the gates, in the articles' order and names where they have them
            act = {g: ws["act"][t, k, 0].copy() for k, g in enumerate(kernel.named_gates())}
            names = _ARTICLE_GATES.get(_notation(cell), {g: g for g in act})
            step = {f"gate_{names[g]}": act[g] for g in names}
        if kernel.n_states == 2:
            step["c"] = state[1][0].copy()
        step |= {"h": state[0][0].copy(), "o": W_hy @ state[0][0] + b_y}
        steps.append(step)
    outputs = np.array([s["o"] for s in steps])
    if loss == "ce":
        from ..functional import log_softmax

        logp = log_softmax(outputs, axis=1)
        classes = np.asarray(targets, int)
        errors = np.exp(logp)  # dL/do_t = softmax(o_t) - onehot(y_t)
        errors[np.arange(T), classes] -= 1
        per_step = -logp[np.arange(T), classes]
    else:
        errors = outputs - targets  # dL/do_t
        per_step = 0.5 * np.sum(errors ** 2, axis=1)
    if last_only:
        errors[:-1], per_step = 0, per_step[-1:]
    loss = float(per_step.sum())

    contributions = {k: [] for k in ("weight_ih", "weight_hh", "bias_ih", "bias_hh", "W_hy", "b_y")}
    dh_h = []  # dL/dh_t, from the last step back
    future = [np.zeros((1, H)) for _ in state]  # dL/d(state t) through step t + 1
    for t in reversed(range(T)):  # backward through time
        dh = W_hy.T @ errors[t] + future[0][0]
        dh_h.append(dh)
        dstate = (dh[None],) + tuple(future[1:])
        dxp, dhp, direct = kernel.backward_step(ws, t, dstate, states[t])
        h_prev = states[t][0][0]
        contributions["weight_ih"].append(np.outer(dxp[0], x[t]))
        contributions["weight_hh"].append(np.outer(dhp[0], h_prev))
        contributions["bias_ih"].append(dxp[0].copy())
        contributions["bias_hh"].append(dhp[0].copy())
        contributions["W_hy"].append(np.outer(errors[t], steps[t]["h"]))
        contributions["b_y"].append(errors[t].copy())
        through = dhp[0] @ W_hh
        future = [((through + (direct[0][0] if direct[0] is not None else 0))[None])] + [
            (d if d is not None else np.zeros((1, H))) for d in direct[1:]]
    for k in contributions:
        contributions[k] = contributions[k][::-1]  # step order
    total = {k: np.sum(v, axis=0) for k, v in contributions.items()}
    layer = {k: total[k] for k in ("weight_ih", "weight_hh", "bias_ih", "bias_hh")}
    grads = _article_grads(cell, layer) | {"W_hy": total["W_hy"], "b_y": total["b_y"], "h": np.array(dh_h[::-1])}
    per_step = {name: [_article_grads(cell, {k: contributions[k][t] for k in layer})[name] for t in range(T)]
                for name in _article_grads(cell, layer)}
    return {"steps": steps, "loss": loss, "grads": grads, "dL/do": errors,
            "contributions": per_step | {"W_hy": contributions["W_hy"], "b_y": contributions["b_y"]}}


def _article_grads(cell: str, g: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
    """Gradients of the layer's weights in the articles' names: a bias the articles write once takes the
    gradient of either of the library's two (their sum's gradient is each one's: both add to the same
    pre-activation); those are the blocks of bias_hh the kernel folds into the input projection."""
    if _notation(cell) == "library":
        return to_article(cell, g)
    kernel, bias_hh = cell_kind(cell).kernel(), g["bias_hh"].copy()
    bias_hh[:kernel.folded_hh_gates * len(bias_hh) // kernel.gates] = 0
    return to_article(cell, g | {"bias_hh": bias_hh})


def format_unrolled(cell: str, weights: dict, x, h0, targets, result: dict, source: str, loss: str = "mse",
                    lang: str = "en") -> str:
    """``unroll``'s numbers as text: the weights (the articles' names), each step forward, the loss, each
    step backward (dL/do_t, dL/dh_t), the gradients; in the words of ``lang``."""
    from .explain import legend
    from .messages import gate_term, text

    formula = "-sum_t log softmax(o_t)[y_t]" if loss == "ce" else "1/2 sum_t ||o_t - y_t||^2"
    lines = [text(lang, "unrolled", cell=cell, T=len(x), formula=formula, source=source)]
    notation = _notation(cell)
    if notation in ARTICLE_TO_LIBRARY:
        lines += ["  " + e.replace("tanh(", "relu(") if cell == "rnn_relu" else "  " + e
                  for e in ARTICLE_EQUATIONS[notation]]
        lines.append(text(lang, "names", mapping=ARTICLE_TO_LIBRARY[notation]))
        if notation == "gru":
            lines.append(text(lang, "gru_reset"))
    else:
        lines += ["  " + e for e in cell_kind(cell).kernel().step_equations()]
    kernel = cell_kind(cell).kernel()
    if notation in _ARTICLE_GATES:  # the articles' gate letters, in their order
        titles = dict(zip(kernel.named_gates(), kernel.titles()))
        lines.append(text(lang, "legend", legend=", ".join(
            f"{'c~' if a == 'c' else a} {gate_term(lang, titles[g])}" for g, a in _ARTICLE_GATES[notation].items())))
        lines.append(text(lang, "states", cell_state=text(lang, "cell_state") if kernel.n_states == 2 else ""))
    else:
        lines += legend(kernel, lang)
    row = lambda name, v: f"  {name:<12}" + " ".join(f"{u:>9.4f}" for u in np.ravel(v))  # noqa: E731
    label = lambda k: ("gate o_t" if k == "gate_o" else "c~_t" if k == "gate_c" and notation == "lstm"  # noqa: E731
                       else f"{k.removeprefix('gate_')}_t")
    for name, v in weights.items():
        lines.append(f"{name} {tuple(np.shape(v))}")
        lines += [row("", r) for r in np.atleast_2d(v)]
    lines += ["", text(lang, "forward"), row("h_0", h0)]
    for t, s in enumerate(result["steps"], 1):
        lines += [f"t = {t}", row("x_t", x[t - 1])] + [row(label(k), v) for k, v in s.items() if k != "o"]
        lines += [row("o_t", s["o"]), row("y_t", targets[t - 1])]
    lines += ["", text(lang, "loss", loss=result["loss"]), "", text(lang, "bptt")]
    for t in reversed(range(len(x))):
        lines += [f"t = {t + 1}", row("dL/do_t", result["dL/do"][t]), row("dL/dh_t", result["grads"]["h"][t])]
    lines += ["", text(lang, "gradients")]
    for name, v in result["grads"].items():
        if name != "h":
            lines.append(f"dL/d{name} {tuple(np.shape(v))}")
            lines += [row("", r) for r in np.atleast_2d(v)]
    return "\n".join(lines)
