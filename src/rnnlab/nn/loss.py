"""Softmax cross-entropy, numerically stable, mean over (unmasked) tokens.

    logits z (..., V), targets y (...) integers in [0, V), optional mask w (...) of 0/1
    loss = - sum_j w_j log softmax(z_j)[y_j] / sum_j w_j
    dz_j = w_j (softmax(z_j) - onehot(y_j)) / sum_j w_j
"""

from __future__ import annotations

import numpy as np

from .module import Module

__all__ = ["SoftmaxCrossEntropy"]


class SoftmaxCrossEntropy(Module):

    def forward(self, logits: np.ndarray, targets: np.ndarray, mask: np.ndarray | None = None) -> float:
        """Mean negative log-likelihood in nats over the tokens where ``mask`` is non-zero; a real-valued
        ``mask`` weighs each position (sum w nll / sum w, as PyTorch's class weights do)."""
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
        w = None if mask is None else np.asarray(mask, logits.dtype).reshape(-1)
        if w is not None and w.shape != y.shape:
            raise ValueError(f"mask must have shape {targets.shape}, got {np.shape(mask)}")
        count = y.size if w is None else w.sum()
        if count <= 0:
            raise ValueError("cross-entropy over zero tokens: the mask selects nothing")
        # p = exp(z - m) and s = sum p per row are kept; backward forms softmax = p / s in the same pass
        # that scales it (dividing here would cost one more pass over the (M, V) array).
        m = z.max(axis=1, keepdims=True)  # (M, 1)
        p = np.subtract(z, m)
        np.exp(p, out=p)
        s = p.sum(axis=1)
        nll = np.log(s) + m[:, 0] - z[np.arange(y.size), y]  # (M,) -log softmax(z)[y]
        self._save((p, s, y, w, count, logits.shape))
        return float((nll if w is None else nll * w).sum(dtype=np.float64) / count)

    def backward(self, dloss: float = 1.0) -> np.ndarray:
        """Gradient of ``dloss * loss`` with respect to the logits, shape of the logits.

        Once per forward: the exponentials stored by forward become the gradient in place."""
        p, s, y, w, count, shape = self._take()  # dz overwrites p in place
        scale = np.full(y.size, dloss / count) if w is None else w * (dloss / count)  # (M,) per-row weight
        dz = p
        dz *= (scale / s).astype(dz.dtype)[:, None]  # w (softmax) / count: one pass
        dz[np.arange(y.size), y] -= scale.astype(dz.dtype)  # w (softmax - onehot) / count
        return dz.reshape(shape)
