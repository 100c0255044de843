"""LSTM step (PyTorch ``nn.LSTM``), gates in PyTorch's order i, f, g, o.

Forward, with state (h, c) of the previous step, each (N, H):

    a   = x_t W_ih^T + b_ih + h W_hh^T + b_hh            (N, 4H) = [a_i | a_f | a_g | a_o]
    i = sigma(a_i)   f = sigma(a_f)   g = tanh(a_g)   o = sigma(a_o)
    c_t = f * c + i * g
    h_t = o * tanh(c_t)

Backward, given dh_t and dc_t (the gradient reaching c_t from step t+1):

    do   = dh_t * tanh(c_t)
    dc   = dc_t + dh_t * o * (1 - tanh(c_t)^2)
    di   = dc * g      df = dc * c      dg = dc * i
    da_i = di * i (1 - i)   da_f = df * f (1 - f)   da_g = dg * (1 - g^2)   da_o = do * o (1 - o)
    dc_{t-1} = dc * f                  (direct path)
    dh_{t-1} = da W_hh                 (added by the time loop)

"""

from __future__ import annotations

import numpy as np

from ..functional import sigmoid
from .base import CellKernel

__all__ = ["LSTMKernel"]


class LSTMKernel(CellKernel):
    gates = 4
    state_names = ("h", "c")
    folded_hh_gates = 4  # all of b_hh folds into the input projection
    gate_names, gate_titles, sigmoid_gates = ("i", "f", "g", "o"), ("input", "forget", "cell", "output"), (0, 1, 3)
    equations = ("a = x W_ih^T + b_ih + h W_hh^T + b_hh = [a_i | a_f | a_g | a_o]",
                 "i = sigma(a_i)   f = sigma(a_f)   g = tanh(a_g) (c~)   o = sigma(a_o)",
                 "c_t = f * c + i * g        h_t = o * tanh(c_t)")

    def preactivations(self, xp, hp, H):
        a = xp + hp
        return {f"a_{g}": a[k * H:(k + 1) * H] for k, g in enumerate(self.gate_names)}

    def step_extras(self, ws):
        return {"tanh(c_t)": ws["tc"][0, 0].copy()}

    def workspace(self, T: int, N: int, H: int, dtype) -> dict[str, np.ndarray]:
        return {
            # i, f, g, o after their nonlinearities, gate-major so that each gate is one contiguous
            # block (NumPy's vector loops run faster on contiguous arrays than on column blocks)
            "act": np.empty((T, 4, N, H), dtype),
            "c": np.empty((T, N, H), dtype),  # candidate c_t
            "tc": np.empty((T, N, H), dtype),  # tanh(c_t)
            "h": np.empty((T, N, H), dtype),  # candidate h_t
        }

    def forward_step(self, ws, k, xp, hp, prev):
        h_prev, c_prev = prev
        N, H = h_prev.shape
        a = ws["act"][k]  # (4, N, H)
        np.add(xp.reshape(N, 4, H).transpose(1, 0, 2), hp.reshape(N, 4, H).transpose(1, 0, 2), out=a)
        sigmoid(a[:2], out=a[:2])  # i, f
        np.tanh(a[2], out=a[2])  # g
        sigmoid(a[3], out=a[3])  # o
        i, f, g, o = a
        c = ws["c"][k]
        np.multiply(f, c_prev, out=c)
        h = ws["h"][k]
        c += np.multiply(i, g, out=h)  # h as scratch for i * g
        tc = np.tanh(c, out=ws["tc"][k])
        np.multiply(o, tc, out=h)
        return h, c

    def backward_arrays(self, prev, out=None):
        """(da (N, 4H), which is ``out`` if given, dc_{t-1} (N, H)): where backward_step writes."""
        c_prev = prev[1]
        N, H = c_prev.shape
        return np.empty((N, 4 * H), c_prev.dtype) if out is None else out, np.empty_like(c_prev)

    def backward_step(self, ws, k, dstate, prev, out=None):
        """Returns (da, da, (None, dc_{t-1})), da (N, 4H) written into ``out`` if given."""
        dh, dc_next = dstate
        _, c_prev = prev
        N, H = c_prev.shape
        da, dc_prev = self.backward_arrays(prev, out)
        i, f, g, o = ws["act"][k]
        tc = ws["tc"][k]
        dc = dc_next + dh * o * (1 - tc * tc)
        d4 = da.reshape(N, 4, H)
        np.multiply(dc * g, i * (1 - i), out=d4[:, 0])
        np.multiply(dc * c_prev, f * (1 - f), out=d4[:, 1])
        np.multiply(dc * i, 1 - g * g, out=d4[:, 2])
        np.multiply(dh * tc, o * (1 - o), out=d4[:, 3])
        return da, da, (None, np.multiply(dc, f, out=dc_prev))
