"""Layer-normalised LSTM step (Ba, Kiros & Hinton 2016, eqs. 20-22), gates i, f, g, o.

Forward, with state (h, c), each (N, H), and norm(.) the row normalisation of ``kernels.norm``:

    xp = x_t W_ih^T      hp = h W_hh^T                    (N, 4H), no biases (the layer has none)
    a  = gx * norm(xp) + gh * norm(hp) + b               gx, gh, b (4H,): one shift for both terms
    i = sigma(a_i)   f = sigma(a_f)   g = tanh(a_g)   o = sigma(a_o)
    c_t = f * c + i * g
    u   = gc * norm(c_t) + bc                            gc, bc (H,)
    h_t = o * tanh(u)

Backward, given dh_t and dc_t (from step t+1), with normb(dy, y_hat, s) the normalisation's backward:

    do = dh_t * tanh(u)      du = dh_t * o * (1 - tanh(u)^2)
    dgc += sum_n du * norm(c_t)      dbc += sum_n du
    dc = dc_t + normb(du * gc, norm(c_t), s_c)
    di = dc * g   df = dc * c   dg = dc * i   dc_{t-1} = dc * f        (direct path)
    da = [di i(1-i) | df f(1-f) | dg (1-g^2) | do o(1-o)]
    db += sum_n da   dgx += sum_n da * norm(xp)   dgh += sum_n da * norm(hp)
    dxp = normb(da * gx, norm(xp), s_x)      dhp = normb(da * gh, norm(hp), s_h)

The gains start at 1 and the shifts at 0 (b's forget block at 0 too).
"""

from __future__ import annotations

import numpy as np

from ..functional import sigmoid
from .base import CellKernel
from .norm import normalise, normalise_backward, products_backward

__all__ = ["LayerNormLSTMKernel"]


class LayerNormLSTMKernel(CellKernel):
    gates = 4
    state_names = ("h", "c")
    folded_hh_gates = 0  # the layer has no biases; b is a step parameter, added after the norms
    separate_dhp = True
    gate_names, gate_titles, sigmoid_gates = ("i", "f", "g", "o"), ("input", "forget", "cell", "output"), (0, 1, 3)
    equations = ("a = gx * norm(x W_ih^T) + gh * norm(h W_hh^T) + b = [a_i | a_f | a_g | a_o]",
                 "i = sigma(a_i)   f = sigma(a_f)   g = tanh(a_g)   o = sigma(a_o)",
                 "c_t = f * c + i * g        h_t = o * tanh(gc * norm(c_t) + bc)")
    step_params = {"ln_ih_weight": (lambda H: (4 * H,), 1.0), "ln_hh_weight": (lambda H: (4 * H,), 1.0),
                   "ln_bias": (lambda H: (4 * H,), 0.0), "ln_c_weight": (lambda H: (H,), 1.0),
                   "ln_c_bias": (lambda H: (H,), 0.0)}

    def workspace(self, T: int, N: int, H: int, dtype) -> dict[str, np.ndarray]:
        return {"act": np.empty((T, 4, N, H), dtype), "xn": np.empty((T, N, 4 * H), dtype),
                "hn": np.empty((T, N, 4 * H), dtype), "sx": np.empty((T, N, 1), dtype),
                "sh": np.empty((T, N, 1), dtype), "c": np.empty((T, N, H), dtype), "cn": np.empty((T, N, H), dtype),
                "sc": np.empty((T, N, 1), dtype), "tu": np.empty((T, N, H), dtype), "h": np.empty((T, N, H), dtype)}

    def forward_step(self, ws, k, xp, hp, prev):
        _, c_prev = prev
        N, H = c_prev.shape
        p = self.p
        a = (p["ln_ih_weight"] * normalise(xp, ws["xn"][k], ws["sx"][k])
             + p["ln_hh_weight"] * normalise(hp, ws["hn"][k], ws["sh"][k]) + p["ln_bias"])
        act = ws["act"][k]
        act[...] = a.reshape(N, 4, H).transpose(1, 0, 2)
        sigmoid(act[:2], out=act[:2])
        np.tanh(act[2], out=act[2])
        sigmoid(act[3], out=act[3])
        i, f, g, o = act
        c = ws["c"][k]
        np.add(f * c_prev, i * g, out=c)
        u = p["ln_c_weight"] * normalise(c, ws["cn"][k], ws["sc"][k]) + p["ln_c_bias"]
        tu = np.tanh(u, out=ws["tu"][k])
        h = np.multiply(o, tu, out=ws["h"][k])
        return h, c

    def backward_step(self, ws, k, dstate, prev, out=None):
        dh, dc_next = dstate
        _, c_prev = prev
        N, H = c_prev.shape
        p, g_ = self.p, self.g
        i, f, g, o = ws["act"][k]
        tu, cn = ws["tu"][k], ws["cn"][k]
        du = dh * o * (1 - tu * tu)
        g_["ln_c_weight"] += (du * cn).sum(axis=0)
        g_["ln_c_bias"] += du.sum(axis=0)
        dc = dc_next + normalise_backward(du * p["ln_c_weight"], cn, ws["sc"][k])
        da = np.empty((N, 4, H), c_prev.dtype)
        da[:, 0] = dc * g * i * (1 - i)
        da[:, 1] = dc * c_prev * f * (1 - f)
        da[:, 2] = dc * i * (1 - g * g)
        da[:, 3] = dh * tu * o * (1 - o)
        da = da.reshape(N, 4 * H)
        xn, hn = ws["xn"][k], ws["hn"][k]
        g_["ln_bias"] += da.sum(axis=0)
        g_["ln_ih_weight"] += (da * xn).sum(axis=0)
        g_["ln_hh_weight"] += (da * hn).sum(axis=0)
        dxp, dhp = products_backward(da * p["ln_ih_weight"], da * p["ln_hh_weight"], ws, k, out)
        return dxp, dhp, (None, dc * f)
