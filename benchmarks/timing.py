"""best_seconds: the time of one call of f, the best of 5 batches of ``calls`` calls after a warm-up."""

from __future__ import annotations

import time


def best_seconds(f, calls: int, batches: int = 5) -> float:
    f()
    best = float("inf")
    for _ in range(batches):
        t = time.perf_counter()
        for _ in range(calls):
            f()
        best = min(best, (time.perf_counter() - t) / calls)
    return best
