"""Backpropagation through time, the work outside the time loop: the input projection of every step
before it, the weight gradients of every step after it, each one matrix product. The loop itself,
forward and backward, is the backend's (``rnnlab.backends``: the NumPy reference loop, or the compiled
one); its equations are in ``rnnlab.backends.reference``.

Shapes: T steps, N batch, D input, H hidden, G gates, in processing order (step k is time t = k for
the forward direction and t = T-1-k for the reverse one; the caller flips its inputs and outputs).
"""

from __future__ import annotations

import numpy as np

from ..functional import sum_rows

__all__ = ["fold_biases", "project_inputs", "weight_gradients"]


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
