"""Softmax cross-entropy, numerically stable, mean over (unmasked) tokens.

    logits z (..., V), targets y (...) integers in [0, V), optional mask w (...) of 0/1
    loss = - sum_j w_j log softmax(z_j)[y_j] / sum_j w_j
    dz_j = w_j (softmax(z_j) - onehot(y_j)) / sum_j w_j
"""

from __future__ import annotations

import numpy as np

from ..functional import log_softmax

__all__ = ["SoftmaxCrossEntropy"]


class SoftmaxCrossEntropy:
    def __init__(self) -> None:
        self._cache = None

    def forward(self, logits: np.ndarray, targets: np.ndarray, mask: np.ndarray | None = None) -> float:
        """Mean negative log-likelihood in nats over the tokens where ``mask`` is non-zero."""
        targets = np.asarray(targets)
        if logits.ndim < 1 or logits.shape[:-1] != targets.shape:
            raise ValueError(f"logits (..., V) and targets (...) disagree: {logits.shape} vs {targets.shape}")
        if not np.issubdtype(targets.dtype, np.integer):
            raise ValueError(f"targets must be integers, got dtype {targets.dtype}")
        V = logits.shape[-1]
        if targets.size and (targets.min() < 0 or targets.max() >= V):
            raise ValueError(f"targets must lie in [0, {V}), got min {targets.min()} and max {targets.max()}")
        z = logits.reshape(-1, V)
        y = targets.reshape(-1)
        w = np.ones(y.shape, logits.dtype) if mask is None else np.asarray(mask, logits.dtype).reshape(-1)
        if w.shape != y.shape:
            raise ValueError(f"mask must have shape {targets.shape}, got {np.shape(mask)}")
        count = w.sum()
        if count <= 0:
            raise ValueError("cross-entropy over zero tokens: the mask selects nothing")
        logp = log_softmax(z)  # (M, V)
        nll = -logp[np.arange(y.size), y]  # (M,)
        self._cache = (logp, y, w, count, logits.shape)
        return float((nll * w).sum() / count)

    __call__ = forward

    def backward(self, dloss: float = 1.0) -> np.ndarray:
        """Gradient of ``dloss * loss`` with respect to the logits, shape of the logits."""
        if self._cache is None:
            raise RuntimeError("backward called before forward")
        logp, y, w, count, shape = self._cache
        dz = np.exp(logp)  # softmax
        dz[np.arange(y.size), y] -= 1
        dz *= (w * (dloss / count))[:, None].astype(dz.dtype)
        return dz.reshape(shape)
