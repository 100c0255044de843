"""Gradient clipping.

clip_grad_norm: ||g|| = sqrt(sum over all tensors of sum g^2); if ||g|| > max_norm, every g is
scaled by max_norm / ||g|| (as torch.nn.utils.clip_grad_norm_, which adds 1e-6 to the denominator).
"""

from __future__ import annotations

import math

import numpy as np

__all__ = ["clip_grad_norm", "clip_grad_value", "global_norm"]


def global_norm(grads) -> float:
    return math.sqrt(sum(float(np.dot(g.ravel(), g.ravel())) for g in grads))


def clip_grad_norm(grads, max_norm: float) -> float:
    """Scale ``grads`` in place to global norm <= max_norm; return the norm *before* clipping."""
    grads = list(grads)
    norm = global_norm(grads)
    if math.isfinite(norm) and norm > max_norm:
        scale = max_norm / (norm + 1e-6)
        for g in grads:
            g *= scale
    return norm


def clip_grad_value(grads, clip_value: float) -> None:
    """Clamp every gradient element to [-clip_value, clip_value] in place."""
    for g in grads:
        np.clip(g, -clip_value, clip_value, out=g)
