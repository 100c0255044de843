"""Causal multi-head self-attention (Vaswani et al. 2017; GPT-2's and nanoGPT's layout).

    x (T, N, C) -> y (T, N, C); h heads of width d = C / h; c_attn: C -> 3C, c_proj: C -> C (``Linear``)

    [q, k, v] = c_attn(x)                   each (T, N, C), split into heads: (N, h, T, d)
    S = q k^T / sqrt(d)                     (N, h, T, T), S_ij = -inf for j > i (no step sees a later one)
    P = softmax_j(S)                        A = drop(P)
    Y = A v                                 (N, h, T, d), heads merged back to (T, N, C)
    y = drop(c_proj(Y))

Backward, from dy: dY = c_proj.backward(drop'(dy)), split into heads;

    dA = dY v^T      dv = A^T dY      dP = drop'(dA)
    dS = P (dP - sum_j dP P)               (the softmax's Jacobian, row by row; 0 where masked)
    dq = dS k / sqrt(d)      dk = dS^T q / sqrt(d)

then [dq, dk, dv] merged and through c_attn.backward.
"""

from __future__ import annotations

import math

import numpy as np

from .layers import Dropout, Linear
from .module import Module, check_dtype, positive_int

__all__ = ["CausalSelfAttention"]


class CausalSelfAttention(Module):
    def __init__(self, size: int, heads: int, dropout: float = 0.0, dtype=np.float32, seed: int | None = None) -> None:
        super().__init__()
        self.size, self.heads = positive_int("size", size), positive_int("heads", heads)
        if self.size % self.heads:
            raise ValueError(f"the width {size} must be a multiple of the number of heads {heads}")
        self.dtype = check_dtype(dtype)
        seeds = np.random.default_rng(seed).integers(2**63, size=4)
        self.c_attn = Linear(size, 3 * size, dtype=dtype, seed=seeds[0])
        self.c_proj = Linear(size, size, dtype=dtype, seed=seeds[1])
        self.attn_drop = Dropout(dropout, seed=seeds[2])
        self.resid_drop = Dropout(dropout, seed=seeds[3])

    def _heads(self, a: np.ndarray) -> np.ndarray:
        """(T, N, C) -> (N, h, T, d)."""
        T, N, _ = a.shape
        return a.reshape(T, N, self.heads, -1).transpose(1, 2, 0, 3)

    def _merge(self, a: np.ndarray) -> np.ndarray:
        """(N, h, T, d) -> (T, N, C)."""
        N, _, T, _ = a.shape
        return a.transpose(2, 0, 1, 3).reshape(T, N, self.size)

    def forward(self, x: np.ndarray) -> np.ndarray:
        """x (T, N, C) -> y (T, N, C)."""
        T = x.shape[0]
        q, k, v = (self._heads(a) for a in np.split(self.c_attn(x), 3, axis=-1))
        scale = 1.0 / math.sqrt(self.size // self.heads)
        S = (q @ k.transpose(0, 1, 3, 2)) * self.dtype.type(scale)
        S += np.triu(np.full((T, T), -np.inf, self.dtype), 1)  # (T, T) broadcast: faster than a boolean index
        S -= S.max(axis=-1, keepdims=True)
        P = np.exp(S, out=S)
        P /= P.sum(axis=-1, keepdims=True)
        A = self.attn_drop(P)
        self._save((q, k, v, P, A, scale))
        return self.resid_drop(self.c_proj(self._merge(A @ v)))

    def backward(self, dy: np.ndarray) -> np.ndarray:
        """dy (T, N, C) -> dx (T, N, C); adds the projections' gradients."""
        q, k, v, P, A, scale = self._take()
        dY = self._heads(self.c_proj.backward(self.resid_drop.backward(dy)))
        dv = A.transpose(0, 1, 3, 2) @ dY
        dP = self.attn_drop.backward(dY @ v.transpose(0, 1, 3, 2))
        dS = P * (dP - (dP * P).sum(axis=-1, keepdims=True))
        dS *= self.dtype.type(scale)
        dq, dk = dS @ k, dS.transpose(0, 1, 3, 2) @ q
        return self.c_attn.backward(np.concatenate([self._merge(dq), self._merge(dk), self._merge(dv)], axis=-1))
