"""The NumPy backend: the reference time loop of one direction of one layer, forward and backpropagation
through time, driving any cell kernel (``rnnlab.kernels``) one step at a time.

Everything runs in *processing order*: step k = 0..T-1 is time t = k for the forward direction and
t = T-1-k for the reverse one (the caller flips its inputs and outputs). Work that does not depend
on the previous step is done outside the loop by the caller (``rnnlab.nn.bptt``: the input
projection before, the weight gradients from ``DXP`` and ``DHP`` after).

Shapes: T steps, N batch, H hidden, G gates. ``S`` holds each state for k = 0..T:
``S[i][0]`` is the initial state, ``S[i][k+1]`` the state after step k.

Sequence lengths (PyTorch packed-sequence semantics) arrive as a boolean ``mask`` (T, N, 1), true
where a step is valid. On an invalid step the state is carried unchanged and the output is zero:

    s_{k+1} = m_k * cand_k + (1 - m_k) * s_k        y_k = m_k * h_{k+1}

so the forward final state is the state at each sequence's last valid step, and the reverse
direction starts from the initial state at that step. Backward splits each state gradient the same way:
dcand = m * ds and ds_k += (1 - m) * ds.
"""

from __future__ import annotations

import numpy as np

from .base import Backend

__all__ = ["NumpyBackend", "allocate", "forward_direction", "forward_loop", "backward_direction"]


class NumpyBackend(Backend):
    """The reference: every kernel's own NumPy step, one thread, NumPy's BLAS for h W_hh^T."""

    name = "numpy"

    def forward_direction(self, kernel, XP, state0, W_hh, b_hh_rest, mask, keep=True):
        return forward_direction(kernel, XP, state0, W_hh, b_hh_rest, mask, keep)

    def backward_direction(self, kernel, ws, S, dY, dfinal, W_hh, mask):
        return backward_direction(kernel, ws, S, dY, dfinal, W_hh, mask)

    def info(self) -> dict:
        return {"backend": self.name, "kernels": "NumPy", "loop threads": 1}


def allocate(kernel, XP, state0, H: int, keep: bool = True):
    """(S, ws) for ``forward_loop``: the state sequences (T+1, N, H) with S[i][0] = state0[i], and the
    kernel's workspace for T steps (one when ``keep`` is False: no backward will follow)."""
    T, N, _ = XP.shape
    S = tuple(np.empty((T + 1, N, H), XP.dtype) for _ in range(kernel.n_states))
    for s, s0 in zip(S, state0):
        s[0] = s0
    return S, kernel.workspace(T if keep else 1, N, H, XP.dtype)


def forward_direction(kernel, XP, state0, W_hh, b_hh_rest, mask, keep=True):
    """Run ``kernel`` over T steps.

    XP: (T, N, G*H) input pre-activations, with b_ih and the folded part of b_hh already added.
    state0: tuple of (N, H) initial states.  W_hh: (G*H, H).
    b_hh_rest: (G*H - F,) the part of b_hh added inside the loop (F = folded entries), or None.
    mask: (T, N, 1) bool or None.  keep=False: no backward will follow, so the workspace holds one step.
    Returns (S, ws): S a tuple of (T+1, N, H) state sequences; ws the kernel's workspace (cache).
    """
    S, ws = allocate(kernel, XP, state0, W_hh.shape[1], keep)
    forward_loop(kernel, XP, W_hh, b_hh_rest, mask, S, ws, keep)
    return S, ws


def forward_loop(kernel, XP, W_hh, b_hh_rest, mask, S, ws, keep=True) -> None:
    """The loop of ``forward_direction``, into S and ws made by ``allocate``."""
    T, N, GH = XP.shape
    dtype = XP.dtype
    # h W_hh^T is computed as its transpose W_hh h^T into a (G*H, N) buffer: with N small, OpenBLAS runs
    # this orientation faster (python -m benchmarks.gemm_shapes), which pays for reading ``hp`` transposed.
    hpT = np.empty((GH, N), dtype)
    hp = hpT.T  # (N, G*H) view
    F = GH - (0 if b_hh_rest is None else b_hh_rest.shape[0])
    for k in range(T):
        np.dot(W_hh, S[0][k].T, out=hpT)  # (G*H, N)
        if b_hh_rest is not None:
            hp[:, F:] += b_hh_rest
        prev = tuple(s[k] for s in S)
        cand = kernel.forward_step(ws, k if keep else 0, XP[k], hp, prev)
        if mask is None:
            for s, c in zip(S, cand):
                s[k + 1] = c
        else:
            for s, c, p in zip(S, cand, prev):
                np.copyto(s[k + 1], np.where(mask[k], c, p))


def backward_direction(kernel, ws, S, dY, dfinal, W_hh, mask, dS=None):
    """Backpropagate through the T steps of ``forward_direction``.

    dY: (T, N, H) gradient of the outputs y_k (processing order), or None.
    dfinal: tuple of (N, H) gradients of the final states (entries may be None).
    dS: None, or a tuple like S of (T+1, N, H) arrays that receive the total gradient of every state,
    dS[i][k] = dL/dS[i][k] (the gradient-flow diagnostics, ``rnnlab.insight.diagnostics``, read them).
    Returns (DXP, DHP, dstate0):
      DXP (T, N, G*H) gradient of the input pre-activations,
      DHP (T, N, G*H) gradient of the hidden pre-activations h W_hh^T + b_hh (the same array as DXP
      when the kernel has no separate path), dstate0 a tuple of (N, H) initial-state gradients.
    """
    T = S[0].shape[0] - 1
    N, H = S[0].shape[1:]
    GH = W_hh.shape[0]
    dtype = S[0].dtype
    DXP = np.empty((T, N, GH), dtype)
    DHP = np.empty((T, N, GH), dtype) if kernel.separate_dhp else DXP
    d = [np.zeros((N, H), dtype) if g is None else np.array(g, dtype=dtype) for g in dfinal]
    if dY is not None and mask is not None:
        dY = np.where(mask, dY, 0)
    for k in range(T - 1, -1, -1):
        if dY is not None:
            d[0] += dY[k]
        if dS is not None:
            for rec, di in zip(dS, d):
                rec[k + 1] = di
        prev = tuple(s[k] for s in S)
        if mask is None:
            dcand, carry = d, None
        else:
            m = mask[k]
            dcand = [np.where(m, di, 0) for di in d]
            carry = [np.where(m, 0, di) for di in d]
        out = DXP[k]
        dxp, dhp, direct = kernel.backward_step(ws, k, tuple(dcand), prev, out)  # dxp written into out
        if dxp is not out:
            out[...] = dxp
        if kernel.separate_dhp:
            DHP[k] = dhp
        d_prev = [np.dot(dhp, W_hh)]  # dh_{k-1} through h W_hh^T: (N, G*H) @ (G*H, H)
        d_prev += [np.zeros((N, H), dtype) for _ in range(kernel.n_states - 1)]
        for i, g in enumerate(direct):
            if g is not None:
                d_prev[i] += g
        if carry is not None:
            for i in range(kernel.n_states):
                d_prev[i] += carry[i]
        d = d_prev
    if dS is not None:
        for rec, di in zip(dS, d):
            rec[0] = di
    return DXP, DHP, tuple(d)
