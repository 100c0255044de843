"""The temporal convolutional network of Bai, Kolter & Koltun (2018), as a sequence encoder.

    x (T, N, D) -> y (T, N, C): y_t depends on x_{t - R + 1}, ..., x_t only (R the receptive field)

Block i (dilation d = 2^i, kernel k, widths C_in -> C), with causal convolutions (``CausalConv1d``,
weight-normalised) and dropout p:

    a = drop(relu(conv1(x)))          b = drop(relu(conv2(a)))
    r = x if C_in = C else x V^T      (a 1x1 convolution V (C, C_in) on the skip, Bai et al.'s "downsample")
    y = relu(b + r)

Backward, from dy: dz = dy [b + r > 0]; db = dz; dr = dz; then back through conv2, relu, dropout, conv1
to dx_a, and dx = dx_a + dr (or + dr V). n blocks reach R = 1 + 2 (k - 1) (2^n - 1) steps back.

Initialised as Bai et al.'s code: every convolution's weight (v) ~ N(0, 0.01^2), g = ||v||, biases as
PyTorch's Conv1d.
"""

from __future__ import annotations

import numpy as np

from ..nn import Dropout, Module, ModuleList, ReLU
from ..nn.conv import CausalConv1d
from ..nn.module import check_dtype, positive_int

__all__ = ["TCN", "TemporalBlock", "receptive_field"]

INIT_STD = 0.01


def receptive_field(kernel_size: int, levels: int) -> int:
    """1 + 2 (k - 1) (2^n - 1): how many steps (the current one included) the top output sees."""
    return 1 + 2 * (kernel_size - 1) * (2 ** levels - 1)


class TemporalBlock(Module):
    def __init__(self, in_channels: int, channels: int, kernel_size: int, dilation: int, dropout: float = 0.0,
                 dtype=np.float32, seed: int | None = None) -> None:
        super().__init__()
        seeds = np.random.default_rng(seed).integers(2**63, size=5)
        conv = dict(kernel_size=kernel_size, dilation=dilation, weight_norm=True, init_std=INIT_STD, dtype=dtype)
        self.conv1 = CausalConv1d(in_channels, channels, seed=seeds[0], **conv)
        self.relu1, self.drop1 = ReLU(), Dropout(dropout, seed=seeds[1])
        self.conv2 = CausalConv1d(channels, channels, seed=seeds[2], **conv)
        self.relu2, self.drop2 = ReLU(), Dropout(dropout, seed=seeds[3])
        if in_channels != channels:
            self.downsample = CausalConv1d(in_channels, channels, 1, init_std=INIT_STD, dtype=dtype, seed=seeds[4])
        self.relu = ReLU()

    def forward(self, x: np.ndarray) -> np.ndarray:
        b = self.drop2(self.relu2(self.conv2(self.drop1(self.relu1(self.conv1(x))))))
        r = self.downsample(x) if "downsample" in self.children else x
        return self.relu(b + r)

    def backward(self, dy: np.ndarray) -> np.ndarray:
        dz = self.relu.backward(dy)
        dx = self.conv1.backward(self.relu1.backward(self.drop1.backward(
            self.conv2.backward(self.relu2.backward(self.drop2.backward(dz))))))
        return dx + (self.downsample.backward(dz) if "downsample" in self.children else dz)


class TCN(Module):
    """``levels`` temporal blocks of ``channels`` channels, dilations 1, 2, 4, ...; ``output_size`` =
    channels. ``forward(x, lengths)`` ignores lengths: outputs before a sequence's end never see the
    padding after it (causality)."""

    def __init__(self, input_size: int, channels: int = 64, levels: int = 4, kernel_size: int = 7,
                 dropout: float = 0.0, dtype=np.float32, seed: int | None = None) -> None:
        super().__init__()
        self.input_size = positive_int("input_size", input_size)
        self.output_size = positive_int("channels", channels)
        self.levels = positive_int("levels", levels)
        self.kernel_size = positive_int("kernel_size", kernel_size)
        self.dtype = check_dtype(dtype)
        seeds = np.random.default_rng(seed).integers(2**63, size=self.levels)
        self.blocks = ModuleList(
            TemporalBlock(self.input_size if i == 0 else channels, channels, kernel_size, 2 ** i, dropout, dtype,
                          seed=seeds[i]) for i in range(self.levels))

    @property
    def receptive_field(self) -> int:
        return receptive_field(self.kernel_size, self.levels)

    def forward(self, x: np.ndarray, lengths=None) -> np.ndarray:
        """x (T, N, D) -> y (T, N, channels)."""
        for block in self.blocks:
            x = block(x)
        return x

    def backward(self, dy: np.ndarray) -> np.ndarray:
        """dy (T, N, channels) -> dx (T, N, D)."""
        for block in reversed(list(self.blocks)):
            dy = block.backward(dy)
        return dy
