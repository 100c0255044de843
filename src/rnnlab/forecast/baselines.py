"""The statistical forecasts rnnlab is measured against.

Each method forecasts h steps of series i from its history x (n,): ``prepare(histories)`` chooses
once what is chosen once (on each series' history up to the first test origin: ETS's form and ARIMA's
orders, by AICc), and ``forecast(i, x, h)`` refits the parameters on x and forecasts (h,).

    naive            f_{n+k} = x_n
    seasonal naive   f_{n+k} = x_{n-m+((k-1) mod m)+1}
    drift            f_{n+k} = x_n + k (x_n - x_1) / (n - 1)
    naive2           the naive forecast of the seasonally adjusted series, reseasonalised, when it
                     passes the M4 benchmarks' seasonality test (``decompose``); else naive: the
                     M4 competition's yardstick (OWA divides by its sMAPE and MASE)
    ets              statsmodels ETSModel, additive errors; trend none / additive / damped, seasonal
                     none / additive (m > 1 and n >= 2m + 2): the smallest AICc
    arima            statsmodels ARIMA (SARIMA when m > 1): D = 1 when the STL seasonal strength
                     1 - var(R) / var(S + R) exceeds 0.64 (as R's forecast::nsdiffs), d by KPSS tests at
                     5% up to 2 (as auto.arima), then a stepwise search over p, q <= 3 and P, Q <= 1 by
                     AICc (Hyndman & Khandakar 2008, shortened), with a constant or drift when d + D <= 1;
                     a fit with an AR root of modulus < 1.01 is rejected, as auto.arima does (on a short
                     series such a fit can have the lowest AICc and explode); auto.arima rejects MA roots
                     < 1.01 too, which here made ARIMA worse (elnino 0.78 -> 1.12 MASE) and is not done
    theta            statsmodels ThetaModel (Assimakopoulos & Nikolopoulos 2000; its own seasonality test)

The statsmodels methods need ``pip install "rnnlab[forecast]"``; ``statistical_methods()`` is empty
without it. A fit that fails falls back to the naive forecast and is counted in ``fallbacks``.
"""

from __future__ import annotations

import warnings
from contextlib import contextmanager

import numpy as np

from .decompose import is_seasonal, seasonal_indices

__all__ = ["Naive", "Naive2", "SeasonalNaive", "Drift", "ETS", "ARIMA", "Theta", "numpy_methods", "statistical_methods",
           "have_statsmodels"]


def have_statsmodels() -> bool:
    try:
        import statsmodels  # noqa: F401
    except ImportError:
        return False
    return True


class Method:
    name = ""

    def __init__(self, season: int = 1) -> None:
        self.season = season
        self.fallbacks = 0

    def prepare(self, histories: list[np.ndarray]) -> None:
        """Choose what is chosen once, on each series' history (n,) up to the first test origin."""

    def forecast(self, i: int, x: np.ndarray, h: int) -> np.ndarray:
        raise NotImplementedError


class Naive(Method):
    name = "naive"

    def forecast(self, i, x, h):
        return np.full(h, x[-1], np.float64)


class SeasonalNaive(Method):
    name = "seasonal_naive"

    def forecast(self, i, x, h):
        m = self.season if len(x) >= self.season else 1
        return np.asarray(x[len(x) - m + np.arange(h) % m], np.float64)


class Drift(Method):
    name = "drift"

    def forecast(self, i, x, h):
        slope = (x[-1] - x[0]) / (len(x) - 1) if len(x) > 1 else 0.0
        return x[-1] + slope * np.arange(1, h + 1)


class Naive2(Method):
    name = "naive2"

    def forecast(self, i, x, h):
        m = self.season
        if not (np.all(x > 0) and is_seasonal(x, m)):
            return np.full(h, x[-1], np.float64)
        s = seasonal_indices(x, m)
        n = len(x)
        return x[-1] / s[(n - 1) % m] * s[(n + np.arange(h)) % m]


_FIT_ERRORS = (ValueError, np.linalg.LinAlgError, IndexError, ZeroDivisionError)  # what a failed fit raises


@contextmanager
def _quiet():
    """statsmodels' convergence warnings and NumPy's floating-point warnings silenced (a fit that fails
    raises, and falls back). statsmodels installs "always" filters for its warnings when first imported:
    imported here first, they come before the "ignore" below instead of after it."""
    import statsmodels.tools.sm_exceptions  # noqa: F401

    with warnings.catch_warnings(), np.errstate(all="ignore"):
        warnings.simplefilter("ignore")
        yield


class _Fitted(Method):
    """A statsmodels method: ``_fit(i, x)`` a fitted model with ``forecast(h)``; failures fall back."""

    def __init__(self, season: int = 1) -> None:
        super().__init__(season)
        self.chosen: dict[int, object] = {}

    def forecast(self, i, x, h):
        try:
            with _quiet():
                f = np.asarray(self._fit(i, np.asarray(x, np.float64)).forecast(h), np.float64)
            if np.all(np.isfinite(f)):
                return f
        except _FIT_ERRORS:
            pass
        self.fallbacks += 1
        return np.full(h, x[-1], np.float64)

    def prepare(self, histories):
        with _quiet():
            for i, x in enumerate(histories):
                try:
                    self.chosen[i] = self._choose(np.asarray(x, np.float64))
                except _FIT_ERRORS:
                    self.chosen[i] = None


class ETS(_Fitted):
    name = "ets"

    def _forms(self, n):
        m = self.season
        seasonal = [None, "add"] if m > 1 and n >= 2 * m + 2 else [None]
        return [(t, d, s) for s in seasonal for t, d in ((None, False), ("add", False), ("add", True))]

    def _model(self, x, form):
        from statsmodels.tsa.exponential_smoothing.ets import ETSModel

        trend, damped, seasonal = form
        return ETSModel(x, error="add", trend=trend, damped_trend=damped, seasonal=seasonal,
                        seasonal_periods=self.season if seasonal else None)

    def _choose(self, x):
        best, chosen = np.inf, None
        for form in self._forms(len(x)):
            try:
                aicc = self._model(x, form).fit(disp=False).aicc
            except (ValueError, np.linalg.LinAlgError):
                continue
            if np.isfinite(aicc) and aicc < best:
                best, chosen = aicc, form
        return chosen

    def _fit(self, i, x):
        form = self.chosen.get(i) or (None, False, None)
        if form[2] and len(x) < 2 * self.season + 2:
            form = (form[0], form[1], None)
        return self._model(x, form).fit(disp=False)


class ARIMA(_Fitted):
    name = "arima"

    def _differences(self, x):
        from statsmodels.tsa.stattools import kpss

        m, D = self.season, 0
        if m > 1 and len(x) >= 2 * m + 2:
            from statsmodels.tsa.seasonal import STL

            fit = STL(x, period=m).fit()
            strength = 1 - np.var(fit.resid) / max(np.var(fit.seasonal + fit.resid), 1e-300)
            D = int(strength > 0.64)
        y = x[m:] - x[:-m] if D else x
        d = 0
        while d < 2 and len(y) > 8 and np.ptp(y) > 0 and kpss(y, regression="c", nlags="auto")[1] < 0.05:
            y, d = np.diff(y), d + 1
        return d, D

    def _model(self, x, order):
        from statsmodels.tsa.arima.model import ARIMA as Model

        p, d, q, P, D, Q = order
        trend = "c" if d + D == 0 else ("t" if d + D == 1 else "n")
        seasonal = (P, D, Q, self.season) if self.season > 1 and (P or D or Q) else (0, 0, 0, 0)
        return Model(x, order=(p, d, q), seasonal_order=seasonal, trend=trend)

    def _choose(self, x):
        d, D = self._differences(x)
        seasonal = self.season > 1
        tried: dict[tuple, float] = {}

        def aicc(o):
            if o not in tried:
                try:
                    fit = self._model(x, o).fit()
                    tried[o] = fit.aicc if np.all(np.abs(fit.arroots) >= 1.01) else np.inf
                except (ValueError, np.linalg.LinAlgError, IndexError):
                    tried[o] = np.inf
            return tried[o] if np.isfinite(tried[o]) else np.inf

        starts = [(2, d, 2, 1, D, 1), (0, d, 0, 0, D, 0), (1, d, 0, 1, D, 0), (0, d, 1, 0, D, 1)]
        starts = [s if seasonal else s[:3] + (0, D, 0) for s in starts]
        best = min(starts, key=aicc)
        while len(tried) < 30:
            p, _, q, P, _, Q = best
            steps = [(p + a, q + b, P + c, Q + e) for a, b, c, e in
                     [(1, 0, 0, 0), (-1, 0, 0, 0), (0, 1, 0, 0), (0, -1, 0, 0), (1, 1, 0, 0), (-1, -1, 0, 0)]
                     + ([(0, 0, 1, 0), (0, 0, -1, 0), (0, 0, 0, 1), (0, 0, 0, -1)] if seasonal else [])]
            near = [(a, d, b, c, D, e) for a, b, c, e in steps if 0 <= a <= 3 and 0 <= b <= 3 and 0 <= c <= 1
                    and 0 <= e <= 1]
            better = min(near, key=aicc, default=best)
            if aicc(better) >= aicc(best):
                break
            best = better
        return best if np.isfinite(aicc(best)) else (0, d, 0, 0, D, 0)

    def _fit(self, i, x):
        return self._model(x, self.chosen.get(i) or (0, 1, 0, 0, 0, 0)).fit()


class Theta(_Fitted):
    name = "theta"

    def _choose(self, x):
        return None

    def _fit(self, i, x):
        from statsmodels.tsa.forecasting.theta import ThetaModel

        m = self.season
        deseasonalize = m > 1 and len(x) >= 2 * m
        method = "multiplicative" if np.all(x > 0) else "additive"
        return ThetaModel(x, period=m if deseasonalize else 1, deseasonalize=deseasonalize, method=method).fit()


def numpy_methods(season: int) -> list[Method]:
    return [Naive(season), SeasonalNaive(season), Naive2(season), Drift(season)]


def statistical_methods(season: int) -> list[Method]:
    """ETS, ARIMA and Theta, or none without statsmodels."""
    return [ETS(season), ARIMA(season), Theta(season)] if have_statsmodels() else []
