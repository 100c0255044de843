"""Module: parameters, their gradients, state_dict round trips and train/eval mode.

A module owns ``params`` (name -> array) and ``grads`` (same names, same shapes, accumulated
by ``backward``). Composite modules register children; their names get a ``child.`` prefix,
as in PyTorch, so a ``state_dict`` maps one-to-one onto PyTorch's.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping

import numpy as np

__all__ = ["Module", "DTYPES", "check_dtype", "check_array", "is_array", "positive_int"]

DTYPES = (np.dtype(np.float32), np.dtype(np.float64))


def check_dtype(dtype) -> np.dtype:
    """Return ``np.dtype(dtype)`` if it is float32 or float64, else raise ValueError."""
    try:
        dt = np.dtype(dtype)
    except TypeError as e:
        raise ValueError(f"dtype must be float32 or float64, got {dtype!r}") from e
    if dt not in DTYPES:
        raise ValueError(f"dtype must be float32 or float64, got {dt}")
    return dt


def is_array(a) -> bool:
    """Whether ``a`` is an array: a NumPy array, or another library's array that follows the array API
    standard (``__array_namespace__``: CuPy, for one). Not a list."""
    return isinstance(a, np.ndarray) or hasattr(a, "__array_namespace__")


def check_array(name: str, a, shape: tuple[int, ...], dtype: np.dtype) -> np.ndarray:
    """Return ``a`` if it is an array of exactly ``shape`` and ``dtype``, else raise ValueError."""
    if not is_array(a):
        raise ValueError(f"{name} must be an array, got {type(a).__name__}")
    if a.dtype != dtype:
        raise ValueError(f"{name} must have dtype {dtype}, got {a.dtype}")
    if a.shape != shape:
        raise ValueError(f"{name} must have shape {shape}, got {a.shape}")
    return a


def positive_int(name: str, value) -> int:
    """Return ``value`` as an int if it is a positive integer (not a bool), else raise ValueError."""
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < 1:
        raise ValueError(f"{name} must be a positive integer, got {value!r}")
    return int(value)


class Module:
    """Base class. Subclasses fill ``self.params`` and call ``self._init_grads()``."""

    def __init__(self) -> None:
        self.params: dict[str, np.ndarray] = {}
        self.grads: dict[str, np.ndarray] = {}
        self.children: dict[str, Module] = {}
        self.training = True

    # -- parameters ---------------------------------------------------------------------
    def _init_grads(self) -> None:
        self.grads = {k: np.zeros_like(v) for k, v in self.params.items()}

    def named_parameters(self, prefix: str = "", _seen: set | None = None
                         ) -> Iterator[tuple[str, np.ndarray, np.ndarray]]:
        """Yield ``(name, param, grad)`` for this module and its children, PyTorch-style names.

        A parameter shared by two modules (weight tying) is yielded once, under its first name.
        """
        seen = set() if _seen is None else _seen
        for k, v in self.params.items():
            if id(v) not in seen:
                seen.add(id(v))
                yield prefix + k, v, self.grads[k]
        for cname, child in self.children.items():
            yield from child.named_parameters(prefix + cname + ".", seen)

    def zero_grad(self) -> None:
        for _, _, g in self.named_parameters():
            g.fill(0)

    def state_dict(self) -> dict[str, np.ndarray]:
        """Copies of every parameter under PyTorch's names."""
        return {k: p.copy() for k, p, _ in self.named_parameters()}

    def load_state_dict(self, state: Mapping[str, np.ndarray]) -> None:
        """Copy ``state`` into the parameters; names, shapes and dtypes must match exactly."""
        mine = {k: p for k, p, _ in self.named_parameters()}
        missing = sorted(set(mine) - set(state))
        unexpected = sorted(set(state) - set(mine))
        if missing or unexpected:
            raise ValueError(
                f"state_dict does not match {type(self).__name__}: "
                f"missing keys {missing}, unexpected keys {unexpected}"
            )
        for k, p in mine.items():
            v = np.asarray(state[k])
            if v.shape != p.shape:
                raise ValueError(f"state_dict['{k}'] has shape {v.shape}, expected {p.shape}")
            if v.dtype != p.dtype:
                raise ValueError(f"state_dict['{k}'] has dtype {v.dtype}, expected {p.dtype}")
        for k, p in mine.items():
            p[...] = state[k]

    # -- mode ---------------------------------------------------------------------------
    def train(self, mode: bool = True) -> Module:
        self.training = mode
        for child in self.children.values():
            child.train(mode)
        return self

    def eval(self) -> Module:
        return self.train(False)

    def num_parameters(self) -> int:
        return sum(p.size for _, p, _ in self.named_parameters())
