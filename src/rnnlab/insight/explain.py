"""One recurrent step, forward and backward, with every intermediate number (``rnnlab explain``).

The numbers come from the library's own step kernels (``rnnlab.kernels``), called as the time loop calls
them (``CellKernel``: xp = x W_ih^T + b_ih (+ folded b_hh), hp = h W_hh^T (+ the rest of b_hh)), so an
explanation cannot drift from the code that trains. Shapes: x (D,), h, c (H,), weights as the layers
keep them (W_ih (G H, D), W_hh (G H, H), biases (G H,)).

``worked_example()`` is the seed articles' LSTM step by hand: x = [0.5, 0.1], h = [0.2, 0.4],
c = [0.6, -0.2], f = [0.63, 0.82], i = [0.41, 0.29], c~ = [0.72, -0.59], so c_t = f c + i c~ =
[0.6732, -0.3351]. It gives gate values, not weights: here W = 0 and the biases are the pre-activations
that produce those values (logit, artanh); o is not given, so its bias is 0 (o = 0.5).
"""

from __future__ import annotations

import numpy as np

from ..nn import cell_kind

__all__ = ["explain_step", "worked_example", "worked_example_note", "random_weights", "format_step", "legend"]

def worked_example() -> tuple[dict[str, np.ndarray], dict[str, np.ndarray]]:
    """(LSTM weights, inputs {x, h, c}) of the seed articles' worked example."""
    logit = lambda p: np.log(np.asarray(p) / (1 - np.asarray(p)))  # noqa: E731
    bias = np.concatenate([logit([0.41, 0.29]), logit([0.63, 0.82]), np.arctanh([0.72, -0.59]), [0.0, 0.0]])
    weights = {"weight_ih": np.zeros((8, 2)), "weight_hh": np.zeros((8, 2)), "bias_ih": bias, "bias_hh": np.zeros(8)}
    return weights, {"x": np.array([0.5, 0.1]), "h": np.array([0.2, 0.4]), "c": np.array([0.6, -0.2])}


def worked_example_note(lang: str = "en") -> str:
    """Where the article's worked example disagrees with itself, in one line: it writes f_t as sigma of a
    2 x 2 matrix, [[0.3, -0.1], [0.5, 0.2]], and gives [0.63, 0.82], which is not sigma of those
    entries; and it gives W_f the shape (4, 4) where [h_{t-1}, x_t] has 4 entries and f_t 2: (2, 4)."""
    from .messages import text

    entries = 1 / (1 + np.exp(-np.array([0.3, -0.1, 0.5, 0.2])))
    return text(lang, "note", values=", ".join(f"{v:.3f}" for v in entries))


def random_weights(cell: str, input_size: int, hidden_size: int, seed: int) -> dict[str, np.ndarray]:
    """A layer's initial weights (PyTorch's U(-1/sqrt(H), 1/sqrt(H))) for ``seed``, in float64."""
    layer = cell_kind(cell).layer(input_size, hidden_size, dtype=np.float64, seed=seed)
    return {k[:-3]: v for k, v in layer.state_dict().items()}


def explain_step(cell: str, weights: dict[str, np.ndarray], x, h, c=None, dh=None, dc=None) -> dict[str, np.ndarray]:
    """Every number of one step of ``cell`` from (x, h[, c]) and the upstream gradients dL/dh_t (default
    ones: L = sum h_t) and dL/dc_t (default zeros), in float64, as an ordered dict name -> (H,) or
    matrix. Raises ValueError naming what has the wrong size."""
    kind = cell_kind(cell)
    W_ih, W_hh = (np.asarray(weights[k], np.float64) for k in ("weight_ih", "weight_hh"))
    H, D = W_hh.shape[1], W_ih.shape[1]
    kernel = kind.kernel().bind_defaults(H, weights)  # a layer-normalised step's gains and shifts
    G = kernel.gates
    x, h = np.asarray(x, np.float64), np.asarray(h, np.float64)
    for name, v, n in (("x", x, D), ("h", h, H)):
        if v.shape != (n,):
            raise ValueError(f"--{name} has {v.size} value{'s' * (v.size != 1)}; this {kind.name} step takes {n}")
    state = (h,)
    if kernel.n_states == 2:
        c = np.zeros(H) if c is None else np.asarray(c, np.float64)
        if c.shape != (H,):
            raise ValueError(f"--c has {c.size} value{'s' * (c.size != 1)}; this {kind.name} step takes {H}")
        state = (h, c)
    elif c is not None:
        raise ValueError(f"--c is the LSTM's cell state; a {kind.name} step has none")
    b_ih, b_hh = (np.asarray(weights.get(k, np.zeros(G * H)), np.float64) for k in ("bias_ih", "bias_hh"))
    F = kernel.folded_hh_gates * H
    xp = (x @ W_ih.T + b_ih)[None]
    xp[:, :F] += b_hh[:F]
    hp = (h @ W_hh.T)[None]
    hp[:, F:] += b_hh[F:]
    prev = tuple(s[None] for s in state)
    ws = kernel.workspace(1, 1, H, np.float64)
    out = {"x_t": x, "h_{t-1}": h} | ({"c_{t-1}": state[1]} if len(state) == 2 else {})
    out |= kernel.preactivations(xp[0], hp[0], H)
    new = kernel.forward_step(ws, 0, xp, hp, prev)
    if "act" in ws:
        out |= {g: ws["act"][0, k, 0].copy() for k, g in enumerate(kernel.named_gates())}
    out |= kernel.step_extras(ws)
    out |= {f"{name}_t": s[0].copy() for name, s in zip(kernel.state_names[1:], new[1:])}
    out["h_t"] = new[0][0].copy()

    dh = np.ones(H) if dh is None else np.asarray(dh, np.float64)
    if dh.shape != (H,):
        raise ValueError(f"--dh has {dh.size} value{'s' * (dh.size != 1)}; this {kind.name} step takes {H}")
    dstate = (dh[None],)
    out["dL/dh_t"] = dh
    if kernel.n_states == 2:
        dc = np.zeros(H) if dc is None else np.asarray(dc, np.float64)
        dstate = (dh[None], dc[None])
        out["dL/dc_t"] = dc
    dxp, dhp, direct = kernel.backward_step(ws, 0, dstate, prev)
    # dL/d(each gate's pre-activation): LSTM dL/da per gate; GRU dL/d(xr + hr), dL/d(xz + hz), dL/d(xn + r hn)
    names = ["da"] if kernel.gates == 1 else [f"da_{g}" for g in kernel.named_gates()]
    out |= {n: dxp[0, k * H:(k + 1) * H].copy() for k, n in enumerate(names)}
    dh_prev = dhp[0] @ W_hh + (direct[0][0] if direct[0] is not None else 0)
    out |= {"dL/dx_t": dxp[0] @ W_ih, "dL/dh_{t-1}": dh_prev}
    if kernel.n_states == 2:
        out["dL/dc_{t-1}"] = direct[1][0].copy()
    out |= {"dL/dW_ih": np.outer(dxp[0], x), "dL/dW_hh": np.outer(dhp[0], h), "dL/db_ih": dxp[0].copy(),
            "dL/db_hh": dhp[0].copy()}
    return out


def legend(kernel, lang: str) -> list[str]:
    """The gates and states by the words of ``lang`` (the articles' terms in Chinese)."""
    from .messages import gate_term, text

    lines = []
    if kernel.gate_names:
        lines.append(text(lang, "legend", legend=", ".join(f"{g} {gate_term(lang, t)}" for g, t in
                                                          zip(kernel.named_gates(), kernel.titles()))))
    cell_state = text(lang, "cell_state") if "c" in kernel.state_names else ""
    return lines + [text(lang, "states", cell_state=cell_state)]


def format_step(cell: str, numbers: dict[str, np.ndarray], source: str, lang: str = "en") -> str:
    """The step as text: the equations, then one row per vector (a column per unit), matrices last."""
    from .messages import text

    kind = cell_kind(cell)
    kernel = kind.kernel()
    lines = [text(lang, "one_step", cell=kind.name, source=source), *("  " + e for e in kernel.step_equations()),
             *legend(kernel, lang), ""]
    vectors = {k: v for k, v in numbers.items() if v.ndim == 1}
    width = max(len(k) for k in vectors) + 2
    for k, v in vectors.items():
        if k == "dL/dh_t":
            lines += ["", text(lang, "backward_given", c_note=text(lang, "c_note") if "c_t" in numbers else "")]
        lines.append(f"{k:<{width}}" + " ".join(f"{u:>9.4f}" for u in v))
    matrices = [k for k, v in numbers.items() if v.ndim == 2]
    if matrices and numbers["h_{t-1}"].size > 8:
        lines += ["", text(lang, "with_json", names=", ".join(matrices))]
        return "\n".join(lines)
    for k, v in numbers.items():
        if v.ndim == 2:
            lines += ["", f"{k} {v.shape}"] + ["  " + " ".join(f"{u:>9.4f}" for u in row) for row in v]
    return "\n".join(lines)
