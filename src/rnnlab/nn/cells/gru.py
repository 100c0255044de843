"""GRU step (PyTorch ``nn.GRU``), gates in PyTorch's order r, z, n.

Forward, with h the previous hidden state (N, H):

    xp = x_t W_ih^T + b_ih = [xr | xz | xn]              (N, 3H)
    hp = h W_hh^T + b_hh   = [hr | hz | hn]              (N, 3H)
    r = sigma(xr + hr)     z = sigma(xz + hz)
    n = tanh(xn + r * hn)                  (reset gate applied after the matrix product)
    h_t = (1 - z) * n + z * h

Backward, given dh_t:

    dn  = dh_t * (1 - z)       dz = dh_t * (h - n)       dh_direct = dh_t * z
    dan = dn * (1 - n^2)
    dr  = dan * hn
    dxp = [dr r(1-r) | dz z(1-z) | dan]
    dhp = [dr r(1-r) | dz z(1-z) | dan * r]
    dh_{t-1} = dh_direct + dhp W_hh    (the matrix product is added by the time loop)
"""

from __future__ import annotations

import numpy as np

from ...functional import sigmoid

__all__ = ["GRUKernel"]


class GRUKernel:
    gates = 3
    n_states = 1
    folded_hh_gates = 2  # b_hr, b_hz fold into the input projection; b_hn stays inside r * (.)
    separate_dhp = True

    def workspace(self, T: int, N: int, H: int, dtype) -> dict[str, np.ndarray]:
        return {
            "act": np.empty((T, N, 3 * H), dtype),  # [r | z | n]
            "hn": np.empty((T, N, H), dtype),  # W_hn h + b_hn
            "h": np.empty((T, N, H), dtype),  # candidate h_t
        }

    def forward_step(self, ws, k, xp, hp, prev):
        (h_prev,) = prev
        H = h_prev.shape[1]
        a = ws["act"][k]
        rz = a[:, : 2 * H]
        np.add(xp[:, : 2 * H], hp[:, : 2 * H], out=rz)
        sigmoid(rz, out=rz)
        r, z = a[:, :H], a[:, H : 2 * H]
        hn = ws["hn"][k]
        hn[...] = hp[:, 2 * H :]
        n = a[:, 2 * H :]
        np.multiply(r, hn, out=n)
        n += xp[:, 2 * H :]
        np.tanh(n, out=n)
        h = ws["h"][k]
        np.subtract(h_prev, n, out=h)
        h *= z
        h += n
        return (h,)

    def backward_step(self, ws, k, dstate, prev):
        (dh,) = dstate
        (h_prev,) = prev
        H = h_prev.shape[1]
        a = ws["act"][k]
        r, z, n = a[:, :H], a[:, H : 2 * H], a[:, 2 * H :]
        dan = dh * (1 - z) * (1 - n * n)
        dxp = np.empty_like(a)
        np.multiply(dan * ws["hn"][k], r * (1 - r), out=dxp[:, :H])
        np.multiply(dh * (h_prev - n), z * (1 - z), out=dxp[:, H : 2 * H])
        dxp[:, 2 * H :] = dan
        dhp = dxp.copy()
        dhp[:, 2 * H :] *= r
        return dxp, dhp, (dh * z,)
