"""Layer-normalised GRU step (the normalisation of Ba, Kiros & Hinton 2016 applied to each of the two
products, as their LSTM), gates r, z, n; the reset gate applied after the hidden product as PyTorch's.

Forward, with h the previous state (N, H) and norm(.) the row normalisation of ``kernels.norm``:

    xp = x_t W_ih^T      hp = h W_hh^T                    (N, 3H), no biases (the layer has none)
    ax = gx * norm(xp) + bx = [xr | xz | xn]             gx, bx (3H,)
    ah = gh * norm(hp) + bh = [hr | hz | hn]             gh, bh (3H,): bh's n block inside r * (.)
    r = sigma(xr + hr)   z = sigma(xz + hz)   n = tanh(xn + r * hn)
    h_t = (1 - z) * n + z * h

Backward, given dh_t, with normb(dy, y_hat, s) the normalisation's backward:

    dn = dh_t (1 - z)   dz = dh_t (h - n)   dh_direct = dh_t z   dan = dn (1 - n^2)
    dax = [dan hn r(1-r) | dz z(1-z) | dan]      dah = [dan hn r(1-r) | dz z(1-z) | dan r]
    dbx += sum_n dax   dgx += sum_n dax * norm(xp)   dbh += sum_n dah   dgh += sum_n dah * norm(hp)
    dxp = normb(dax * gx, norm(xp), s_x)      dhp = normb(dah * gh, norm(hp), s_h)

The gains start at 1 and the shifts at 0.
"""

from __future__ import annotations

import numpy as np

from ..functional import sigmoid
from .base import CellKernel
from .norm import normalise, products_backward

__all__ = ["LayerNormGRUKernel"]


class LayerNormGRUKernel(CellKernel):
    gates = 3
    folded_hh_gates = 0
    separate_dhp = True
    gate_names, gate_titles, sigmoid_gates = ("r", "z", "n"), ("reset", "update", "new"), (0, 1)
    equations = ("ax = gx * norm(x W_ih^T) + bx = [xr | xz | xn]   ah = gh * norm(h W_hh^T) + bh = [hr | hz | hn]",
                 "r = sigma(xr + hr)   z = sigma(xz + hz)   n = tanh(xn + r * hn)",
                 "h_t = (1 - z) * n + z * h")
    step_params = {"ln_ih_weight": (lambda H: (3 * H,), 1.0), "ln_ih_bias": (lambda H: (3 * H,), 0.0),
                   "ln_hh_weight": (lambda H: (3 * H,), 1.0), "ln_hh_bias": (lambda H: (3 * H,), 0.0)}

    def workspace(self, T: int, N: int, H: int, dtype) -> dict[str, np.ndarray]:
        return {"act": np.empty((T, 3, N, H), dtype), "ah_n": np.empty((T, N, H), dtype),
                "xn": np.empty((T, N, 3 * H), dtype), "hn": np.empty((T, N, 3 * H), dtype),
                "sx": np.empty((T, N, 1), dtype), "sh": np.empty((T, N, 1), dtype), "h": np.empty((T, N, H), dtype)}

    def forward_step(self, ws, k, xp, hp, prev):
        (h_prev,) = prev
        N, H = h_prev.shape
        p = self.p
        ax = p["ln_ih_weight"] * normalise(xp, ws["xn"][k], ws["sx"][k]) + p["ln_ih_bias"]
        ah = p["ln_hh_weight"] * normalise(hp, ws["hn"][k], ws["sh"][k]) + p["ln_hh_bias"]
        act = ws["act"][k]
        act[0] = sigmoid(ax[:, :H] + ah[:, :H])
        act[1] = sigmoid(ax[:, H:2 * H] + ah[:, H:2 * H])
        ws["ah_n"][k] = ah[:, 2 * H:]
        act[2] = np.tanh(ax[:, 2 * H:] + act[0] * ah[:, 2 * H:])
        r, z, n = act
        h = ws["h"][k]
        np.add((1 - z) * n, z * h_prev, out=h)
        return (h,)

    def backward_step(self, ws, k, dstate, prev, out=None):
        (dh,) = dstate
        (h_prev,) = prev
        N, H = h_prev.shape
        p, g_ = self.p, self.g
        r, z, n = ws["act"][k]
        dan = dh * (1 - z) * (1 - n * n)
        dr = dan * ws["ah_n"][k] * r * (1 - r)
        dz = dh * (h_prev - n) * z * (1 - z)
        dax = np.concatenate([dr, dz, dan], axis=1)
        dah = np.concatenate([dr, dz, dan * r], axis=1)
        xn, hn = ws["xn"][k], ws["hn"][k]
        g_["ln_ih_bias"] += dax.sum(axis=0)
        g_["ln_ih_weight"] += (dax * xn).sum(axis=0)
        g_["ln_hh_bias"] += dah.sum(axis=0)
        g_["ln_hh_weight"] += (dah * hn).sum(axis=0)
        dxp, dhp = products_backward(dax * p["ln_ih_weight"], dah * p["ln_hh_weight"], ws, k, out)
        return dxp, dhp, (dh * z,)
