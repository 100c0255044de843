"""Simple exponential smoothing, the level that ``--window-norm level`` takes out of each window (the
level of exponential smoothing, as ES-RNN's hybrid does, in stages: fitted first, per series):

    l_0 = x_0,   l_t = alpha x_t + (1 - alpha) l_{t-1}
    alpha = the value of ALPHAS whose one-step forecasts l_{t-1} of x_t have the least squared error
            over the training part
"""

from __future__ import annotations

import numpy as np

__all__ = ["ALPHAS", "fit_alpha", "levels"]

ALPHAS = np.round(np.arange(0.05, 1.0001, 0.05), 2)


def levels(x: np.ndarray, alpha: float) -> np.ndarray:
    """l (n, ...) of x (n, ...): the smoothed level after each step (per column)."""
    x = np.asarray(x, np.float64)
    out = np.empty_like(x)
    level = x[0]
    for t in range(len(x)):
        level = alpha * x[t] + (1 - alpha) * level
        out[t] = level
    return out


def fit_alpha(x: np.ndarray) -> float:
    """The alpha of ALPHAS with the least sum of (x_t - l_{t-1})^2 over x (n,)."""
    x = np.asarray(x, np.float64)
    if len(x) < 3:
        return 1.0
    errors = [float(np.sum((x[1:] - levels(x, a)[:-1]) ** 2)) for a in ALPHAS]
    return float(ALPHAS[int(np.argmin(errors))])
