"""Random test cases for the recurrent layers, and how rnnlab runs them (no torch needed here).

A case holds a configuration and random float64 arrays: weights *and* biases, input, non-zero initial
states, lengths and upstream gradients for the output and every final state.
"""

from __future__ import annotations

import numpy as np

from rnnlab.nn import cell_kind

MODES = ("rnn", "rnn_relu", "lstm", "gru")  # the built-in kinds (the registry may hold more by then)


def make_layer(mode, D, H, dtype=np.float64, **kw):
    return cell_kind(mode).layer(D, H, dtype=dtype, **kw)


def make_case(mode, num_layers, bidirectional, batch_first, lengths, seed, T=5, N=4, D=3, H=6, proj=0):
    """``proj`` > 0: an LSTM with projections to that many values (PyTorch's proj_size)."""
    rng = np.random.default_rng(seed)
    dirs = 2 if bidirectional else 1
    cfg = dict(mode=mode, num_layers=num_layers, bidirectional=bidirectional, batch_first=batch_first,
               T=T, N=N, D=D, H=H) | ({"proj": proj} if proj else {})
    layer = make_layer(mode, D, H, num_layers=num_layers, bidirectional=bidirectional, **_proj(cfg))
    arrays = {f"param.{k}": rng.normal(size=v.shape) * 0.5 for k, v in layer.state_dict().items()}
    arrays["x"] = rng.normal(size=(N, T, D) if batch_first else (T, N, D))
    for i, w in enumerate(layer.state_widths()):
        arrays[f"state0.{i}"] = rng.normal(size=(num_layers * dirs, N, w))
        arrays[f"dfinal.{i}"] = rng.normal(size=(num_layers * dirs, N, w))
    if lengths:
        lens = rng.integers(1, T + 1, size=N)
        lens[rng.integers(N)] = T
        arrays["lengths"] = lens.astype(np.int64)
    R = proj or H
    arrays["dy"] = rng.normal(size=(N, T, dirs * R) if batch_first else (T, N, dirs * R))
    return cfg, arrays


def _proj(cfg) -> dict:
    return {"proj_size": cfg["proj"]} if cfg.get("proj") else {}


def states(arrays, prefix):
    parts = [arrays[k] for k in sorted(k for k in arrays if k.startswith(prefix + "."))]
    return tuple(parts) if len(parts) > 1 else parts[0]


def rnnlab_run(cfg, arrays, dtype=np.float64):
    """Forward and backward with rnnlab; returns the same keys as the torch reference."""
    layer = make_layer(cfg["mode"], cfg["D"], cfg["H"], dtype=dtype, num_layers=cfg["num_layers"],
                       bidirectional=cfg["bidirectional"], batch_first=cfg["batch_first"], **_proj(cfg))
    a = {k: (v.astype(dtype) if v.dtype.kind == "f" else v) for k, v in arrays.items()}
    layer.load_state_dict({k[6:]: v for k, v in a.items() if k.startswith("param.")})
    y, final = layer.forward(a["x"], states(a, "state0"), a.get("lengths"))
    dx, dstate0 = layer.backward(a["dy"], states(a, "dfinal"))
    final = final if isinstance(final, tuple) else (final,)
    dstate0 = dstate0 if isinstance(dstate0, tuple) else (dstate0,)
    out = {"y": y, "dx": dx}
    out |= {f"final.{i}": f for i, f in enumerate(final)}
    out |= {f"dstate0.{i}": g for i, g in enumerate(dstate0)}
    out |= {f"grad.{k}": g for k, g in layer.grads.items()}
    return out


def max_relative_error(ours: dict, ref: dict) -> tuple[float, str]:
    """Worst max|a - b| / max|b| over the keys of ``ref``; every key must be present in ``ours``."""
    worst, where = 0.0, ""
    for k, b in ref.items():
        a = ours[k]
        assert a.shape == b.shape, f"{k}: shape {a.shape} != {b.shape}"
        scale = np.abs(b).max()
        err = float(np.abs(a - b).max() / scale) if scale > 0 else float(np.abs(a).max())
        if err >= worst:
            worst, where = err, k
    return worst, where


class Recorder:
    """A random generator that remembers what it drew (``random`` only), so that a reference can use
    the same masks."""

    def __init__(self, rng):
        self.rng, self.drawn = rng, []

    def random(self, shape):
        self.drawn.append(self.rng.random(shape))
        return self.drawn[-1]
