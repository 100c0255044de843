"""``keep_heap()``: let the process reuse freed memory for large arrays instead of returning it.

NumPy allocates every array afresh. With glibc, blocks above the mmap threshold (128 KB, adapting up to
32 MB) are fresh mappings: the kernel faults in and zeroes their pages on first touch and unmaps them on
free. A training step makes dozens of such temporaries (logits, gate activations, their gradients, 1 to
50 MB each), so it pays that cost every step. With mmap off and heap trimming effectively off, freed
blocks are reused as they are (4-14% off a training step, benchmarks/README.md). The cost: memory
freed by the process stays with it (its peak is unchanged).

``rnnlab train`` calls it (the process is its own); ``Trainer`` and the rest of the library do not,
since it changes the allocator for the whole process and cannot be undone: a program that wants it
calls it. Elsewhere than glibc it does nothing.
"""

from __future__ import annotations

import ctypes
import ctypes.util

__all__ = ["keep_heap"]

_M_TRIM_THRESHOLD, _M_MMAP_MAX = -1, -4  # glibc <malloc.h>
_applied = False


def keep_heap() -> bool:
    """Switch glibc malloc to heap-only allocation without trimming; True if it took effect."""
    global _applied
    if _applied:
        return True
    try:
        libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6")
        mallopt = libc.mallopt
    except (OSError, AttributeError):
        return False
    _applied = bool(mallopt(_M_MMAP_MAX, 0)) and bool(mallopt(_M_TRIM_THRESHOLD, 1 << 30))
    return _applied
