"""One registry of cell kinds: name -> step kernel, sequence layer, single-step cell, PyTorch counterpart.

Everything that takes a cell kind by name (``LanguageModel``, the training config and CLI, gradcheck,
PyTorch interop, the tests) looks it up here, so a kind registered once is usable everywhere:

    rnnlab.nn.register_cell("mgu", MGUKernel)          # MGUKernel: a rnnlab.cells.CellKernel
    layer = rnnlab.nn.cell_kind("mgu").layer(10, 20, num_layers=2)     # an RNNBase("mgu", 10, 20, ...)
    model = rnnlab.models.LanguageModel(vocab_size, cell="mgu")

Names are lower case; lookups ignore case and accept aliases (PyTorch's ``RNN_TANH``, ``RNN_RELU``).
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from dataclasses import dataclass, field

from ..cells import CellKernel, GRUKernel, LSTMKernel, RNNKernel
from .cell import GRUCell, LSTMCell, RNNCell, RNNCellBase
from .recurrent import GRU, LSTM, RNN, RNNBase

__all__ = ["CellKind", "register_cell", "unregister_cell", "cell_kind", "cell_names"]


@dataclass(frozen=True)
class CellKind:
    name: str
    kernel: Callable[[], CellKernel]  # a new step kernel
    layer: Callable[..., RNNBase]  # layer(input_size, hidden_size, num_layers=..., ...)
    cell: Callable[..., RNNCellBase]  # cell(input_size, hidden_size, ...)
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


def register_cell(name: str, kernel: Callable[[], CellKernel], *, layer=None, cell=None, torch=None,
                  aliases: tuple[str, ...] = ()) -> CellKind:
    """Register a cell kind. ``kernel`` makes its step kernel (a ``CellKernel`` class will do); the
    layer and cell default to the generic ``RNNBase(name, ...)`` and ``RNNCellBase(name, ...)``."""
    key = name.lower()
    if not key.isidentifier():
        raise ValueError(f"a cell name must be an identifier, got {name!r}")
    if key in _KINDS or key in _ALIASES:
        raise ValueError(f"cell kind {name!r} is registered already")
    if not isinstance(kernel(), CellKernel):
        raise TypeError(f"{name}: kernel() must return a rnnlab.cells.CellKernel, got {type(kernel()).__name__}")
    kind = CellKind(key, kernel, layer or functools.partial(RNNBase, key), cell or functools.partial(RNNCellBase, key),
                    torch, tuple(a.lower() for a in aliases))
    _KINDS[key] = kind
    _ALIASES.update({a: key for a in kind.aliases})
    return kind


def unregister_cell(name: str) -> None:
    """Remove a registered kind and its aliases (layers made from it keep working)."""
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


register_cell("rnn", lambda: RNNKernel("tanh"), layer=RNN, cell=RNNCell, torch=("RNN", {"nonlinearity": "tanh"}),
              aliases=("rnn_tanh",))
register_cell("rnn_relu", lambda: RNNKernel("relu"), layer=functools.partial(RNN, nonlinearity="relu"),
              cell=functools.partial(RNNCell, nonlinearity="relu"), torch=("RNN", {"nonlinearity": "relu"}))
register_cell("lstm", LSTMKernel, layer=LSTM, cell=LSTMCell, torch=("LSTM", {}))
register_cell("gru", GRUKernel, layer=GRU, cell=GRUCell, torch=("GRU", {}))
