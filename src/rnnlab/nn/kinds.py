"""The table of cell kinds by name (``CellKind``: step kernel, sequence layer, single-step cell, PyTorch
counterpart) and its lookups; ``registry.register_cell`` fills it. The layers look their kernel up
here by name."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from ..kernels import CellKernel

__all__ = ["CellKind", "add", "remove", "cell_kind", "cell_names"]


@dataclass(frozen=True)
class CellKind:
    name: str
    kernel: Callable[[], CellKernel]  # a new step kernel
    layer: Callable  # layer(input_size, hidden_size, num_layers=..., ...): an RNNBase
    cell: Callable  # cell(input_size, hidden_size, ...): an RNNCellBase
    torch: tuple[str, dict] | None = None  # torch.nn class of the layer ("LSTM"; the cell adds "Cell") and its options
    aliases: tuple[str, ...] = field(default=())

    @property
    def gates(self) -> int:
        return self.kernel().gates

    @property
    def state_names(self) -> tuple[str, ...]:
        return self.kernel().state_names


_KINDS: dict[str, CellKind] = {}
_ALIASES: dict[str, str] = {}


def add(kind: CellKind) -> None:
    """Put ``kind`` in the table; ValueError if its name or an alias is taken."""
    if kind.name in _KINDS or kind.name in _ALIASES or any(a in _KINDS or a in _ALIASES for a in kind.aliases):
        raise ValueError(f"cell kind {kind.name!r} is registered already")
    _KINDS[kind.name] = kind
    _ALIASES.update({a: kind.name for a in kind.aliases})


def remove(name: str) -> None:
    """Take the kind called ``name`` and its aliases out of the table."""
    kind = cell_kind(name)
    del _KINDS[kind.name]
    for alias in kind.aliases:
        del _ALIASES[alias]


def cell_kind(name: str) -> CellKind:
    """The registered kind called ``name`` (any case, or an alias); ValueError naming the choices."""
    key = str(name).lower()
    key = _ALIASES.get(key, key)
    if key not in _KINDS:
        raise ValueError(f"unknown cell {name!r}; expected one of {', '.join(cell_names())}")
    return _KINDS[key]


def cell_names() -> tuple[str, ...]:
    """The registered kinds' names, in registration order."""
    return tuple(_KINDS)
