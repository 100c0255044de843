"""Rolling-origin evaluation (Tashman 2000): every method forecasts the last K windows of H points
of each series from the history before each window (an expanding window), never shuffled.

For a series of n points the test origins are o_k = n - (K - k + 1) H, k = 1..K: the method sees
x[:o_k] and forecasts x[o_k : o_k + H]. Before them lie the calibration origins c = o_1 - K H ...
o_1 - H (every step: their windows fill [o_1 - K H, o_1)): the network (``NetworkMethod``) trains on
x[:o_1 - K H] and picks its best weights on those windows, so they are its validation windows too.

Prediction intervals are split conformal (Lei et al. 2018) with an expanding calibration set, from
each method's own past errors. The method also forecasts at every origin c from o_1 - K H to o_K;
the residual of origin c is r_c = (x[c : c + H] - f_c) / s(x[:c]) (H,), scaled by the in-sample
seasonal-naive MAE s of its history (``metrics.scale``). The interval of test window k uses the n
residuals whose windows were observed before its origin, c + H <= o_k (pooled over series, each by
its own o_k): for horizon step h at level p it is f_h +- s(x[:o_k]) q_h, q_h the ceil((n + 1) p) / n
quantile of |r_{.,h}|. So later test windows learn from the errors of earlier ones, as a forecaster
in use would; the interval saved for forecasts past the end of the data (``interval``) pools every
residual, c <= o_K. The absolute residual makes the band symmetric: a refit network (``--refit``)
forecasts the test windows while the held-out one made the calibration errors, whose bias it need
not share.
"""

from __future__ import annotations

import numpy as np

from .metrics import METRICS, coverage, errors, scale

__all__ = ["origins", "conformal_quantile", "forecast_every_origin", "validation_mase", "rolling_origin"]


def origins(n: int, horizon: int, folds: int) -> tuple[list[int], list[int]]:
    """(test origins, calibration origins) of a series of n points."""
    test = [n - (folds - k) * horizon for k in range(folds)]
    first = test[0] - folds * horizon
    return test, list(range(max(first, 2), test[0] - horizon + 1))


def conformal_quantile(a: np.ndarray, level: float) -> np.ndarray:
    """The split-conformal quantile of the n values a (n, ...) along axis 0: the ceil((n + 1) p) / n one,
    the largest when that exceeds 1."""
    return np.quantile(a, min(1.0, np.ceil((len(a) + 1) * level) / len(a)), axis=0, method="higher")


def _band(residuals: list[np.ndarray], level: float, horizon: int) -> tuple[np.ndarray, np.ndarray]:
    """(-q, q) (H,): q the conformal quantile of the absolute residuals [(H,)] per step, NaN when none."""
    if not residuals:
        return np.full(horizon, np.nan), np.full(horizon, np.nan)
    q = conformal_quantile(np.abs(np.array(residuals)), level)
    return -q, q


def forecast_every_origin(method, series: list, horizon: int, folds: int, progress: bool = False,
                          valid_only: bool = False, test_only: bool = False
                          ) -> tuple[list[dict[int, np.ndarray]], list[list[tuple[int, np.ndarray]]]]:
    """(forecasts, residuals) of ``method`` at every origin c from each series' first calibration
    origin to its last test one (``valid_only``: to the last whose window ends before the first test
    origin; ``test_only``: at the test origins alone): per series {c: f_c (H,)} and [(c, r_c (H,))] in
    order of c, r_c the error in scale units (the module's docstring). The method is prepared on the
    histories before each series' first test origin."""
    from tqdm import tqdm

    plans = [origins(len(s.values), horizon, folds) for s in series]

    def past(s, o):
        return s.values[:o] if getattr(method, "multichannel", False) else s.values[:o, 0]

    method.prepare([past(s, test[0]) for s, (test, _) in zip(series, plans)])
    spans = [test if test_only else range(cal[0] if cal else test[0],
                                          (test[0] - horizon if valid_only else test[-1]) + 1)
             for test, cal in plans]
    bar = tqdm(total=sum(map(len, spans)), desc=f"{method.name:>14}", disable=None if progress else True,
               leave=False, unit="forecast")
    forecasts, residuals = [], []
    for i, (s, span) in enumerate(zip(series, spans)):
        forecasts.append({}), residuals.append([])
        for c in span:
            f = forecasts[i][c] = method.forecast(i, past(s, c), horizon)
            width = max(scale(s.values[:c, 0], s.season), 1e-12)
            residuals[i].append((c, (s.values[c:c + horizon, 0] - f) / width))
            bar.update()
    bar.close()
    return forecasts, residuals


def validation_mase(method, series: list, horizon: int, folds: int) -> float:
    """The mean MASE of ``method`` over the calibration windows (targets before each series' first test
    origin): what settings may be chosen by; ``rolling_origin``'s valid_mase without the test windows."""
    _, residuals = forecast_every_origin(method, series, horizon, folds, valid_only=True)
    return float(np.mean([np.mean(np.abs(r)) for rs in residuals for _, r in rs]))


def rolling_origin(methods: list, series: list, horizon: int, folds: int, level: float = 0.8,
                   progress: bool = False, test_only: bool = False) -> dict[str, dict]:
    """{method name: {mae, rmse, smape, mase (means over series and test windows), coverage (of the
    level-p interval over every test point), valid_mase (the mean MASE over the calibration windows:
    what settings may be chosen by), windows: [[{origin, forecast, lo, hi}] per series],
    interval: {level, lo, hi: the band per step in scale units, from every origin}, fallbacks}}.
    ``series`` are ``rnnlab.data.series.Series``; each method has ``prepare`` and ``forecast`` (see
    ``baselines``); a method with ``multichannel`` True gets histories (n, D), the others (n,).
    ``test_only``: forecast at the test origins alone (no calibration windows: coverage and valid_mase
    NaN), for methods whose every fit is slow, measured on many series."""
    plans = [origins(len(s.values), horizon, folds) for s in series]
    out = {}
    for method in methods:
        forecasts, residuals = forecast_every_origin(method, series, horizon, folds, progress, test_only=test_only)

        def known(k):  # the residuals of every window observed before each series' k-th test origin
            return [r for (test, _), rs in zip(plans, residuals) for c, r in rs if c + horizon <= test[k]]

        valid = [np.mean(np.abs(r)) for r in known(0)]  # the calibration windows
        rows, windows, inside, measured = [], [[] for _ in series], [], 0
        for k in range(folds):
            pool = known(k)
            q_lo, q_hi = _band(pool, level, horizon)
            for i, (s, (test, _)) in enumerate(zip(series, plans)):
                o = test[k]
                f, y, history = forecasts[i][o], s.values[o:o + horizon, 0], s.values[:o, 0]
                width = scale(history, s.season)
                lo, hi = f + q_lo * width, f + q_hi * width
                rows.append(errors(y, f, history, s.season))
                if pool:
                    inside.append(coverage(y, lo, hi) * horizon)
                    measured += horizon
                windows[i].append({"origin": o, "forecast": f.tolist(), "lo": lo.tolist(), "hi": hi.tolist()})
        q_lo, q_hi = _band([r for rs in residuals for _, r in rs], level, horizon)
        out[method.name] = {m: float(np.mean([r[m] for r in rows])) for m in METRICS} | {
            "coverage": float(np.sum(inside) / measured) if measured else float("nan"),
            "valid_mase": float(np.mean(valid)) if valid else float("nan"),
            "windows": windows, "fallbacks": getattr(method, "fallbacks", 0),
            "interval": {"level": level, "lo": q_lo.tolist(), "hi": q_hi.tolist()}}
    return out
