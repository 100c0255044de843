"""A multilayer perceptron over a fixed window of the last W inputs, as a sequence encoder.

    x (T, N, D) -> y (T, N, H):   w_t = [x_{t-W+1}, ..., x_t] (W D; x_s = 0 for s < 0)
    a_1 = relu(w_t A_1^T + b_1)                      A_1 (H, W D): a causal convolution of kernel W
    a_l = relu(drop(a_{l-1}) A_l^T + b_l)            l = 2 .. layers, A_l (H, H)
    y_t = drop(a_layers)

The first layer is a ``CausalConv1d`` of kernel W (its weight (H, D, W) is A_1 with the window's steps
as the last axis), so it sees exactly the last W inputs and nothing after t. Backward is each layer's
own, in reverse.
"""

from __future__ import annotations

import numpy as np

from ..nn import Dropout, Linear, Module, ModuleList, ReLU
from ..nn.conv import CausalConv1d
from ..nn.module import check_dtype, positive_int

__all__ = ["WindowMLP"]


class WindowMLP(Module):
    def __init__(self, input_size: int, hidden_size: int = 128, layers: int = 2, window: int = 16,
                 dropout: float = 0.0, dtype=np.float32, seed: int | None = None) -> None:
        super().__init__()
        self.input_size = positive_int("input_size", input_size)
        self.output_size = positive_int("hidden_size", hidden_size)
        self.layers = positive_int("layers", layers)
        self.window = positive_int("window", window)
        self.dtype = check_dtype(dtype)
        seeds = np.random.default_rng(seed).integers(2**63, size=2 * self.layers)
        self.window_layer = CausalConv1d(self.input_size, hidden_size, self.window, dtype=dtype, seed=seeds[0])
        self.hidden = ModuleList(Linear(hidden_size, hidden_size, dtype=dtype, seed=s) for s in seeds[1:self.layers])
        self.relus = ModuleList(ReLU() for _ in range(self.layers))
        self.drops = ModuleList(Dropout(dropout, seed=s) for s in seeds[self.layers:])

    @property
    def receptive_field(self) -> int:
        return self.window

    def forward(self, x: np.ndarray, lengths=None) -> np.ndarray:
        """x (T, N, D) -> y (T, N, H); lengths are not needed (causal)."""
        a = self.drops[0](self.relus[0](self.window_layer(x)))
        for lin, relu, drop in zip(self.hidden, list(self.relus)[1:], list(self.drops)[1:]):
            a = drop(relu(lin(a)))
        return a

    def backward(self, dy: np.ndarray) -> np.ndarray:
        """dy (T, N, H) -> dx (T, N, D)."""
        for lin, relu, drop in reversed(list(zip(self.hidden, list(self.relus)[1:], list(self.drops)[1:]))):
            dy = lin.backward(relu.backward(drop.backward(dy)))
        return self.window_layer.backward(self.relus[0].backward(self.drops[0].backward(dy)))
