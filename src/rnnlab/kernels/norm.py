"""Layer normalisation of each row of a step's arrays, without gain or shift (the cells add their own):

    v (N, K) -> v_hat = (v - mu) / s,   mu = mean_k v,   s = sqrt(mean_k (v - mu)^2 + eps)

Backward, given dv_hat (the gradient of v_hat):

    dv = (dv_hat - mean_k dv_hat - v_hat * mean_k (dv_hat * v_hat)) / s
"""

from __future__ import annotations

import numpy as np

__all__ = ["EPS", "normalise", "normalise_backward"]

EPS = 1e-5


def normalise(v: np.ndarray, out: np.ndarray, s_out: np.ndarray) -> np.ndarray:
    """v_hat of v (N, K) into ``out`` (N, K), s into ``s_out`` (N, 1); returns ``out``."""
    mu = v.mean(axis=-1, keepdims=True)
    np.subtract(v, mu, out=out)
    np.sqrt((out * out).mean(axis=-1, keepdims=True) + v.dtype.type(EPS), out=s_out)
    out /= s_out
    return out


def normalise_backward(dv_hat: np.ndarray, v_hat: np.ndarray, s: np.ndarray) -> np.ndarray:
    """dL/dv (N, K) from dL/dv_hat, v_hat (N, K) and s (N, 1)."""
    return (dv_hat - dv_hat.mean(axis=-1, keepdims=True)
            - v_hat * (dv_hat * v_hat).mean(axis=-1, keepdims=True)) / s
