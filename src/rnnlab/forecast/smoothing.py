"""Simple exponential smoothing, the level that ``--window-norm level`` takes out of each window (the
level of exponential smoothing, as ES-RNN's hybrid does, in stages: fitted first, per series):

    l_0 = x_0,   l_t = alpha x_t + (1 - alpha) l_{t-1}
    alpha = the value of ALPHAS whose one-step forecasts l_{t-1} of x_t have the least squared error
            over the training part

and the Theta method's forecast path (``--window-norm theta``; Hyndman & Billah 2003, theta = 2: simple
exponential smoothing with half the slope b of the least-squares line through the n points as drift):

    f_h = l_n + b / 2 * ((h - 1) + 1 / alpha - (1 - alpha)^n / alpha),   h = 1 .. H
"""

from __future__ import annotations

import numpy as np

__all__ = ["ALPHAS", "fit_alpha", "levels", "theta_drift", "theta_path"]

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


def theta_drift(x: np.ndarray, alpha: float, h: int) -> np.ndarray:
    """f_h - l_n (h,) of x (n,): what the Theta method adds to the last level 1..h steps past x's end."""
    x = np.asarray(x, np.float64)
    n = len(x)
    t = np.arange(n) - (n - 1) / 2
    b = float(t @ (x - x.mean()) / (t @ t)) if n > 1 else 0.0
    return b / 2 * (np.arange(h) + 1 / alpha - (1 - alpha) ** n / alpha)


def theta_path(x: np.ndarray, alpha: float, h: int) -> np.ndarray:
    """f (h,) of x (n,): the Theta method's forecasts 1..h steps past x's end."""
    return levels(x, alpha)[-1] + theta_drift(x, alpha, h)
