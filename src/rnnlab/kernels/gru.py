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

from ..functional import sigmoid
from .base import CellKernel

__all__ = ["GRUKernel"]


class GRUKernel(CellKernel):
    gates = 3
    folded_hh_gates = 2  # b_hr, b_hz fold into the input projection; b_hn stays inside r * (.)
    separate_dhp = True
    gate_names, gate_titles, sigmoid_gates = ("r", "z", "n"), ("reset", "update", "new"), (0, 1)
    equations = ("xp = x W_ih^T + b_ih = [xr | xz | xn]      hp = h W_hh^T + b_hh = [hr | hz | hn]",
                 "r = sigma(xr + hr)   z = sigma(xz + hz)   n = tanh(xn + r * hn)",
                 "h_t = (1 - z) * n + z * h")

    def preactivations(self, xp, hp, H):
        a = xp + hp
        return {"a_r": a[:H], "a_z": a[H:2 * H], "xn": xp[2 * H:], "hn": hp[2 * H:]}

    def workspace(self, T: int, N: int, H: int, dtype) -> dict[str, np.ndarray]:
        return {
            "act": np.empty((T, 3, N, H), dtype),  # r, z, n, gate-major: each gate one contiguous block
            "hn": np.empty((T, N, H), dtype),  # W_hn h + b_hn
            "h": np.empty((T, N, H), dtype),  # candidate h_t
        }

    def forward_step(self, ws, k, xp, hp, prev):
        (h_prev,) = prev
        N, H = h_prev.shape
        a = ws["act"][k]
        x3 = xp.reshape(N, 3, H).transpose(1, 0, 2)  # (3, N, H) views
        h3 = hp.reshape(N, 3, H).transpose(1, 0, 2)
        np.add(x3[:2], h3[:2], out=a[:2])
        sigmoid(a[:2], out=a[:2])
        r, z, n = a
        hn = ws["hn"][k]
        np.copyto(hn, h3[2])
        np.multiply(r, hn, out=n)
        n += x3[2]
        np.tanh(n, out=n)
        h = ws["h"][k]
        np.subtract(h_prev, n, out=h)
        h *= z
        h += n
        return (h,)

    def backward_arrays(self, prev, out=None):
        """(dxp (N, 3H), which is ``out`` if given, dhp (N, 3H), dh_direct (N, H)): where backward_step
        writes."""
        (h_prev,) = prev
        N, H = h_prev.shape
        dxp = np.empty((N, 3 * H), h_prev.dtype) if out is None else out
        return dxp, np.empty_like(dxp), np.empty_like(h_prev)

    def backward_step(self, ws, k, dstate, prev, out=None):
        """Returns (dxp, dhp, (dh_direct,)), dxp and dhp (N, 3H), dxp written into ``out`` if given."""
        (dh,) = dstate
        (h_prev,) = prev
        N, H = h_prev.shape
        dxp, dhp, dh_prev = self.backward_arrays(prev, out)
        r, z, n = ws["act"][k]
        dan = dh * (1 - z) * (1 - n * n)
        d3 = dxp.reshape(N, 3, H)
        np.multiply(dan * ws["hn"][k], r * (1 - r), out=d3[:, 0])
        np.multiply(dh * (h_prev - n), z * (1 - z), out=d3[:, 1])
        d3[:, 2] = dan
        np.copyto(dhp, dxp)
        dhp.reshape(N, 3, H)[:, 2] *= r
        return dxp, dhp, (np.multiply(dh, z, out=dh_prev),)
