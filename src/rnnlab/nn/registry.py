"""One registry of cell kinds: name -> step kernel, sequence layer, single-step cell, PyTorch counterpart.

Everything that takes a cell kind by name (``LanguageModel``, the training config and CLI, gradcheck,
PyTorch interop, the tests) looks it up here, so a kind registered once is usable everywhere:

    rnnlab.nn.register_cell("mgu", MGUKernel)          # MGUKernel: a rnnlab.kernels.CellKernel
    layer = rnnlab.nn.cell_kind("mgu").layer(10, 20, num_layers=2)     # an RNNBase("mgu", 10, 20, ...)
    model = rnnlab.models.LanguageModel(vocab_size, cell="mgu")

Names are lower case; lookups ignore case and accept aliases (PyTorch's ``RNN_TANH``, ``RNN_RELU``).
"""

from __future__ import annotations

import functools

from ..kernels import CellKernel, GRUKernel, LayerNormGRUKernel, LayerNormLSTMKernel, LSTMKernel, RNNKernel
from .cell import GRUCell, LSTMCell, RNNCell, RNNCellBase
from .kinds import CellKind, add, cell_kind, cell_names, remove
from .recurrent import GRU, LSTM, RNN, RNNBase

__all__ = ["CellKind", "register_cell", "unregister_cell", "cell_kind", "cell_names"]


def register_cell(name: str, kernel, *, layer=None, cell=None, torch=None, aliases: tuple[str, ...] = ()) -> CellKind:
    """Register a cell kind. ``kernel`` makes its step kernel (a ``CellKernel`` class will do); the
    layer and cell default to the generic ``RNNBase(name, ...)`` and ``RNNCellBase(name, ...)``."""
    key = name.lower()
    if not key.isidentifier():
        raise ValueError(f"a cell name must be an identifier, got {name!r}")
    if not isinstance(kernel(), CellKernel):
        raise TypeError(f"{name}: kernel() must return a rnnlab.kernels.CellKernel, got {type(kernel()).__name__}")
    kind = CellKind(key, kernel, layer or functools.partial(RNNBase, key), cell or functools.partial(RNNCellBase, key),
                    torch, tuple(a.lower() for a in aliases))
    add(kind)
    return kind


def unregister_cell(name: str) -> None:
    """Remove a registered kind and its aliases (layers made from it keep working)."""
    remove(name)


register_cell("rnn", lambda: RNNKernel("tanh"), layer=RNN, cell=RNNCell, torch=("RNN", {"nonlinearity": "tanh"}),
              aliases=("rnn_tanh",))
register_cell("rnn_relu", lambda: RNNKernel("relu"), layer=functools.partial(RNN, nonlinearity="relu"),
              cell=functools.partial(RNNCell, nonlinearity="relu"), torch=("RNN", {"nonlinearity": "relu"}))
register_cell("lstm", LSTMKernel, layer=LSTM, cell=LSTMCell, torch=("LSTM", {}))
register_cell("gru", GRUKernel, layer=GRU, cell=GRUCell, torch=("GRU", {}))
# Layer-normalised cells (Ba et al. 2016): their shifts are step parameters after the normalisation,
# so their layers and cells have no biases of their own.
register_cell("ln_lstm", LayerNormLSTMKernel, layer=functools.partial(RNNBase, "ln_lstm", bias=False),
              cell=functools.partial(RNNCellBase, "ln_lstm", bias=False))
register_cell("ln_gru", LayerNormGRUKernel, layer=functools.partial(RNNBase, "ln_gru", bias=False),
              cell=functools.partial(RNNCellBase, "ln_gru", bias=False))
