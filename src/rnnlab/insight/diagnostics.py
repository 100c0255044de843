"""Gradient flow and gate activity of a network on a batch: the vanishing and exploding picture.

``trace(model, run_batch)`` runs one forward and backward of a model through its own code path
(``run_batch()`` is, for example, ``lambda: task.forward_backward(batch)``), in eval mode (no dropout),
and records what the top recurrent layer (forward direction) received: its input, initial state,
lengths, and the gradient the head sent into its outputs and final state. It then replays that layer
with the reference time loop (``rnnlab.backends.reference``, the same kernels), which also records the
total gradient of every state (``Trace.dS``). From a trace:

    lag_norms(tr)           ||dL/dh_t||, mean over the sequences, against the lag j = len - 1 - t
                            (t = each sequence's last valid step at j = 0)
    step_jacobian(tr, k, n) J_k = d s_{k+1} / d s_k for sequence n, s the whole state ((h, c) for an
                            LSTM: 2H x 2H); its singular values say how much one step can stretch or
                            shrink a gradient (products of them vanish or explode over many steps)
    gate_saturation(tr)     per gate and unit, the fraction of valid steps with the gate < 0.1 (left)
                            and > 0.9 (right) (Karpathy, Johnson & Fei-Fei 2015)
    parameter_norms(model)  ||dL/dW|| of every parameter after the traced backward

Everything is float64-checkable: the tests compare dS and J_k with central differences.
"""

from __future__ import annotations

from contextlib import contextmanager
from dataclasses import dataclass

import numpy as np

from ..backends import reference
from ..nn.bptt import project_inputs

__all__ = ["Trace", "trace", "lag_norms", "step_jacobian", "singular_values", "gate_saturation", "parameter_norms"]



@dataclass
class Trace:
    """The top recurrent layer's forward and backward on one batch (processing order k = 0..T-1).

    S, dS   tuples of (T+1, N, H): the states (h first) and dL/dstate, S[i][0] the initial state
    ws      the kernel's workspace (gate activations of every step)
    mask    (T, N, 1) valid steps, or None; lengths (N,)
    XP      (T, N, G*H) input pre-activations; W_hh, b_rest the layer's recurrent weight and the part of
            b_hh added inside the loop
    """

    cell: str
    kernel: object
    S: tuple
    dS: tuple
    ws: dict
    mask: np.ndarray | None
    lengths: np.ndarray
    XP: np.ndarray
    W_hh: np.ndarray
    b_rest: np.ndarray | None


@contextmanager
def _recording(layer, seen: dict):
    """Record (copies of) what ``layer``'s forward and backward are called with, calling through (a fast
    backend may reuse the upstream gradient's memory as scratch)."""
    forward, backward = layer.forward, layer.backward

    def copy(a):
        return tuple(copy(p) for p in a) if isinstance(a, tuple) else None if a is None else np.array(a)

    def fwd(x, state=None, lengths=None, *, projected=False):
        seen.update(x=copy(x), state=copy(state), lengths=lengths, projected=projected)
        return forward(x, state, lengths, projected=projected)

    def bwd(d_output, d_final_state=None):
        seen.update(d_output=copy(d_output), d_final_state=copy(d_final_state))
        return backward(d_output, d_final_state)

    layer.forward, layer.backward = fwd, bwd
    try:
        yield
    finally:
        del layer.forward, layer.backward


def _top_rnn(model):
    rnn = getattr(model, "rnn", None)
    if rnn is None or not hasattr(rnn, "kernel"):
        raise ValueError(f"{type(model).__name__} has no recurrent stack (.rnn) to trace: inspecting a TCN, "
                         f"Transformer or MLP run is not supported (train with --arch rnn)")
    if getattr(rnn, "proj_size", 0):
        raise ValueError("inspecting an LSTM with projections (--proj-size) is not supported yet")
    return rnn


def trace(model, run_batch) -> Trace:
    """Run ``run_batch()`` (a forward and backward of ``model``) in eval mode, gradients zeroed first, and
    replay the top recurrent layer's forward direction with every state gradient recorded."""
    rnn = _top_rnn(model)
    seen: dict = {}
    was_training = model.training
    model.eval()
    model.zero_grad()
    try:
        with _recording(rnn, seen):
            run_batch()
    finally:
        model.train(was_training)
    if "d_output" not in seen:
        raise ValueError("the batch ran no backward through the recurrent stack")
    x, kernel, H, L = seen["x"], rnn.kernel, rnn.hidden_size, rnn.num_layers
    T, N = x.shape[:2]
    lengths = np.full(N, T) if seen["lengths"] is None else np.asarray(seen["lengths"])
    mask = None if seen["lengths"] is None else (np.arange(T)[:, None] < lengths[None, :])[:, :, None]
    dirs = rnn.num_directions
    state0 = rnn._state_tuple("initial state", seen["state"], N)
    inp = x
    for layer in range(L):  # replay the stack (eval mode: no dropout between layers)
        outs = []
        for d, sfx in enumerate(rnn._suffixes()[:1] if layer == L - 1 else rnn._suffixes()):
            p = rnn._layer_params(layer, sfx)
            first = seen["projected"] and layer == 0
            XP, b_rest = project_inputs(kernel, inp, None if first else p["weight_ih"], p.get("bias_ih"), p.get("bias_hh"))
            s0 = tuple(np.zeros((N, H), x.dtype) if s is None else s[layer * dirs + d] for s in state0)
            rev = d == 1
            m = None if mask is None else (mask[::-1] if rev else mask)
            kernel = rnn.direction_kernel(layer, sfx)
            if kernel.step_params:  # the replay's gradients go to arrays of its own, not the layer's
                kernel = kernel.bind(kernel.p, {n: np.zeros_like(v) for n, v in kernel.p.items()})
            S, ws = reference.forward_direction(kernel, XP[::-1] if rev else XP, s0, p["weight_hh"], b_rest, m)
            Y = S[0][1:] if m is None else np.where(m, S[0][1:], 0)
            outs.append(Y[::-1] if rev else Y)
        inp = np.concatenate(outs, axis=2)
    W_hh = p["weight_hh"]  # the top layer's forward direction: the last one replayed
    dY = seen["d_output"]
    dY = None if dY is None else dY[:, :, :H]
    dfinal = rnn._state_tuple("d_final_state", seen["d_final_state"], N, allow_none_parts=True)
    dfinal = tuple(None if g is None else g[(L - 1) * dirs] for g in dfinal)
    dS = tuple(np.zeros_like(s) for s in S)
    reference.backward_direction(kernel, ws, S, dY, dfinal, W_hh, mask, dS)
    return Trace(rnn.mode, kernel, S, dS, ws, mask, lengths, XP, W_hh, b_rest)


def lag_norms(tr: Trace) -> np.ndarray:
    """(min length,) mean over sequences of ||dL/dh_t|| at lag j = len - 1 - t, j = 0, 1, ..."""
    dh = tr.dS[0][1:]  # (T, N, H): dL/dh after step k
    norms = np.linalg.norm(dh, axis=2)  # (T, N)
    span = int(tr.lengths.min())
    cols = np.arange(len(tr.lengths))
    return np.array([norms[tr.lengths - 1 - j, cols].mean() for j in range(span)])


def step_jacobian(tr: Trace, k: int, n: int) -> np.ndarray:
    """J (S, S) = d s_{k+1} / d s_k of sequence n, S = n_states * H, rows and columns ordered as the
    state tuple (h, then c): the kernel's backward applied to each basis vector of the new state."""
    kernel, H = tr.kernel, tr.W_hh.shape[1]
    size = kernel.n_states * H
    if tr.mask is not None and not tr.mask[k, n, 0]:
        return np.eye(size)  # a padded step carries the state unchanged
    prev = tuple(np.repeat(s[k][n:n + 1], size, axis=0) for s in tr.S)  # (size, H) each
    hp = prev[0] @ tr.W_hh.T
    if tr.b_rest is not None:
        hp[:, hp.shape[1] - tr.b_rest.shape[0]:] += tr.b_rest
    ws = kernel.workspace(1, size, H, tr.XP.dtype)
    kernel.forward_step(ws, 0, np.repeat(tr.XP[k][n:n + 1], size, axis=0), hp, prev)
    basis = np.eye(size, dtype=tr.XP.dtype)
    dstate = tuple(basis[:, i * H:(i + 1) * H] for i in range(kernel.n_states))
    _, dhp, direct = kernel.backward_step(ws, 0, dstate, prev)
    rows = [dhp @ tr.W_hh] + [np.zeros((size, H), tr.XP.dtype) for _ in range(kernel.n_states - 1)]
    for i, g in enumerate(direct):
        if g is not None:
            rows[i] = rows[i] + g
    return np.concatenate(rows, axis=1)  # row j: e_j^T J


def singular_values(tr: Trace, n: int = 0) -> np.ndarray:
    """(len_n, S) singular values of each step's Jacobian along sequence n, largest first."""
    return np.array([np.linalg.svd(step_jacobian(tr, k, n), compute_uv=False) for k in range(int(tr.lengths[n]))])


def gate_saturation(tr: Trace) -> dict[str, tuple[np.ndarray, np.ndarray]]:
    """{gate: (left (H,), right (H,))}: the fraction of valid steps of all sequences where each unit's
    gate is < 0.1 and > 0.9, for the sigmoid gates of an LSTM (input, forget, output) or GRU (reset,
    update); empty for a plain RNN."""
    if "act" not in tr.ws:
        return {}
    act = tr.ws["act"]  # (T, G, N, H)
    valid = np.ones(act.shape[0:1] + act.shape[2:3], bool) if tr.mask is None else tr.mask[:, :, 0]  # (T, N)
    out = {}
    for g in tr.kernel.sigmoid_gates:
        a = act[:, g][valid]  # (valid steps, H)
        out[tr.kernel.titles()[g]] = ((a < 0.1).mean(axis=0), (a > 0.9).mean(axis=0))
    return out


def parameter_norms(model) -> dict[str, float]:
    """||dL/dp|| of every parameter (after a ``trace`` or any backward)."""
    return {name: float(np.linalg.norm(g)) for name, _, g in model.named_parameters()}
