"""Feed-forward layers: ``Linear``, ``Embedding``, ``Dropout``, ``ReLU``, ``GELU`` and ``LayerNorm``, each with
forward and backward."""

from __future__ import annotations

import math

import numpy as np

from .. import init
from ..functional import sum_rows, sum_rows_by_index
from .module import Module, check_dtype, is_array, positive_int

__all__ = ["Linear", "Embedding", "Dropout", "ReLU", "GELU", "LayerNorm"]


class Linear(Module):
    """y = x W^T + b.   x (..., D_in) -> y (..., D_out); W (D_out, D_in), b (D_out,).

    Backward: dx = dy W,  dW = sum dy^T x,  db = sum dy (sums over every leading index).
    Initialised like PyTorch: W and b ~ U(-1/sqrt(D_in), 1/sqrt(D_in)).
    """

    def __init__(self, in_features, out_features, bias=True, dtype=np.float32, seed=None):
        super().__init__()
        self.in_features = positive_int("in_features", in_features)
        self.out_features = positive_int("out_features", out_features)
        self.dtype = check_dtype(dtype)
        rng = np.random.default_rng(seed)
        scale = 1.0 / math.sqrt(self.in_features)
        self.params["weight"] = init.uniform(rng, (self.out_features, self.in_features), scale, self.dtype)
        if bias:
            self.params["bias"] = init.uniform(rng, (self.out_features,), scale, self.dtype)
        self._init_grads()

    def forward(self, x: np.ndarray) -> np.ndarray:
        if not is_array(x) or x.ndim < 1 or x.shape[-1] != self.in_features:
            raise ValueError(f"Linear expects input (..., {self.in_features}), got shape {getattr(x, 'shape', None)}")
        if x.dtype != self.dtype:
            raise ValueError(f"Linear input must have dtype {self.dtype}, got {x.dtype}")
        self._save(x)
        y = x.reshape(-1, self.in_features) @ self.params["weight"].T  # one 2-D product: (M, D_in) @ (D_in, D_out)
        if "bias" in self.params:
            y += self.params["bias"]
        return y.reshape(x.shape[:-1] + (self.out_features,))

    def backward(self, dy: np.ndarray | None) -> np.ndarray | None:
        """dy like the output (None: zero) -> dx like the input (None when dy is); adds dW, db."""
        def check(x):
            if dy is not None and dy.shape != x.shape[:-1] + (self.out_features,):
                raise ValueError(f"dy must have shape {x.shape[:-1] + (self.out_features,)}, got {dy.shape}")

        x = self._take(check)
        if dy is None:
            return None
        dy2 = dy.reshape(-1, self.out_features)
        self.grads["weight"] += dy2.T @ x.reshape(-1, self.in_features)
        if "bias" in self.params:
            self.grads["bias"] += sum_rows(dy2)
        return (dy2 @ self.params["weight"]).reshape(x.shape)


class Embedding(Module):
    """y[...] = W[idx[...]].   idx (...) integers in [0, V) -> y (..., E); W (V, E) ~ N(0, 1).

    Backward: dW[v] = sum of dy over the positions where idx == v (no gradient for idx).
    """

    def __init__(self, num_embeddings, embedding_dim, dtype=np.float32, seed=None):
        super().__init__()
        self.num_embeddings = positive_int("num_embeddings", num_embeddings)
        self.embedding_dim = positive_int("embedding_dim", embedding_dim)
        self.dtype = check_dtype(dtype)
        rng = np.random.default_rng(seed)
        self.params["weight"] = init.normal(rng, (self.num_embeddings, self.embedding_dim), 1.0, self.dtype)
        self._init_grads()

    def forward(self, idx: np.ndarray) -> np.ndarray:
        idx = self.indices(idx)
        self._save(idx)
        return self.params["weight"][idx]

    def indices(self, idx) -> np.ndarray:
        """``idx`` as an integer array, checked (for callers that use W[idx] without forming it)."""
        idx = np.asarray(idx)
        if not np.issubdtype(idx.dtype, np.integer):
            raise ValueError(f"Embedding expects integer indices, got dtype {idx.dtype}")
        if idx.size and (idx.min() < 0 or idx.max() >= self.num_embeddings):
            raise ValueError(f"Embedding indices must lie in [0, {self.num_embeddings}), got "
                             f"min {idx.min()} and max {idx.max()}")
        return idx

    def backward(self, dy: np.ndarray | None) -> None:
        """dy like the output (None: zero); adds dW. Indices have no gradient: returns None."""
        def check(idx):
            if dy is not None and dy.shape != idx.shape + (self.embedding_dim,):
                raise ValueError(f"dy must have shape {idx.shape + (self.embedding_dim,)}, got {dy.shape}")

        idx = self._take(check)
        if dy is None:
            return None
        sum_rows_by_index(idx.reshape(-1), dy.reshape(-1, self.embedding_dim), self.grads["weight"])
        return None


class Dropout(Module):
    """Inverted dropout: y = x * m / (1 - p), m ~ Bernoulli(1 - p), in training mode only.

    Backward: dx = dy * m / (1 - p) with the mask of that forward. In eval mode y = x.
    """

    def __init__(self, p: float = 0.5, seed=None):
        super().__init__()
        if not (isinstance(p, (int, float)) and 0.0 <= p < 1.0):
            raise ValueError(f"dropout probability must be in [0, 1), got {p!r}")
        self.p = float(p)
        self.rng = np.random.default_rng(seed)

    def forward(self, x: np.ndarray) -> np.ndarray:
        if not self.training or self.p == 0.0:
            self._save(None)
            return x
        keep = 1.0 - self.p
        mask = (self.rng.random(self.mask_shape(x.shape)) < keep).astype(x.dtype) / x.dtype.type(keep)
        self._save(mask)
        return x * mask

    def mask_shape(self, shape: tuple) -> tuple:
        """The shape of one forward's mask: x's own (a subclass may share it along an axis)."""
        return shape

    def backward(self, dy: np.ndarray | None) -> np.ndarray | None:
        mask = self._take()
        return dy if dy is None or mask is None else dy * mask


class ReLU(Module):
    """y = max(x, 0).   Backward: dx = dy where x > 0, else 0."""

    def forward(self, x: np.ndarray) -> np.ndarray:
        keep = x > 0
        self._save(keep)
        return np.where(keep, x, x.dtype.type(0))

    def backward(self, dy: np.ndarray) -> np.ndarray:
        keep = self._take()
        return np.where(keep, dy, dy.dtype.type(0))


class GELU(Module):
    """GELU, the tanh form of GPT-2 (PyTorch's ``GELU(approximate="tanh")``):

        y = x (1 + tanh(u)) / 2,   u = sqrt(2/pi) (x + 0.044715 x^3)
        dx = dy [(1 + tanh u) / 2 + x (1 - tanh^2 u) sqrt(2/pi) (1 + 3 * 0.044715 x^2) / 2]
    """

    C = math.sqrt(2.0 / math.pi)

    def forward(self, x: np.ndarray) -> np.ndarray:
        c = x.dtype.type(self.C)
        u = np.multiply(x, x)  # in place from here: x * x, not x ** 3 (NumPy's float32 power is 30x slower)
        u *= x.dtype.type(0.044715) * c
        u += c
        u *= x
        t = np.tanh(u, out=u)  # tanh(u), u = C x (1 + 0.044715 x^2)
        self._save((x, t))
        y = t + 1
        y *= x
        y *= x.dtype.type(0.5)
        return y

    def backward(self, dy: np.ndarray) -> np.ndarray:
        x, t = self._take()
        half = dy.dtype.type(0.5)
        g = np.multiply(x, x)  # the bracket of dx, in place: x (1 - t^2) C (1 + 3 * 0.044715 x^2) / 2 ...
        g *= dy.dtype.type(3 * 0.044715 * self.C / 2)
        g += dy.dtype.type(self.C / 2)
        g *= x
        s = np.multiply(t, t)
        np.subtract(1, s, out=s)
        g *= s
        s = np.multiply(t, half, out=s)  # ... + (1 + t) / 2
        g += s
        g += half
        g *= dy
        return g


class LayerNorm(Module):
    """Layer normalisation over the last axis (Ba et al. 2016).   x (..., C) -> y (..., C); gamma, beta (C,)

        mu = mean(x), r = 1 / sqrt(mean((x - mu)^2) + eps), xh = (x - mu) r, y = gamma xh + beta
        backward: dbeta = sum dy, dgamma = sum dy xh; with g = dy gamma:
                  dx = r (g - mean(g) - xh mean(g xh))
    """

    def __init__(self, size: int, eps: float = 1e-5, dtype=np.float32) -> None:
        super().__init__()
        self.size, self.eps, self.dtype = positive_int("size", size), float(eps), check_dtype(dtype)
        self.params["weight"] = np.ones(self.size, self.dtype)
        self.params["bias"] = np.zeros(self.size, self.dtype)
        self._init_grads()

    def forward(self, x: np.ndarray) -> np.ndarray:
        if x.shape[-1] != self.size:
            raise ValueError(f"LayerNorm expects input (..., {self.size}), got {x.shape}")
        xc = x - x.mean(axis=-1, keepdims=True)
        r = 1.0 / np.sqrt((xc * xc).mean(axis=-1, keepdims=True) + self.eps)
        xh = xc * r
        self._save((xh, r))
        return xh * self.params["weight"] + self.params["bias"]

    def backward(self, dy: np.ndarray) -> np.ndarray:
        xh, r = self._take()
        C = self.size
        self.grads["bias"] += dy.reshape(-1, C).sum(axis=0)
        self.grads["weight"] += (dy * xh).reshape(-1, C).sum(axis=0)
        g = dy * self.params["weight"]
        return r * (g - g.mean(axis=-1, keepdims=True) - xh * (g * xh).mean(axis=-1, keepdims=True))
