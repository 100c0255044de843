"""The time loop of an LSTM with projections (PyTorch's ``nn.LSTM(proj_size=P)``, Sak et al. 2014), one
direction of one layer, forward and backpropagation through time.

The LSTM step is the kernel's (``rnnlab.kernels.lstm``; the backend's compiled twin when it has one),
with its output projected before it is fed back and given out, P < H:

    a   = x_t W_ih^T + b_ih + h_{t-1} W_hh^T + b_hh     W_hh (4H, P), h (N, P)
    c_t = f * c_{t-1} + i * g                           c (N, H), as the plain LSTM
    m_t = o * tanh(c_t)                                 (N, H): the kernel's h
    h_t = m_t W_hr^T                                    W_hr (P, H)

Backward, given dh_t (N, P) and dc_t:

    dW_hr += dh_t^T m_t          dm_t = dh_t W_hr        then the kernel's step from (dm_t, dc_t)
    dh_{t-1} = da W_hh           (N, P)                  dc_{t-1} from the kernel's direct path

Everything in processing order, with the masking of ``rnnlab.backends.reference`` (on an invalid step
h and c are carried and the output is zero). S = (h (T+1, N, P), c (T+1, N, H)); the workspace is the
kernel's, plus "m" (T+1, N, H): m_t at row t+1, zeros at row 0 (the kernel reads the previous h only
for its shape, never its values: a plain LSTM's h_{t-1} enters through hp alone).
"""

from __future__ import annotations

import numpy as np

__all__ = ["forward_projected", "backward_projected"]


def forward_projected(kernel, XP, state0, W_hh, W_hr, b_hh_rest, mask, keep=True):
    """Run ``kernel`` (an LSTM step) with projections over T steps. XP (T, N, 4H) with the folded
    biases, state0 (h0 (N, P), c0 (N, H)), W_hh (4H, P), W_hr (P, H), b_hh_rest (4H - F,) or None,
    mask (T, N, 1) or None. Returns (S, ws) as described above."""
    T, N, GH = XP.shape
    P, H = W_hr.shape
    h = np.empty((T + 1, N, P), XP.dtype)
    c = np.empty((T + 1, N, H), XP.dtype)
    h[0], c[0] = state0
    ws = kernel.workspace(T if keep else 1, N, H, XP.dtype)
    ws["m"] = np.zeros((T + 1 if keep else 2, N, H), XP.dtype)
    F = GH - (0 if b_hh_rest is None else b_hh_rest.shape[0])
    W_hrT = np.ascontiguousarray(W_hr.T)
    for k in range(T):
        hp = h[k] @ W_hh.T  # (N, 4H)
        if b_hh_rest is not None:
            hp[:, F:] += b_hh_rest
        j = k if keep else 0
        m, c_new = kernel.forward_step(ws, j, XP[k], hp, (ws["m"][j], c[k]))
        ws["m"][j + 1] = m
        h_new = m @ W_hrT  # (N, P)
        if mask is None:
            h[k + 1], c[k + 1] = h_new, c_new
        else:
            h[k + 1] = np.where(mask[k], h_new, h[k])
            c[k + 1] = np.where(mask[k], c_new, c[k])
    return (h, c), ws


def backward_projected(kernel, ws, S, dY, dfinal, W_hh, W_hr, mask):
    """Backpropagate through ``forward_projected``. dY (T, N, P) or None; dfinal (dh_n, dc_n), entries
    may be None. Returns (DXP (T, N, 4H), DHP (the same array), (dh0, dc0), dW_hr (P, H))."""
    h, c = S
    T, N, P = h.shape[0] - 1, h.shape[1], h.shape[2]
    H = c.shape[2]
    dtype = h.dtype
    DXP = np.empty((T, N, W_hh.shape[0]), dtype)
    DH = np.empty((T, N, P), dtype)  # dL/dh_t reaching each step's projection
    dh = np.zeros((N, P), dtype) if dfinal[0] is None else np.array(dfinal[0], dtype=dtype)
    dc = np.zeros((N, H), dtype) if dfinal[1] is None else np.array(dfinal[1], dtype=dtype)
    if dY is not None and mask is not None:
        dY = np.where(mask, dY, 0)
    for k in range(T - 1, -1, -1):
        if dY is not None:
            dh = dh + dY[k]
        if mask is None:
            dh_c, dc_c, carry = dh, dc, None
        else:
            m = mask[k]
            dh_c, dc_c = np.where(m, dh, 0), np.where(m, dc, 0)
            carry = (np.where(m, 0, dh), np.where(m, 0, dc))
        DH[k] = dh_c
        dm = dh_c @ W_hr  # (N, H)
        da, _, direct = kernel.backward_step(ws, k, (dm, dc_c), (ws["m"][k], c[k]), DXP[k])
        if da is not DXP[k]:
            DXP[k] = da
        dh, dc = da @ W_hh, direct[1].copy()  # (N, P), (N, H)
        if carry is not None:
            dh += carry[0]
            dc += carry[1]
    dW_hr = DH.reshape(T * N, P).T @ ws["m"][1:].reshape(T * N, H)
    return DXP, DXP, (dh, dc), dW_hr
