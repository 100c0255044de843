"""A small causal Transformer (GPT-2's pre-norm decoder as nanoGPT writes it), as a sequence encoder.

    x (T, N, D) -> y (T, N, C):
    z = drop(x W_in^T + b_in + P[:T])          P (max_len, C) learned positions; no W_in when D = C
    for each block:   z = z + attn(ln_1(z))    (``CausalSelfAttention``: y_t sees z_1..z_t only)
                      z = z + mlp(ln_2(z))     mlp(u) = drop(gelu(u W_fc^T + b_fc) W_proj^T + b_proj), 4C wide
    y = ln_f(z)

Backward goes through the same steps in reverse; the residual connections add their two branches'
input gradients (dz += branch.backward(dz)), and dP[:T] = sum over the batch of dz after the input
dropout. Initialised as nanoGPT: linear weights and positions ~ N(0, 0.02^2), the residual projections'
weights ~ N(0, (0.02 / sqrt(2 L))^2), biases 0, layer norms 1 and 0.
"""

from __future__ import annotations

import math

import numpy as np

from ..nn import GELU, Dropout, LayerNorm, Linear, Module, ModuleList, Parameter
from ..nn.module import check_dtype, positive_int
from ..nn.self_attention import CausalSelfAttention

__all__ = ["Transformer", "TransformerBlock"]

INIT_STD = 0.02


class TransformerBlock(Module):
    def __init__(self, size: int, heads: int, dropout: float = 0.0, dtype=np.float32, seed: int | None = None) -> None:
        super().__init__()
        seeds = np.random.default_rng(seed).integers(2**63, size=4)
        self.ln_1 = LayerNorm(size, dtype=dtype)
        self.attn = CausalSelfAttention(size, heads, dropout, dtype, seed=seeds[0])
        self.ln_2 = LayerNorm(size, dtype=dtype)
        self.c_fc = Linear(size, 4 * size, dtype=dtype, seed=seeds[1])
        self.gelu = GELU()
        self.c_proj = Linear(4 * size, size, dtype=dtype, seed=seeds[2])
        self.drop = Dropout(dropout, seed=seeds[3])

    def forward(self, z: np.ndarray) -> np.ndarray:
        z = z + self.attn(self.ln_1(z))
        return z + self.drop(self.c_proj(self.gelu(self.c_fc(self.ln_2(z)))))

    def backward(self, dz: np.ndarray) -> np.ndarray:
        dz = dz + self.ln_2.backward(self.c_fc.backward(self.gelu.backward(self.c_proj.backward(self.drop.backward(dz)))))
        return dz + self.ln_1.backward(self.attn.backward(dz))


class Transformer(Module):
    def __init__(self, input_size: int, size: int = 128, layers: int = 4, heads: int = 4, max_len: int = 256,
                 dropout: float = 0.0, dtype=np.float32, seed: int | None = None) -> None:
        super().__init__()
        self.input_size = positive_int("input_size", input_size)
        self.output_size = positive_int("size", size)
        self.layers, self.heads = positive_int("layers", layers), positive_int("heads", heads)
        self.max_len = positive_int("max_len", max_len)
        self.dtype = check_dtype(dtype)
        rng = np.random.default_rng(seed)
        seeds = rng.integers(2**63, size=self.layers + 2)
        if self.input_size != size:
            self.input = Linear(self.input_size, size, dtype=dtype, seed=seeds[0])
        self.wpe = Parameter(np.zeros((self.max_len, size), self.dtype))
        self.drop = Dropout(dropout, seed=seeds[1])
        self.blocks = ModuleList(TransformerBlock(size, heads, dropout, dtype, seed=s) for s in seeds[2:])
        self.ln_f = LayerNorm(size, dtype=dtype)
        for name, p, _ in self.named_parameters():
            if "ln_" in name:
                continue
            if name.endswith("bias"):
                p[...] = 0
            else:
                std = INIT_STD / math.sqrt(2 * self.layers) if name.endswith("c_proj.weight") else INIT_STD
                p[...] = rng.standard_normal(p.shape) * std

    @property
    def receptive_field(self) -> int:
        """The most inputs one output can see: one per learned position."""
        return self.max_len

    def forward(self, x: np.ndarray, lengths=None) -> np.ndarray:
        """x (T, N, D) -> y (T, N, C), T <= max_len; lengths are not needed (causal)."""
        T = x.shape[0]
        if T > self.max_len:
            raise ValueError(f"the Transformer has positions for {self.max_len} steps, got {T}")
        z = self.input(x) if "input" in self.children else x
        z = self.drop(z + self.wpe[:T, None, :])
        self._save(T)
        for block in self.blocks:
            z = block(z)
        return self.ln_f(z)

    def backward(self, dy: np.ndarray) -> np.ndarray:
        """dy (T, N, C) -> dx (T, N, D)."""
        T = self._take()
        dz = self.ln_f.backward(dy)
        for block in reversed(list(self.blocks)):
            dz = block.backward(dz)
        dz = self.drop.backward(dz)
        self.grads["wpe"][:T] += dz.sum(axis=1)
        return self.input.backward(dz) if "input" in self.children else dz
