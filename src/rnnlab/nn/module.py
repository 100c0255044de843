"""Module: parameters, their gradients, child modules, state_dict round trips, train/eval mode, and
the records that let backward go back through each forward.

A module owns ``params`` (name -> array) and ``grads`` (same names, same shapes, accumulated by
``backward``) and ``children`` (name -> module). Assigning a ``Parameter`` or a module to an attribute
registers it, as in PyTorch (``self.w = Parameter(array)``, ``self.rnn = LSTM(...)``); names of
children's parameters get a ``child.`` prefix, so a ``state_dict`` maps one-to-one onto PyTorch's.

Each forward outside ``no_grad`` pushes one record of what its backward needs; each ``backward``
takes the most recent one left (last in, first out). So a module may be used several times in one
forward pass (a cell unrolled over time, a layer shared by two branches): call ``backward`` once per
use, in the reverse order, and the parameter gradients add up over the uses.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from contextlib import contextmanager

import numpy as np

from .grad_mode import is_grad_enabled, no_grad

__all__ = ["Module", "Parameter", "DTYPES", "check_dtype", "check_array", "is_array", "positive_int"]

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


class Parameter:
    """Marks an array as a parameter when it is assigned to a module's attribute:
    ``self.weight = Parameter(np.zeros((3, 4)))`` puts the array in ``params`` and a zero gradient in
    ``grads``; ``self.weight`` then reads the array itself."""

    __slots__ = ("data",)

    def __init__(self, data) -> None:
        if not is_array(data):
            raise TypeError(f"Parameter takes an array, got {type(data).__name__}")
        self.data = data


class Module:
    """Base class: subclasses register parameters (``self.params[name] = array`` then
    ``self._init_grads()``, or ``self.name = Parameter(array)``) and children, and define ``forward``
    and ``backward``; ``forward`` saves what backward needs with ``self._save(...)`` and ``backward``
    takes it back with ``self._take()``."""

    def __init__(self) -> None:
        d = self.__dict__  # set directly: __setattr__ below routes through these
        d["params"], d["grads"], d["children"] = {}, {}, {}
        d["training"] = True
        d["_records"] = []

    def __setattr__(self, name: str, value) -> None:
        d = self.__dict__
        if isinstance(value, Parameter):
            d["params"][name] = value.data
            d["grads"][name] = np.zeros_like(value.data)
            d["children"].pop(name, None)
            d.pop(name, None)
        elif isinstance(value, Module):
            d["children"][name] = value
            for k in ("params", "grads"):
                d[k].pop(name, None)
            d.pop(name, None)
        elif name in d.get("params", ()) or name in d.get("children", ()):
            raise TypeError(f"{type(self).__name__}.{name} is a registered "
                            f"{'parameter' if name in d['params'] else 'module'}; assign a Parameter or a Module")
        else:
            object.__setattr__(self, name, value)

    def __getattr__(self, name: str):
        d = self.__dict__  # only reached when ordinary lookup fails
        for table in ("params", "children"):
            if name in d.get(table, ()):
                return d[table][name]
        raise AttributeError(f"{type(self).__name__!r} object has no attribute {name!r}")

    def __call__(self, *args, **kwargs):
        return self.forward(*args, **kwargs)

    def forward(self, *args, **kwargs):
        raise NotImplementedError(f"{type(self).__name__} defines no forward")

    # -- records for backward -------------------------------------------------------------
    def _save(self, record) -> None:
        """Keep ``record`` for the backward of this forward (nothing is kept under no_grad)."""
        if is_grad_enabled():
            self._records.append(record)

    def _take(self, check=None):
        """The record of the most recent forward not yet gone back through, removed from the stack only
        once ``check(record)`` (which raises on bad backward arguments) has passed: a backward that
        fails its checks can be called again."""
        if not self._records:
            raise RuntimeError(f"{type(self).__name__}.backward called with no forward left to go back through "
                               "(each forward outside no_grad allows one backward, the latest first)")
        if check is not None:
            check(self._records[-1])
        return self._records.pop()

    def clear_records(self) -> None:
        """Forget every forward not gone back through, here and in the children (frees their memory)."""
        self._records.clear()
        for child in self.children.values():
            child.clear_records()

    # -- parameters ---------------------------------------------------------------------
    def _init_grads(self) -> None:
        self.grads.clear()
        self.grads.update({k: np.zeros_like(v) for k, v in self.params.items()})

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

    def generators(self, prefix: str = "") -> list[tuple[str, np.random.Generator]]:
        """Every random generator a training step may draw from (dropout masks: a module's ``rng``), in
        the module tree at any depth, with its module's path, in a fixed order (by path)."""
        found = [(prefix, self.rng)] if isinstance(getattr(self, "rng", None), np.random.Generator) else []
        for name, child in sorted(self.children.items()):
            found += child.generators(f"{prefix}{name}.")
        return found

    def parameters(self) -> list[np.ndarray]:
        """Every parameter array of this module and its children, each once."""
        return [p for _, p, _ in self.named_parameters()]

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

    @contextmanager
    def inference(self):
        """``with model.inference():`` eval mode (no dropout) and no_grad (no records) for the block,
        then the mode the module had before, whatever the block raised."""
        was = self.training
        self.eval()
        try:
            with no_grad():
                yield self
        finally:
            self.train(was)

    def num_parameters(self) -> int:
        return sum(p.size for _, p, _ in self.named_parameters())
