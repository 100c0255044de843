"""What a series goes through before a network sees it, and back.

For y (n, D), column 0 forecast, in this order:

    y_0 = y_0 / s_{t mod m}          (--deseasonalise: column 0 divided by its classical multiplicative
                                     seasonal indices s (``decompose``), fitted on the training part,
                                     when it passes the M4 seasonality test and every value is > 0;
                                     t counts from the series' first point)
    s = log y                        (--log; every value must be > 0)
    s' = s_t - s_{t-1}               (--diff 1; --diff 2 applies it twice)
    s'' = s'_t - s'_{t-m}            (--seasonal-diff: lag m, the season length)
    z = (s'' - mean) / std           (mean and std of the training part only, per channel; not with
                                     --window-norm theta: mean 0, std 1, and --log required)

``forward`` maps a history to z, which is ``lost = diff + m * seasonal`` steps shorter; ``inverse``
maps future z of column 0 back to future y given the history, undoing each step in reverse:
seasonal differences by s'_{n+k} = s''_{n+k} + s'_{n+k-m}, differences by cumulative sums from the
last known level, log by exp, the seasonal indices by multiplying by s_{(n+k) mod m}.

Per-window normalisation (``--window-norm last``, as ES-RNN and Hewamalage et al. 2021 do) is applied
to each input window separately, after ``forward``: the window's last value of each channel is
subtracted from its inputs and from its targets (with --log, that divides y by its last value);
``--window-norm level`` subtracts the window's exponentially smoothed level instead (``smoothing``:
alpha fitted per series on its transformed training part, ``fit(level=True)``; ``level(window)``), and
``--window-norm theta`` measures the window and its targets from the whole history before the origin:
the inputs less its smoothed level, the targets less the Theta method's forecasts of column 0
(``smoothing.theta_path``: the level plus half the history's least-squares slope as drift), so that the
network forecasts what Theta misses (``theta(history, h)``; the window alone is too short for the slope).
"""

from __future__ import annotations

import numpy as np

from .decompose import is_seasonal, seasonal_indices
from .smoothing import fit_alpha, levels, theta_drift

__all__ = ["Transform"]


class Transform:
    def __init__(self, log: bool = False, diff: int = 0, season: int = 0, deseason: int = 0,
                 standardise: bool = True) -> None:
        """``season``: the lag of a seasonal difference (0: none); ``deseason``: the season length m of
        --deseasonalise (0: none); ``standardise`` False: mean 0 and std 1 (see ``fit``)."""
        if diff not in (0, 1, 2):
            raise ValueError(f"diff must be 0, 1 or 2, got {diff!r}")
        self.log, self.diff, self.season, self.deseason = log, diff, season, deseason
        self.standardise = standardise
        self.mean: np.ndarray | None = None
        self.std: np.ndarray | None = None
        self.indices: np.ndarray | None = None  # s (m,), when deseasonalised
        self.alpha: float | None = None  # the level's smoothing, with --window-norm level

    @property
    def lost(self) -> int:
        """Steps at the start of a history that have no z."""
        return self.diff + self.season

    def _stages(self, y: np.ndarray) -> list[np.ndarray]:
        """[s, s', (s'' for d = 2), seasonal] of y (n, D): every stage, the last one unscaled."""
        y = np.asarray(y, np.float64)
        if self.indices is not None:
            y = y.copy()
            y[:, 0] /= self.indices[np.arange(len(y)) % len(self.indices)]
        if self.log:
            if np.any(y <= 0):
                raise ValueError("--log needs every value > 0; this series has values <= 0")
            y = np.log(y)
        stages = [y]
        for _ in range(self.diff):
            stages.append(np.diff(stages[-1], axis=0))
        if self.season:
            stages.append(stages[-1][self.season:] - stages[-1][:-self.season])
        return stages

    def fit(self, y: np.ndarray, level: bool = False) -> Transform:
        """The seasonal indices (with --deseasonalise, when column 0 is seasonal and positive), then the
        mean and std per channel of the transformed training part y (n, D)."""
        m, target = self.deseason, np.asarray(y, np.float64)[:, 0]
        seasonal = m > 1 and len(target) >= 3 * m and np.all(target > 0) and is_seasonal(target, m)
        self.indices = seasonal_indices(target, m) if seasonal else None
        s = self._stages(y)[-1]
        if len(s) < 2:
            raise ValueError(f"the training part has {len(y)} points, too few for --diff {self.diff} and "
                             f"--seasonal-diff (lag {self.season})")
        self.mean, self.std = s.mean(axis=0), s.std(axis=0)
        self.std = np.where(self.std > 0, self.std, 1.0)
        if not self.standardise:  # the mean and std of the whole training part tell a network trained on its
            # early windows the scale of the values to come: --window-norm theta does without them
            self.mean, self.std = np.zeros_like(self.mean), np.ones_like(self.std)
        self.alpha = fit_alpha(((s - self.mean) / self.std)[:, 0]) if level else None
        return self

    def level(self, window: np.ndarray) -> np.ndarray:
        """The smoothed level (D,) at the end of a window of z (L, D), smoothed from its first step."""
        return levels(window, self.alpha)[-1].astype(window.dtype)

    def theta(self, z: np.ndarray, h: int) -> tuple[np.ndarray, np.ndarray]:
        """(the smoothed level (D,) at the end of a history of z (n, D), smoothed from its first step;
        the Theta method's forecasts (h,) of its column 0)."""
        level = levels(z, self.alpha)[-1]  # smoothed once: the path is column 0's level plus the drift
        return level.astype(z.dtype), (level[0] + theta_drift(z[:, 0], self.alpha, h)).astype(z.dtype)

    def forward(self, y: np.ndarray) -> np.ndarray:
        """z (n - lost, D) of a history y (n, D)."""
        return (self._stages(y)[-1] - self.mean) / self.std

    def inverse(self, history: np.ndarray, z: np.ndarray) -> np.ndarray:
        """Future y (h,) of column 0 from its future z (h,) and the history y (n, D) before it."""
        stages = [s[:, 0] for s in self._stages(history)]
        u = np.asarray(z, np.float64) * self.std[0] + self.mean[0]
        if self.season:
            known = list(stages[-2][-self.season:])
            for k in range(len(u)):
                known.append(u[k] + known[-self.season])
            u = np.array(known[self.season:])
        for level in reversed(stages[:self.diff]):
            u = level[-1] + np.cumsum(u)
        u = np.exp(u) if self.log else u
        if self.indices is not None:
            u = u * self.indices[(len(history) + np.arange(len(u))) % len(self.indices)]
        return u

    def state(self) -> dict:
        return {"log": self.log, "diff": self.diff, "season": self.season, "mean": self.mean.tolist(),
                "std": self.std.tolist()} | ({"deseason": self.deseason, "indices": None if self.indices is None
                                              else self.indices.tolist()} if self.deseason else {}) | (
                    {"alpha": self.alpha} if self.alpha is not None else {})

    @classmethod
    def from_state(cls, d: dict) -> Transform:
        t = cls(d["log"], d["diff"], d["season"], d.get("deseason", 0))
        t.mean, t.std = np.array(d["mean"]), np.array(d["std"])
        t.indices = None if d.get("indices") is None else np.array(d["indices"])
        t.alpha = d.get("alpha")
        return t
