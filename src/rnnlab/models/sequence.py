"""SequenceModel: a recurrent stack (or a causal feed-forward encoder) read at the valid steps only,
pooled, then a linear layer: classes (logits) for a classifier, values for a forecaster or a regression.

    x (T, N) token ids -> e = drop(E[x]) (T, N, E)        or   x (T, N, D) features -> e = x
    y, h_n = RNN(e, lengths)      y (T, N, dirs*H), zero past each sequence's length; h_n (L*dirs, N, H)
    p = pool(y)                   (N, dirs*H):
        last   [h_n of the last layer, each direction]: the forward direction at step len-1, the
               reverse one at step 0 (PyTorch's packed-sequence semantics)
        mean   sum_{t < len} y_t / len
        max    max_{t < len} y_t, per feature
    logits = drop(p) W^T + b      (N, C)
or, with pool "each" (sequence labelling: one output per step), logits_t = drop(y_t) W^T + b (T, N, C),
zero-padded steps included (a loss masks them).

With ``encoder`` (a causal feed-forward network: ``TCN``, ``WindowMLP``, ``Transformer``) in place of
the recurrent stack, y = encoder(e) (T, N, H) and "last" reads y at each sequence's step len-1 (what
the stack's h_n holds for one direction); outputs before a sequence's end never see its padding.

Backward, from dp (N, dirs*H):
    last   dh_n[last layer, direction d] = dp[:, d*H:(d+1)*H], no gradient on y (an encoder's:
           dy_{len-1} = dp, 0 elsewhere)
    mean   dy_t = dp / len for t < len, else 0
    max    dy_t = dp where t is the step that held the maximum, else 0 (the first such step)
    each   dy = drop'(dlogits W) (T, N, dirs*H)
"""

from __future__ import annotations

import numpy as np

from ..nn import Dropout, Embedding, Linear, Module, cell_kind
from ..nn.module import check_dtype, positive_int

__all__ = ["SequenceModel", "POOLS"]

POOLS = ("last", "mean", "max", "each")


class SequenceModel(Module):
    def __init__(self, num_classes: int, vocab_size: int | None = None, input_size: int | None = None,
                 cell: str = "lstm", hidden_size: int = 128, num_layers: int = 1, embed_size: int | None = None,
                 bidirectional: bool = False, pool: str = "last", dropout: float = 0.0, dtype=np.float32,
                 seed: int | None = None, encoder: Module | None = None) -> None:
        """``encoder`` (its ``input_size`` the embedding's or the features' width) replaces the recurrent
        stack; ``cell``, ``hidden_size``, ``num_layers`` and ``bidirectional`` then do not apply."""
        super().__init__()
        if (vocab_size is None) == (input_size is None):
            raise ValueError("give vocab_size (token ids in) or input_size (features in), not both or neither")
        if pool not in POOLS:
            raise ValueError(f"unknown pool {pool!r}; expected one of {', '.join(POOLS)}")
        self.num_classes = positive_int("num_classes", num_classes)
        self.dtype = check_dtype(dtype)
        if encoder is not None:
            self.cell, self.hidden_size, self.dirs = type(encoder).__name__.lower(), encoder.output_size, 1
        else:
            self.cell, self.hidden_size = cell_kind(cell).name, positive_int("hidden_size", hidden_size)
            self.dirs = 2 if bidirectional else 1
        self.pool = pool
        seeds = np.random.default_rng(seed).integers(2**63, size=5)
        if vocab_size is not None:
            self.embed_size = positive_int("embed_size", embed_size or hidden_size)
            self.embedding = Embedding(positive_int("vocab_size", vocab_size), self.embed_size, dtype, seed=seeds[0])
            width = self.embed_size
        else:
            width = positive_int("input_size", input_size)
        self.drop_in = Dropout(dropout, seed=seeds[1])
        if encoder is None:
            self.rnn = cell_kind(cell).layer(width, hidden_size, num_layers=num_layers, bidirectional=bidirectional,
                                             dropout=dropout, dtype=dtype, seed=seeds[2])
        elif encoder.input_size != width:
            raise ValueError(f"the encoder takes {encoder.input_size} features in, the inputs have {width}")
        else:
            self.encoder = encoder
        self.drop_out = Dropout(dropout, seed=seeds[3])
        self.out = Linear(self.dirs * self.hidden_size, num_classes, dtype=dtype, seed=seeds[4])

    def forward(self, x: np.ndarray, lengths) -> np.ndarray:
        """x (T, N) ids or (T, N, D) features, lengths (N,) in [1, T] -> logits (N, C), or (T, N, C) with
        pool "each"."""
        lengths = np.asarray(lengths)
        e = self.embedding(x) if "embedding" in self.children else x
        if "encoder" in self.children:
            y, h_n = self.encoder(self.drop_in(e), lengths), None  # y (T, N, H)
        else:
            y, h_n = self.rnn(self.drop_in(e), None, lengths)  # y (T, N, dirs*H)
        h = h_n[0] if isinstance(h_n, tuple) else h_n  # (L*dirs, N, H)
        T, N = y.shape[:2]
        h_shape = None if h is None else h.shape
        if self.pool == "each":
            self._save((lengths, T, N, None, isinstance(h_n, tuple), h_shape))
            return self.out(self.drop_out(y))
        if self.pool == "last" and h is None:
            p = y[lengths - 1, np.arange(N)]  # (N, H): each sequence's own last step
            where = None
        elif self.pool == "last":
            p = np.concatenate(list(h[-self.dirs:]), axis=1)  # (N, dirs*H)
            where = None
        elif self.pool == "mean":
            valid = (np.arange(T)[:, None] < lengths[None, :])[:, :, None]  # (T, N, 1); an encoder's y runs on past it
            p = np.where(valid, y, 0).sum(axis=0) / lengths[:, None].astype(self.dtype)
            where = None
        else:
            valid = (np.arange(T)[:, None] < lengths[None, :])[:, :, None]  # (T, N, 1)
            where = np.where(valid, y, -np.inf).argmax(axis=0)  # (N, dirs*H): the step of each maximum
            p = np.take_along_axis(y, where[None], axis=0)[0]
        self._save((lengths, T, N, where, isinstance(h_n, tuple), h_shape))
        return self.out(self.drop_out(p))

    def backward(self, dlogits: np.ndarray) -> np.ndarray | None:
        """Parameter gradients from dL/dlogits (N, C); returns dL/dx for features, None for token ids."""
        lengths, T, N, where, two_states, h_shape = self._take()
        dp = self.drop_out.backward(self.out.backward(dlogits))  # (N, dirs*H)
        H = self.hidden_size
        dy, dfinal = None, None
        if self.pool == "each":
            dy = dp
        elif self.pool == "last" and h_shape is None:
            dy = np.zeros((T, N, dp.shape[1]), self.dtype)
            dy[lengths - 1, np.arange(N)] = dp
        elif self.pool == "last":
            dh = np.zeros(h_shape, self.dtype)
            for d in range(self.dirs):
                dh[h_shape[0] - self.dirs + d] = dp[:, d * H:(d + 1) * H]
            dfinal = (dh, None) if two_states else dh
        elif self.pool == "mean":
            valid = (np.arange(T)[:, None] < lengths[None, :])[:, :, None]
            dy = np.where(valid, (dp / lengths[:, None].astype(self.dtype))[None], 0).astype(self.dtype)
        else:
            dy = np.zeros((T, N, dp.shape[1]), self.dtype)
            np.put_along_axis(dy, where[None], dp[None], axis=0)
        dx = self.encoder.backward(dy) if "encoder" in self.children else self.rnn.backward(dy, dfinal)[0]
        dx = self.drop_in.backward(dx)
        if "embedding" in self.children:
            self.embedding.backward(dx)
            return None
        return dx
