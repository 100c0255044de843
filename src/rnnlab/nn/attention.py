"""Attention of a query over a sequence of values, masked past each sequence's length.

For a query s (N, S) (the decoder's state), values h (T, N, H) (the encoder's outputs) and lengths
(N,), with positions j >= length masked out:

    additive (Bahdanau et al. 2014)   k_j = U h_j            e_j = v^T tanh(W s + k_j)
                                      U (A, H), W (A, S), v (A,)
    general (Luong et al. 2015)       k_j = W h_j            e_j = s^T k_j           W (S, H)
    dot (Luong et al. 2015)           k_j = h_j              e_j = s^T k_j           (S = H)

    a = softmax_j(e) over the valid j (0 elsewhere)     c = sum_j a_j h_j   (N, H)

The keys k depend on the values only, so ``keys(h)`` computes them once per source sequence and every
decoder step calls ``forward(s, k, h, lengths)``. Backward, from dc (N, H) and optionally da (N, T)
(a gradient on the weights themselves):

    g_j = dc . h_j + da_j                    dh_j += a_j dc
    de_j = a_j (g_j - sum_i a_i g_i)         (the softmax's Jacobian; 0 at masked j)
    additive: t_j = tanh(W s + k_j), dz_j = de_j v (1 - t_j^2)
              dv += sum_j de_j t_j,  dk_j = dz_j,  ds = (sum_j dz_j) W,  dW += (sum_j dz_j)^T s
    general, dot: dk_j = de_j s,  ds = sum_j de_j k_j

and ``keys_backward(dk)`` with dk summed over every step that used the keys: dh += dk U (additive),
dk W (general), dk (dot); dU += dk^T h, dW += dk^T h.
"""

from __future__ import annotations

import math

import numpy as np

from .. import init
from .module import Module, check_dtype, positive_int

__all__ = ["Attention", "ATTENTION_KINDS"]

ATTENTION_KINDS = ("additive", "general", "dot")


class Attention(Module):
    def __init__(self, query_size: int, value_size: int, kind: str = "additive", attention_size: int | None = None,
                 dtype=np.float32, seed: int | None = None) -> None:
        super().__init__()
        if kind not in ATTENTION_KINDS:
            raise ValueError(f"unknown attention {kind!r}; expected one of {', '.join(ATTENTION_KINDS)}")
        self.kind, self.dtype = kind, check_dtype(dtype)
        self.query_size = positive_int("query_size", query_size)
        self.value_size = positive_int("value_size", value_size)
        if kind == "dot" and query_size != value_size:
            raise ValueError(f"dot attention needs query_size = value_size, got {query_size} and {value_size}")
        rng = np.random.default_rng(seed)
        if kind == "additive":
            A = self.attention_size = positive_int("attention_size", attention_size or value_size)
            self.params["key_weight"] = init.uniform(rng, (A, value_size), 1 / math.sqrt(value_size), self.dtype)
            self.params["query_weight"] = init.uniform(rng, (A, query_size), 1 / math.sqrt(query_size), self.dtype)
            self.params["score_weight"] = init.uniform(rng, (A,), 1 / math.sqrt(A), self.dtype)
        elif kind == "general":
            self.params["weight"] = init.uniform(rng, (query_size, value_size), 1 / math.sqrt(value_size), self.dtype)
        self._init_grads()

    _KEY = {"additive": "key_weight", "general": "weight"}  # dot attention's keys are the values

    def _key_matrix(self) -> np.ndarray | None:
        name = self._KEY.get(self.kind)
        return None if name is None else self.params[name]

    def keys(self, h: np.ndarray) -> np.ndarray:
        """k (T, N, A | S | H) of the values h (T, N, H)."""
        if h.ndim != 3 or h.shape[2] != self.value_size or h.dtype != self.dtype:
            raise ValueError(f"values must be ({self.value_size}-wide) (T, N, {self.value_size}) of dtype "
                             f"{self.dtype}, got {h.shape} {h.dtype}")
        self._save(("keys", h))
        M = self._key_matrix()
        return h if M is None else h @ M.T

    def keys_backward(self, dk: np.ndarray) -> np.ndarray:
        """dh (T, N, H) from dk, the keys' gradient summed over every step that used them."""
        kind, h = self._take(lambda r: r[0] == "keys" or _order_error())
        M = self._key_matrix()
        if M is None:
            return dk.copy()
        self.grads[self._KEY[self.kind]] += dk.reshape(-1, dk.shape[-1]).T @ h.reshape(-1, h.shape[-1])
        return dk @ M

    def forward(self, s: np.ndarray, k: np.ndarray, h: np.ndarray, lengths=None) -> tuple[np.ndarray, np.ndarray]:
        """Context c (N, H) and weights a (N, T) of the query s (N, S) over the values h (T, N, H) with
        their keys k (``keys(h)``); ``lengths`` (N,) masks j >= length (None: every j)."""
        T, N, _ = h.shape
        if s.shape != (N, self.query_size):
            raise ValueError(f"query must have shape ({N}, {self.query_size}), got {s.shape}")
        valid = np.ones((T, N), bool) if lengths is None else np.arange(T)[:, None] < np.asarray(lengths)[None, :]
        if not valid[0].all():
            raise ValueError("every sequence needs a length of at least 1")
        if self.kind == "additive":
            t = np.tanh(s @ self.params["query_weight"].T + k)  # (T, N, A)
            e = t @ self.params["score_weight"]  # (T, N)
        else:
            t = None
            e = np.einsum("ns,tns->tn", s, k)
        e = np.where(valid, e, -np.inf)
        a = np.exp(e - e.max(axis=0))
        a /= a.sum(axis=0)  # (T, N), 0 where masked
        c = np.einsum("tn,tnh->nh", a, h)
        self._save(("step", s, k, h, t, a))
        return c, np.ascontiguousarray(a.T)

    def backward(self, dc: np.ndarray, da: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """(ds (N, S), dk like the keys, dh (T, N, H): the values' gradient through the weighted sum) from
        dc (N, H) and optionally da (N, T); adds the score's parameter gradients."""
        _, s, k, h, t, a = self._take(lambda r: r[0] == "step" or _order_error())
        g = np.einsum("nh,tnh->tn", dc, h) + (0 if da is None else da.T)
        dh = a[:, :, None] * dc[None]
        de = a * (g - (a * g).sum(axis=0))  # (T, N)
        if self.kind == "additive":
            self.grads["score_weight"] += np.einsum("tn,tna->a", de, t)
            dk = de[:, :, None] * self.params["score_weight"] * (1 - t * t)  # dz (T, N, A)
            dq = dk.sum(axis=0)  # (N, A)
            self.grads["query_weight"] += dq.T @ s
            ds = dq @ self.params["query_weight"]
        else:
            dk = de[:, :, None] * s[None]
            ds = np.einsum("tn,tns->ns", de, k)
        return ds.astype(self.dtype), dk.astype(self.dtype), dh.astype(self.dtype)


def _order_error():
    raise RuntimeError("Attention: backward and keys_backward must come in the reverse order of forward and keys "
                       "(every step's backward first, then keys_backward)")
