"""Elementwise functions used by the layers, written to be stable and allocation-aware.

``sigmoid`` takes an optional ``out`` array so that the time loop can reuse buffers.
"""

from __future__ import annotations

import numpy as np

__all__ = ["sigmoid", "softmax"]


def sigmoid(x: np.ndarray, out: np.ndarray | None = None) -> np.ndarray:
    """sigma(x) = 1 / (1 + exp(-x)), computed as (1 + tanh(x / 2)) / 2.

    The tanh form never overflows (``np.exp(-x)`` does for x < -88 in float32), and it is
    exact to rounding in both float32 and float64.
    """
    out = np.multiply(x, 0.5, out=out)
    np.tanh(out, out=out)
    out += 1.0
    out *= 0.5
    return out


def softmax(z: np.ndarray, axis: int = -1) -> np.ndarray:
    """softmax(z) = exp(z - max z) / sum exp(z - max z)."""
    e = np.exp(z - z.max(axis=axis, keepdims=True))
    e /= e.sum(axis=axis, keepdims=True)
    return e
