"""The time loop of one direction of one layer: forward and backpropagation through time.

Everything runs in *processing order*: step k = 0..T-1 is time t = k for the forward direction and
t = T-1-k for the reverse one (the caller flips its inputs and outputs). Work that does not depend
on the previous step is done outside the loop by the caller (the input projection) or after it
(the weight gradients, via ``DXP`` and ``DHP``).

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

from ..functional import sum_rows
from .split import backward_split, forward_split

__all__ = ["fold_biases", "project_inputs", "forward_direction", "backward_direction", "weight_gradients"]


def fold_biases(kernel, b_ih, b_hh):
    """(b_in, b_rest): b_in = b_ih + b_hh[:F] (G*H,) is constant across steps and joins the input
    projection; b_rest = b_hh[F:] (or None) must be added inside the loop, after h W_hh^T
    (GRU: b_hn sits inside r * (W_hn h + b_hn)). F = folded_hh_gates * H."""
    GH = b_ih.shape[0]
    F = kernel.folded_hh_gates * (GH // kernel.gates)
    b_in = b_ih.copy()
    b_in[:F] += b_hh[:F]
    return b_in, (b_hh[F:] if F < GH else None)


def project_inputs(kernel, X, W_ih, b_ih, b_hh):
    """The input pre-activations of every step in one matrix product.

    X (T, N, D), W_ih (G*H, D), biases (G*H,) or None. W_ih None means X is already X W_ih^T (T, N, G*H).
    Returns XP = X W_ih^T + b_ih + b_hh[:F]  (T, N, G*H), a new array, where the first F = folded_hh_gates * H
    entries of b_hh are constant across steps and fold in here, and b_hh[F:] (or None), which the
    kernel must add inside the loop (GRU: b_hn sits inside r * (W_hn h + b_hn)).
    """
    T, N, D = X.shape
    if b_ih is None:
        return (X.copy() if W_ih is None else (X.reshape(T * N, D) @ W_ih.T).reshape(T, N, -1)), None
    b_in, b_rest = fold_biases(kernel, b_ih, b_hh)
    if W_ih is None:
        return X + b_in, b_rest
    XP = (X.reshape(T * N, D) @ W_ih.T).reshape(T, N, W_ih.shape[0])
    XP += b_in
    return XP, b_rest


def forward_direction(kernel, XP, state0, W_hh, b_hh_rest, mask, keep=True):
    """Run ``kernel`` over T steps.

    XP: (T, N, G*H) input pre-activations, with b_ih and the folded part of b_hh already added.
    state0: tuple of (N, H) initial states.  W_hh: (G*H, H).
    b_hh_rest: (G*H - F,) the part of b_hh added inside the loop (F = folded entries), or None.
    mask: (T, N, 1) bool or None.  keep=False: no backward will follow, so the workspace holds one step.
    Returns (S, ws): S a tuple of (T+1, N, H) state sequences; ws the kernel's workspace (cache).
    """
    T, N, GH = XP.shape
    H = W_hh.shape[1]
    dtype = XP.dtype
    S = tuple(np.empty((T + 1, N, H), dtype) for _ in range(kernel.n_states))
    for s, s0 in zip(S, state0):
        s[0] = s0
    ws = kernel.workspace(T if keep else 1, N, H, dtype)
    if mask is None and forward_split(kernel, XP, W_hh, b_hh_rest, S, ws, keep):
        return S, ws  # run on several threads (split.py)
    # h W_hh^T is computed as its transpose W_hh h^T into a (G*H, N) buffer: with N small, OpenBLAS runs
    # this orientation 1.3-1.5x faster (32x512 @ 512x2048: 786 vs 1217 us on one core), which pays for
    # reading ``hp`` transposed in the kernel.
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
    return S, ws


def backward_direction(kernel, ws, S, dY, dfinal, W_hh, mask):
    """Backpropagate through the T steps of ``forward_direction``.

    dY: (T, N, H) gradient of the outputs y_k (processing order), or None.
    dfinal: tuple of (N, H) gradients of the final states (entries may be None).
    Returns (DXP, DHP, dstate0):
      DXP (T, N, G*H) gradient of the input pre-activations,
      DHP (T, N, G*H) gradient of the hidden pre-activations h W_hh^T + b_hh (the same array as DXP
      when the kernel has no separate path), dstate0 a tuple of (N, H) initial-state gradients.
    """
    if mask is None:
        done = backward_split(kernel, ws, S, dY, dfinal, W_hh)  # on several threads, when it applies (split.py)
        if done is not None:
            return done
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
    return DXP, DHP, tuple(d)


def weight_gradients(DXP, DHP, X, H_prev, grads):
    """Add the parameter gradients of all T steps into ``grads``, one product each.

    DXP, DHP (T, N, G*H); X (T, N, D) the inputs (None: leave weight_ih alone); H_prev (T, N, H) the state before each step, all in
    the same (processing) order. grads: weight_ih, weight_hh[, bias_ih, bias_hh], updated in place.
        dW_ih = sum_t DXP_t^T x_t     dW_hh = sum_t DHP_t^T h_{t-1}     db_ih = sum DXP   db_hh = sum DHP
    """
    T, N, GH = DXP.shape
    dxp2, dhp2 = DXP.reshape(T * N, GH), DHP.reshape(T * N, GH)
    if X is not None:
        grads["weight_ih"] += dxp2.T @ np.ascontiguousarray(X).reshape(T * N, -1)
    grads["weight_hh"] += dhp2.T @ H_prev.reshape(T * N, -1)
    if "bias_ih" in grads:
        db_ih = sum_rows(dxp2)
        grads["bias_ih"] += db_ih
        grads["bias_hh"] += db_ih if DHP is DXP else sum_rows(dhp2)
