"""Rolling-origin evaluation (Tashman 2000): every method forecasts the last K windows of H points
of each series from the history before each window (an expanding window), never shuffled.

For a series of n points the test origins are o_k = n - (K - k + 1) H, k = 1..K: the method sees
x[:o_k] and forecasts x[o_k : o_k + H]. Before them lie the calibration origins c = o_1 - K H ...
o_1 - H (every step: their windows fill [o_1 - K H, o_1)), where each method's errors set its
prediction interval: the residuals r = (x[c + k] - f_k) / s(x[:c]), scaled by the in-sample
seasonal-naive MAE s of their history (``metrics.scale``), pooled over series and calibration
origins per horizon step k; the interval at level p is f_k + s(x[:o]) [q_{(1-p)/2}(r_k),
q_{(1+p)/2}(r_k)]. The network (``NetworkMethod``) trains on x[:o_1 - K H] and picks its best weights
on those same calibration windows, so they are its validation windows too.
"""

from __future__ import annotations

import numpy as np

from .metrics import METRICS, coverage, errors, scale

__all__ = ["origins", "rolling_origin"]


def origins(n: int, horizon: int, folds: int) -> tuple[list[int], list[int]]:
    """(test origins, calibration origins) of a series of n points."""
    test = [n - (folds - k) * horizon for k in range(folds)]
    first = test[0] - folds * horizon
    return test, list(range(max(first, 2), test[0] - horizon + 1))


def rolling_origin(methods: list, series: list, horizon: int, folds: int, level: float = 0.8,
                   progress: bool = False) -> dict[str, dict]:
    """{method name: {mae, rmse, smape, mase (means over series and test windows), coverage (of the
    level-p interval over every test point), valid_mase (the mean MASE over the calibration windows:
    what settings may be chosen by), windows: [[{origin, forecast, lo, hi}] per series],
    interval: {level, lo, hi: the scaled residual quantiles per step}, fallbacks}}.
    ``series`` are ``rnnlab.data.series.Series``; each method has ``prepare`` and ``forecast`` (see
    ``baselines``); a method with ``multichannel`` True gets histories (n, D), the others (n,)."""
    from tqdm import tqdm

    plans = [origins(len(s.values), horizon, folds) for s in series]
    out = {}
    for method in methods:
        def past(s, o):
            return s.values[:o] if getattr(method, "multichannel", False) else s.values[:o, 0]

        method.prepare([past(s, test[0]) for s, (test, _) in zip(series, plans)])
        steps = sum(len(test) + len(cal) for test, cal in plans)
        bar = tqdm(total=steps, desc=f"{method.name:>14}", disable=None if progress else True, leave=False,
                   unit="forecast")
        residuals, valid = [], []
        for i, (s, (_, cal)) in enumerate(zip(series, plans)):
            for c in cal:
                f = method.forecast(i, past(s, c), horizon)
                width = max(scale(s.values[:c, 0], s.season), 1e-12)
                residuals.append((s.values[c:c + horizon, 0] - f) / width)
                valid.append(np.mean(np.abs(residuals[-1])))
                bar.update()
        if residuals:
            q_lo, q_hi = np.quantile(np.array(residuals), [(1 - level) / 2, (1 + level) / 2], axis=0)
        else:
            q_lo = q_hi = np.full(horizon, np.nan)
        rows, windows, inside = [], [], []
        for i, (s, (test, _)) in enumerate(zip(series, plans)):
            these = []
            for o in test:
                f = method.forecast(i, past(s, o), horizon)
                y, history = s.values[o:o + horizon, 0], s.values[:o, 0]
                width = scale(history, s.season)
                lo, hi = f + q_lo * width, f + q_hi * width
                rows.append(errors(y, f, history, s.season))
                inside.append(coverage(y, lo, hi) * horizon)
                these.append({"origin": o, "forecast": f.tolist(), "lo": lo.tolist(), "hi": hi.tolist()})
                bar.update()
            windows.append(these)
        bar.close()
        out[method.name] = {m: float(np.mean([r[m] for r in rows])) for m in METRICS} | {
            "coverage": float(np.sum(inside) / (len(rows) * horizon)) if residuals else float("nan"),
            "valid_mase": float(np.mean(valid)) if valid else float("nan"),
            "windows": windows, "fallbacks": getattr(method, "fallbacks", 0),
            "interval": {"level": level, "lo": q_lo.tolist(), "hi": q_hi.tolist()}}
    return out
