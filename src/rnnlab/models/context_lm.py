"""ContextLanguageModel: a language model on a feed-forward sequence encoder (TCN, Transformer, window MLP)
that carries the last K tokens from one batch to the next, as a recurrent model carries its state.

    state s (K', N) the previous batch's last tokens (K' <= K; none at a stream's start)
    u = [s; x]                      (K' + T, N) ids
    e = drop(E[u])                  (K' + T, N, E)
    y = encoder(e)                  (K' + T, N, H), causal: y_t sees u_1..u_t
    logits = drop(y[K':]) W^T + b   (T, N, V): the T new positions only
    new state = u[-K:]

So each prediction sees K tokens before its batch besides the batch's own: with K = R - 1 for a TCN or
window MLP of receptive field R, every output equals what the encoder computes on the whole stream.
The carried tokens are constants (as truncated BPTT treats a carried state): backward puts dlogits
back at the new positions, zero at the context's, through the decoder, encoder and embedding.
"""

from __future__ import annotations

import numpy as np

from ..nn import Dropout, Embedding, Linear, Module
from ..nn.module import check_dtype, positive_int

__all__ = ["ContextLanguageModel"]


class ContextLanguageModel(Module):
    def __init__(self, vocab_size: int, encoder: Module, context: int, embed_size: int | None = None,
                 dropout: float = 0.0, dtype=np.float32, seed: int | None = None) -> None:
        super().__init__()
        self.vocab_size = positive_int("vocab_size", vocab_size)
        self.embed_size = positive_int("embed_size", embed_size or encoder.input_size)
        if encoder.input_size != self.embed_size:
            raise ValueError(f"the encoder takes {encoder.input_size} features in, the embedding gives {self.embed_size}")
        if not (isinstance(context, (int, np.integer)) and context >= 0):
            raise ValueError(f"context must be a number of tokens >= 0, got {context!r}")
        self.context, self.dtype = int(context), check_dtype(dtype)
        seeds = np.random.default_rng(seed).integers(2**63, size=4)
        self.embedding = Embedding(self.vocab_size, self.embed_size, dtype, seed=seeds[0])
        self.drop_in = Dropout(dropout, seed=seeds[1])
        self.encoder = encoder
        self.drop_out = Dropout(dropout, seed=seeds[2])
        self.decoder = Linear(encoder.output_size, self.vocab_size, dtype=dtype, seed=seeds[3])

    def forward(self, x: np.ndarray, state: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray]:
        """x (T, N) ids, state (K', N) ids or None -> (logits (T, N, V), the last K tokens (K, N))."""
        x = np.asarray(x)
        if x.ndim != 2:
            raise ValueError(f"ContextLanguageModel expects ids of shape (T, N), got {x.shape}")
        u = x if state is None or len(state) == 0 else np.concatenate([state, x])
        k = len(u) - len(x)
        y = self.encoder(self.drop_in(self.embedding(u)))
        self._save((k, y.shape))
        logits = self.decoder(self.drop_out(y[k:]))
        return logits, u[len(u) - min(self.context, len(u)):]

    def backward(self, dlogits: np.ndarray, scale: float = 1.0) -> None:
        """Every parameter gradient from dL/dlogits (T, N, V); the carried tokens get none. ``scale`` is
        LanguageModel's (the factor of penalties this model does not have)."""
        k, shape = self._take()
        dy = np.zeros(shape, self.dtype)
        dy[k:] = self.drop_out.backward(self.decoder.backward(dlogits))
        self.embedding.backward(self.drop_in.backward(self.encoder.backward(dy)))
