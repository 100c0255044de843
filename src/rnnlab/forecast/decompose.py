"""Classical multiplicative decomposition and the seasonality test of the M4 competition's benchmarks
(Makridakis et al. 2020; their R code), as Naive2 and the deseasonalised methods use them.

Seasonality test, for season m > 1 and n >= 3m points, with r_k the sample autocorrelation at lag k:

    seasonal  <=>  |r_m| > 1.645 sqrt((1 + 2 sum_{k<m} r_k^2) / n)          (90%, one-sided)

Seasonal indices (R's decompose(type = "multiplicative"), statsmodels' seasonal_decompose):

    trend_t  = the centred moving average of order m (2 x m for an even m: weights 1/2m at both ends)
    ratio_t  = x_t / trend_t  where the trend is defined
    s_j      = mean of ratio_t over t = j (mod m), then divided by the mean of s_0..s_{m-1}
    index of step t = s_{t mod m}, t counted from the first point
"""

from __future__ import annotations

import numpy as np

__all__ = ["is_seasonal", "seasonal_indices"]


def is_seasonal(x: np.ndarray, m: int) -> bool:
    """Whether x (n,) passes the M4 benchmarks' 90% autocorrelation test at lag m."""
    x = np.asarray(x, np.float64)
    n = len(x)
    if m <= 1 or n < 3 * m:
        return False
    d = x - x.mean()
    denominator = float(d @ d)
    if denominator == 0:
        return False
    r = np.array([float(d[:n - k] @ d[k:]) / denominator for k in range(1, m + 1)])
    limit = 1.645 * np.sqrt((1 + 2 * np.sum(r[:m - 1] ** 2)) / n)
    return bool(abs(r[m - 1]) > limit)


def seasonal_indices(x: np.ndarray, m: int) -> np.ndarray:
    """s (m,) of x (n,) (n >= 2m, every value > 0): x_t / s_{t mod m} is x seasonally adjusted."""
    x = np.asarray(x, np.float64)
    weights = np.full(m + 1, 1.0 / m) if m % 2 == 0 else np.full(m, 1.0 / m)
    if m % 2 == 0:
        weights[0] = weights[-1] = 0.5 / m
    half = len(weights) // 2
    trend = np.full(len(x), np.nan)
    trend[half:len(x) - half] = np.convolve(x, weights, mode="valid")
    ratio = x / trend
    s = np.array([np.nanmean(ratio[j::m]) for j in range(m)])
    return s / s.mean()
