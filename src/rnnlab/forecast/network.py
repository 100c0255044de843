"""A trained forecaster (``rnnlab.tasks.forecast``) as a rolling-origin method beside the baselines."""

from __future__ import annotations

import numpy as np

__all__ = ["NetworkMethod"]


class NetworkMethod:
    """Trained networks as one rolling-origin method (``rnnlab.forecast.rolling``): a task, or several
    (an ensemble, e.g. of seeds), whose forecasts combine as the task combines members (their mean).
    With ``refit`` (the same networks trained again through the validation windows, ``--refit``) those
    forecast from each series' first test origin on, and the held-out ones before it: a forecaster
    retrained once, at the first test origin, whose calibration errors stay out of sample."""

    name = "rnnlab"
    multichannel = True
    fallbacks = 0

    def __init__(self, tasks, refit: list | None = None) -> None:
        self.tasks = tasks if isinstance(tasks, list) else [tasks]
        self.refit = refit or None

    def prepare(self, histories) -> None:
        """Trained already, on the points before the validation windows (or, refit, the test windows)."""

    def forecast(self, i: int, x: np.ndarray, h: int) -> np.ndarray:
        tasks = self.refit if self.refit and len(x) >= self.tasks[0].first_test[i] else self.tasks
        return tasks[0].combine([task.predict(i, x, h) for task in tasks])
