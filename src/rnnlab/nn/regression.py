"""Regression losses: mean squared error and mean absolute error, mean over every element.

    predictions f (...), targets y (...) of the same shape, M elements
    MSE = sum (f - y)^2 / M           dL/df = 2 (f - y) / M
    MAE = sum |f - y| / M             dL/df = sign(f - y) / M   (0 where f = y, as PyTorch's L1Loss)
"""

from __future__ import annotations

import numpy as np

from .module import Module

__all__ = ["MSELoss", "L1Loss", "regression_loss"]


class _Regression(Module):
    def forward(self, predictions: np.ndarray, targets: np.ndarray) -> float:
        targets = np.asarray(targets)
        if predictions.shape != targets.shape:
            raise ValueError(f"predictions and targets disagree: {predictions.shape} vs {targets.shape}")
        if predictions.size == 0:
            raise ValueError("a regression loss over zero elements")
        diff = predictions - targets.astype(predictions.dtype)
        self._save(diff)
        return float(self._value(diff).sum(dtype=np.float64) / diff.size)

    def backward(self, dloss: float = 1.0) -> np.ndarray:
        """Gradient of ``dloss * loss`` with respect to the predictions (their shape)."""
        diff = self._take()
        return self._slope(diff) * diff.dtype.type(dloss / diff.size)


class MSELoss(_Regression):
    _value = staticmethod(np.square)

    @staticmethod
    def _slope(diff):
        return 2 * diff


class L1Loss(_Regression):
    _value = staticmethod(np.abs)
    _slope = staticmethod(np.sign)


def regression_loss(name: str) -> _Regression:
    """``mse`` or ``mae``."""
    losses = {"mse": MSELoss, "mae": L1Loss}
    if name not in losses:
        raise ValueError(f"unknown loss {name!r}; expected mse or mae")
    return losses[name]()
