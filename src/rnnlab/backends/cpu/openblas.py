"""NumPy's OpenBLAS, as the split loops (split.py) see it: how many threads it may use now, and its idle
worker threads, which must not spin while the split loops' threads run.

After each multi-threaded call, OpenBLAS's workers spin for 2^28 cycles (about 0.1 s) before they
sleep (OPENBLAS_THREAD_TIMEOUT, read once when OpenBLAS loads), and while they spin they take the cores
from every other thread of the process: a split loop right after a two-thread product ran at half speed
beside them. So before a split loop ``release_workers`` ends OpenBLAS's workers, as OpenBLAS itself
does before every ``fork``; its next multi-threaded call starts them again, with its own settings.
Nothing here changes the environment or any setting of OpenBLAS.
"""

from __future__ import annotations

import functools

__all__ = ["threads", "release_workers"]


@functools.cache
def _openblas():
    """(threadpoolctl's controller of the loaded OpenBLAS, its blas_thread_shutdown_), or None."""
    try:
        from threadpoolctl import ThreadpoolController
    except ImportError:
        return None
    libs = ThreadpoolController().select(internal_api="openblas").lib_controllers
    if not libs:
        return None
    try:
        shutdown = libs[0].dynlib.blas_thread_shutdown_
    except AttributeError:
        return None
    shutdown.restype = None
    return libs[0], shutdown


def threads() -> int:
    """OpenBLAS's thread count now (it follows ``threadpoolctl.threadpool_limits``); 1 without
    OpenBLAS, or with one that cannot release its workers."""
    found = _openblas()
    return 1 if found is None else int(found[0].num_threads)


def release_workers() -> None:
    """End OpenBLAS's idle worker threads, if it has any (never call this while another thread may be
    inside OpenBLAS)."""
    found = _openblas()
    if found is not None:
        found[1]()
