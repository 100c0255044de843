"""``to_torch`` and ``from_torch``: any module with a PyTorch counterpart, both ways (the layers:
``torch_weights``; a whole language model: ``torch_models``)."""

from __future__ import annotations

from ..models import LanguageModel
from .torch_models import language_model_from_torch, language_model_to_torch
from .torch_weights import layer_from_torch, layer_to_torch

__all__ = ["to_torch", "from_torch"]


def to_torch(module):
    """A new ``torch.nn`` module with the same configuration and weights as ``module``: a recurrent
    layer or cell of a kind with a PyTorch counterpart (RNN, LSTM, GRU), a Linear, an Embedding or a
    LanguageModel."""
    return language_model_to_torch(module) if isinstance(module, LanguageModel) else layer_to_torch(module)


def from_torch(tmodule, dtype=None):
    """A new rnnlab module with the configuration and weights of a ``torch.nn`` module ``to_torch``
    makes (a language model: one with embedding, rnn and decoder children); ``dtype`` defaults to the
    torch module's (float32 or float64)."""
    if all(hasattr(tmodule, child) for child in ("embedding", "rnn", "decoder")):
        return language_model_from_torch(tmodule, dtype)
    return layer_from_torch(tmodule, dtype)
