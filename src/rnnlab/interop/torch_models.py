"""A ``LanguageModel`` in PyTorch and back: the same layers under the same names, so the weights move
as they are.

    x (T, N) -> embedding -> dropout -> RNN/LSTM/GRU (L layers, dropout between) -> dropout -> decoder
             -> logits (T, N, V), final state

torch is imported inside the functions: rnnlab never needs it at run time.
"""

from __future__ import annotations

import functools

import numpy as np

from ..models import LanguageModel
from ..nn import cell_kind, cell_names
from .torch_weights import _torch, _torch_dtype, torch_state_dict

__all__ = ["language_model_to_torch", "language_model_from_torch", "torch_language_model_class"]


@functools.cache
def torch_language_model_class():
    """``TorchLanguageModel(vocab_size, cell, hidden_size, num_layers, embed_size, dropout, tie_weights,
    dtype)``, a ``torch.nn.Module`` that computes what ``rnnlab.models.LanguageModel`` does."""
    torch = _torch()

    class TorchLanguageModel(torch.nn.Module):
        def __init__(self, vocab_size, cell="lstm", hidden_size=256, num_layers=2, embed_size=None, dropout=0.0,
                     tie_weights=False, dtype=torch.float32):
            super().__init__()
            kind = cell_kind(cell)
            if kind.torch is None:
                raise TypeError(f"cell kind {kind.name!r} has no PyTorch counterpart")
            name, options = kind.torch
            E = embed_size or hidden_size
            self.cell = kind.name
            self.embedding = torch.nn.Embedding(vocab_size, E, dtype=dtype)
            self.drop = torch.nn.Dropout(dropout)
            self.rnn = getattr(torch.nn, name)(E, hidden_size, num_layers, dropout=dropout if num_layers > 1 else 0.0,
                                               dtype=dtype, **options)
            self.decoder = torch.nn.Linear(hidden_size, vocab_size, dtype=dtype)
            if tie_weights:
                self.decoder.weight = self.embedding.weight

        def forward(self, x, state=None):
            h, state = self.rnn(self.drop(self.embedding(x)), state)
            return self.decoder(self.drop(h)), state

    return TorchLanguageModel


def language_model_to_torch(model: LanguageModel):
    """A new TorchLanguageModel with ``model``'s configuration and weights."""
    if model.proj_size or model.top_size:
        raise TypeError("to_torch writes language models of one stack without projections; this one has "
                        + ("projections" if model.proj_size else "a last layer of its own width"))
    out = torch_language_model_class()(model.vocab_size, model.cell, model.hidden_size, model.num_layers,
                                       model.embed_size, model.dropout, model.tie_weights, _torch_dtype(model.dtype))
    state = torch_state_dict(model)
    if model.tie_weights:
        state["decoder.weight"] = state["embedding.weight"]
    out.load_state_dict(state)
    return out.train(model.training)


def language_model_from_torch(tmodule, dtype=None) -> LanguageModel:
    """A new LanguageModel from a module with ``embedding``, ``rnn`` (RNN, LSTM or GRU) and ``decoder``
    (Linear) children, as TorchLanguageModel has."""
    torch = _torch()
    rnn, emb, dec = tmodule.rnn, tmodule.embedding, tmodule.decoder
    base = type(rnn).__name__
    options = {"nonlinearity": rnn.nonlinearity} if base == "RNN" else {}
    cell = next(n for n in cell_names() if cell_kind(n).torch == (base, options))
    dtype = np.dtype(dtype or {torch.float32: np.float32, torch.float64: np.float64}[emb.weight.dtype])
    tied = dec.weight is emb.weight
    model = LanguageModel(emb.num_embeddings, cell, rnn.hidden_size, rnn.num_layers, emb.embedding_dim,
                          rnn.dropout, tied, init_scale=None, dtype=dtype)
    state = {k: v.detach().cpu().numpy().astype(dtype) for k, v in tmodule.state_dict().items()}
    if tied:
        del state["decoder.weight"]
    model.load_state_dict(state)
    return model.train(tmodule.training)
