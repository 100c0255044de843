"""Gradient mode. Inside ``with no_grad():`` forward passes keep nothing for backward (like
``torch.no_grad``): evaluation and sampling then hold one step's workspace instead of T steps', and
a later ``backward`` is an error."""

from __future__ import annotations

import contextlib
import threading

__all__ = ["no_grad", "is_grad_enabled"]

_mode = threading.local()


def is_grad_enabled() -> bool:
    return getattr(_mode, "enabled", True)


@contextlib.contextmanager
def no_grad():
    previous = is_grad_enabled()
    _mode.enabled = False
    try:
        yield
    finally:
        _mode.enabled = previous
