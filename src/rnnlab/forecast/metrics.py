"""Point-forecast errors as the forecasting competitions define them, and interval coverage.

For actuals y (H,), forecasts f (H,), and the in-sample history x (n,) with season length m:

    MAE   = mean |y - f|
    RMSE  = sqrt(mean (y - f)^2)
    sMAPE = 200 / H * sum |y - f| / (|y| + |f|)              (M4; a term with y = f = 0 counts 0)
    MASE  = MAE / (1 / (n - m) * sum_{t > m} |x_t - x_{t-m}|)  (Hyndman & Koehler 2006: scaled by the
                                                               in-sample seasonal-naive MAE; m = 1: naive)
    coverage = mean [lo <= y <= hi]
"""

from __future__ import annotations

import numpy as np

__all__ = ["mae", "rmse", "smape", "mase", "coverage", "scale", "errors", "METRICS"]

METRICS = ("mae", "rmse", "smape", "mase")


def mae(y: np.ndarray, f: np.ndarray) -> float:
    return float(np.mean(np.abs(y - f)))


def rmse(y: np.ndarray, f: np.ndarray) -> float:
    return float(np.sqrt(np.mean((y - f) ** 2)))


def smape(y: np.ndarray, f: np.ndarray) -> float:
    den = np.abs(y) + np.abs(f)
    return float(200 * np.mean(np.where(den > 0, np.abs(y - f) / np.where(den > 0, den, 1), 0.0)))


def scale(history: np.ndarray, m: int) -> float:
    """The in-sample MAE of the seasonal-naive forecast (naive when the history is shorter than 2m)."""
    history = np.asarray(history, np.float64)
    m = m if len(history) > m else 1
    if len(history) < 2:
        raise ValueError("MASE needs at least two in-sample points")
    return float(np.mean(np.abs(history[m:] - history[:-m])))


def mase(y: np.ndarray, f: np.ndarray, history: np.ndarray, m: int) -> float:
    s = scale(history, m)
    return mae(y, f) / s if s > 0 else float("inf")


def coverage(y: np.ndarray, lo: np.ndarray, hi: np.ndarray) -> float:
    return float(np.mean((lo <= y) & (y <= hi)))


def errors(y: np.ndarray, f: np.ndarray, history: np.ndarray, m: int) -> dict[str, float]:
    """Every metric of one forecast window."""
    return {"mae": mae(y, f), "rmse": rmse(y, f), "smape": smape(y, f), "mase": mase(y, f, history, m)}
