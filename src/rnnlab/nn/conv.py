"""Causal dilated 1-D convolution over time, optionally weight-normalised (the TCN's layer).

    x (T, N, C_in) -> y (T, N, C_out);   W (C_out, C_in, k) (PyTorch's Conv1d layout), b (C_out,)

    y_t = b + sum_{j=0}^{k-1} W[:, :, j] x_{t - (k-1-j) d}          (x_s = 0 for s < 0)

so y_t sees x_t and the k-1 inputs d, 2d, ... steps before it, never a later one: PyTorch's
``Conv1d(padding=(k-1) d, dilation=d)`` with the last (k-1) d outputs cut off (Bai et al. 2018's
"chomp"). With x_pad = [(k-1) d zero steps, x] (T + (k-1) d, N, C_in) and W_j = W[:, :, j]:

    forward    y = b + sum_j x_pad[j d : j d + T] W_j^T
    backward   dx_pad[j d : j d + T] += dy W_j        dW_j = sum_{t, n} dy_t^T x_pad[j d + t]
               db = sum_{t, n} dy_t                    dx = dx_pad[(k-1) d :]

Weight normalisation (Salimans & Kingma 2016; PyTorch's ``weight_norm(conv, dim=0)``) makes W a function
of a direction v (C_out, C_in, k) and a length g (C_out, 1, 1), one per output channel:

    W = g v / ||v||        (||v|| over C_in and k)
    with u = v / ||v||:    dg = sum(dW * u)      dv = (g / ||v||) (dW - dg u)

(the gradient of a length along its direction, and of a direction perpendicular to itself).
"""

from __future__ import annotations

import math

import numpy as np

from .. import init
from ..functional import sum_rows
from .module import Module, check_dtype, is_array, positive_int

__all__ = ["CausalConv1d"]


class CausalConv1d(Module):
    def __init__(self, in_channels: int, out_channels: int, kernel_size: int, dilation: int = 1,
                 weight_norm: bool = False, bias: bool = True, init_std: float | None = None,
                 dtype=np.float32, seed: int | None = None) -> None:
        """Weights as PyTorch's Conv1d (U(-1/sqrt(C_in k), 1/sqrt(C_in k))), or N(0, init_std^2) when
        ``init_std`` is given (the TCN's 0.01); with ``weight_norm``, g starts at ||v|| (W unchanged)."""
        super().__init__()
        self.in_channels = positive_int("in_channels", in_channels)
        self.out_channels = positive_int("out_channels", out_channels)
        self.kernel_size = positive_int("kernel_size", kernel_size)
        self.dilation = positive_int("dilation", dilation)
        self.weight_norm, self.dtype = bool(weight_norm), check_dtype(dtype)
        rng = np.random.default_rng(seed)
        shape = (self.out_channels, self.in_channels, self.kernel_size)
        bound = 1.0 / math.sqrt(self.in_channels * self.kernel_size)
        w = init.uniform(rng, shape, bound, self.dtype) if init_std is None else init.normal(rng, shape, init_std,
                                                                                             self.dtype)
        if self.weight_norm:
            self.params["weight_g"] = np.sqrt((w * w).sum(axis=(1, 2), keepdims=True)).astype(self.dtype)
            self.params["weight_v"] = w
        else:
            self.params["weight"] = w
        if bias:
            self.params["bias"] = init.uniform(rng, (self.out_channels,), bound, self.dtype)
        self._init_grads()

    @property
    def pad(self) -> int:
        """(k - 1) d: how far back the first tap reaches."""
        return (self.kernel_size - 1) * self.dilation

    def weight(self) -> np.ndarray:
        """W (C_out, C_in, k): the weight itself, or g v / ||v|| under weight normalisation."""
        if not self.weight_norm:
            return self.params["weight"]
        v = self.params["weight_v"]
        return self.params["weight_g"] * v / np.sqrt((v * v).sum(axis=(1, 2), keepdims=True))

    def forward(self, x: np.ndarray) -> np.ndarray:
        """x (T, N, C_in) -> y (T, N, C_out)."""
        if not is_array(x) or x.ndim != 3 or x.shape[2] != self.in_channels or x.dtype != self.dtype:
            raise ValueError(f"CausalConv1d expects input (T, N, {self.in_channels}) of dtype {self.dtype}, got "
                             f"{getattr(x, 'shape', None)} {getattr(x, 'dtype', None)}")
        T, N, C = x.shape
        xp = np.concatenate([np.zeros((self.pad, N, C), self.dtype), x]) if self.pad else x
        W = self.weight()
        y = np.zeros((T * N, self.out_channels), self.dtype) if "bias" not in self.params else np.broadcast_to(
            self.params["bias"], (T * N, self.out_channels)).copy()
        d = self.dilation
        for j in range(self.kernel_size):
            y += xp[j * d:j * d + T].reshape(T * N, C) @ W[:, :, j].T
        self._save((xp, W, T))
        return y.reshape(T, N, self.out_channels)

    def backward(self, dy: np.ndarray) -> np.ndarray:
        """dy (T, N, C_out) -> dx (T, N, C_in); adds the weight (or g and v) and bias gradients."""
        def check(r):
            if dy.shape != (r[2], r[0].shape[1], self.out_channels):
                raise ValueError(f"dy must have shape {(r[2], r[0].shape[1], self.out_channels)}, got {dy.shape}")

        xp, W, T = self._take(check)
        N, C, d = xp.shape[1], self.in_channels, self.dilation
        dy2 = dy.reshape(T * N, self.out_channels)
        dxp = np.zeros_like(xp)
        dW = np.empty_like(W)
        for j in range(self.kernel_size):
            dxp[j * d:j * d + T] += (dy2 @ W[:, :, j]).reshape(T, N, C)
            dW[:, :, j] = dy2.T @ xp[j * d:j * d + T].reshape(T * N, C)
        if "bias" in self.params:
            self.grads["bias"] += sum_rows(dy2)
        if self.weight_norm:
            v, g = self.params["weight_v"], self.params["weight_g"]
            norm = np.sqrt((v * v).sum(axis=(1, 2), keepdims=True))
            u = v / norm
            dg = (dW * u).sum(axis=(1, 2), keepdims=True)
            self.grads["weight_g"] += dg
            self.grads["weight_v"] += (g / norm) * (dW - dg * u)
        else:
            self.grads["weight"] += dW
        return dxp[self.pad:]
