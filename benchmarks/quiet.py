"""Was the machine quiet? ``Watch`` measures, over a stretch of benchmarking, the CPU time that
processes other than this one and its children took (``/proc/stat``'s busy time minus ``os.times()``'s
own and children's), and a fixed single-thread calibration product timed before and after. A run is
disturbed when the others took more than ``FOREIGN_LIMIT`` of one core on average, or the calibration
moved by more than ``DRIFT_LIMIT``: its figures must not be published (the harness writes them apart).
"""

from __future__ import annotations

import os
import time
from dataclasses import dataclass

import numpy as np

__all__ = ["Watch", "Verdict", "FOREIGN_LIMIT", "DRIFT_LIMIT", "busy_seconds", "calibration_seconds"]

FOREIGN_LIMIT = 0.05  # cores, on average over the stretch
DRIFT_LIMIT = 0.10  # relative change of the calibration product's time


def busy_seconds() -> float:
    """CPU seconds every process has spent since boot (``/proc/stat``: all but idle and iowait)."""
    with open("/proc/stat") as f:
        fields = [int(v) for v in f.readline().split()[1:]]
    idle = fields[3] + (fields[4] if len(fields) > 4 else 0)
    return (sum(fields[:8]) - idle) / os.sysconf("SC_CLK_TCK")


def _own_seconds() -> float:
    t = os.times()
    return t.user + t.system + t.children_user + t.children_system


def calibration_seconds() -> float:
    """Best of 5: a 384^3 float64 product on one thread."""
    from threadpoolctl import threadpool_limits

    a = np.random.default_rng(0).random((384, 384))
    with threadpool_limits(1):
        a @ a
        best = float("inf")
        for _ in range(5):
            t = time.perf_counter()
            a @ a
            best = min(best, time.perf_counter() - t)
    return best


@dataclass
class Verdict:
    foreign_cores: float  # other processes' CPU time over the stretch's wall time
    drift: float  # calibration after / before - 1
    load_before: float
    load_after: float

    @property
    def quiet(self) -> bool:
        return self.foreign_cores <= FOREIGN_LIMIT and abs(self.drift) <= DRIFT_LIMIT

    def describe(self) -> str:
        state = "quiet" if self.quiet else "DISTURBED"
        return (f"{state}: other processes took {self.foreign_cores:.2f} cores on average (limit {FOREIGN_LIMIT}), "
                f"the calibration product moved {self.drift:+.1%} (limit ±{DRIFT_LIMIT:.0%}), load average "
                f"{self.load_before:.2f} before, {self.load_after:.2f} after")


class Watch:
    """``with Watch() as w: ...`` then ``w.verdict``. Only the processes this one waited for count as its
    own: start the measured work as children and wait for them inside the block."""

    def __enter__(self) -> Watch:
        self.load_before = os.getloadavg()[0]
        self.calibration = calibration_seconds()
        self.wall, self.busy, self.own = time.perf_counter(), busy_seconds(), _own_seconds()
        return self

    def __exit__(self, *exc) -> None:
        wall = time.perf_counter() - self.wall
        foreign = (busy_seconds() - self.busy) - (_own_seconds() - self.own)
        self.verdict = Verdict(max(foreign, 0.0) / wall, calibration_seconds() / self.calibration - 1,
                               self.load_before, os.getloadavg()[0])
