"""Which backend runs a call: chosen per context, by environment variable, or the fastest available."""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar

from .base import Backend
from .cpu import CPUBackend, native
from .reference import NumpyBackend

__all__ = ["NAMES", "available", "flush_subnormals", "get_backend", "set_backend", "use_backend"]

NAMES = ("cpu", "numpy")  # fastest first
_chosen: ContextVar[Backend | None] = ContextVar("rnnlab_backend", default=None)
_instances: dict[str, Backend] = {}  # one per name, made on first use (the cpu backend owns a thread pool)


def _make(name: str | Backend) -> Backend:
    if isinstance(name, Backend):
        return name
    if name not in NAMES:
        raise ValueError(f"unknown backend {name!r}; expected one of {', '.join(NAMES)}")
    if name not in _instances:
        if name == "numpy":
            _instances[name] = NumpyBackend()
        else:
            if not native.available():
                raise ValueError("the cpu backend is not available: its compiled library was not built "
                                   "(pip install needs a C compiler); use RNNLAB_BACKEND=numpy")
            _instances[name] = CPUBackend()
    return _instances[name]


def available() -> list[str]:
    """The backends that can run here, fastest first."""
    return [n for n in NAMES if n != "cpu" or native.available()]


def get_backend(name: str | None = None) -> Backend:
    """The backend ``name``, or the one chosen for this call (see the module docstring)."""
    if name is None:
        return _chosen.get() or _make(os.environ.get("RNNLAB_BACKEND") or available()[0])
    return _make(name)


def set_backend(name: str | Backend | None) -> None:
    """Use backend ``name`` (or a Backend instance) from now on in this context (thread); None returns
    to the default."""
    _chosen.set(None if name is None else _make(name))


@contextmanager
def use_backend(name: str | Backend) -> Iterator[Backend]:
    """``with use_backend("numpy"): ...`` runs the block on that backend (a name or a Backend instance,
    e.g. ``CPUBackend(threads=2)``), then restores the choice."""
    backend = _make(name)
    token = _chosen.set(backend)
    try:
        yield backend
    finally:
        _chosen.reset(token)


@contextmanager
def flush_subnormals(on: bool = True) -> Iterator[None]:
    """``with flush_subnormals(): ...`` runs the block with this thread's FTZ and DAZ set (on) or cleared,
    then restores its mode; ValueError where the mode cannot be set (see ``cpu.native.flush_mode``)."""
    was = native.set_flush_mode(on)
    try:
        yield
    finally:
        native.set_flush_mode(was)
