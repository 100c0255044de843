"""How long OpenBLAS's idle threads spin, and whether rnnlab may run threads of its own beside them.

After each multi-threaded call, OpenBLAS's worker threads spin for 2^OPENBLAS_THREAD_TIMEOUT cycles
(default 2^28, about 0.1 s) before they sleep, and while they spin they compete for the cores with
every other thread of the process. nn/split.py runs the recurrent time loops on threads of its own
right after multi-threaded products; with spinning workers that loop ran 2-3x slower (1,685 against
555-655 us a step, char LSTM 2x512 on 2 cores).

So when rnnlab is imported before NumPy has loaded OpenBLAS, it sets OPENBLAS_THREAD_TIMEOUT=18
(2^18 cycles, about 0.1 ms at 3 GHz) unless the variable is set already. OpenBLAS reads it once, when
it loads; ``workers_sleep()`` tells nn/split.py whether a short timeout is in effect. Importing NumPy
before rnnlab keeps OpenBLAS's default, and the split loops off.
"""

from __future__ import annotations

import os
import sys

__all__ = ["TIMEOUT", "workers_sleep"]

TIMEOUT = 18  # log2 of the cycles OpenBLAS's idle workers spin before they sleep
if "numpy" not in sys.modules:
    os.environ.setdefault("OPENBLAS_THREAD_TIMEOUT", str(TIMEOUT))


def workers_sleep() -> bool:
    """Whether OpenBLAS's idle workers sleep within about a millisecond (a timeout of at most 2^21 cycles)."""
    try:
        return int(os.environ.get("OPENBLAS_THREAD_TIMEOUT", "")) <= 21
    except ValueError:
        return False
