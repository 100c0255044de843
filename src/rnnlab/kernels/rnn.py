"""Elman RNN step (PyTorch ``nn.RNN``).

Forward, with x_t the input and h the previous hidden state (N, H):

    a_t = x_t W_ih^T + b_ih + h W_hh^T + b_hh            (N, H)
    h_t = act(a_t)                 act = tanh or relu

Backward, given dh_t = dL/dh_t (N, H):

    da_t = dh_t * act'(a_t)        tanh' = 1 - h_t^2,  relu' = [h_t > 0]
    dxp_t = dhp_t = da_t           (gradient of the input and hidden pre-activations)
    dh_{t-1} = da_t W_hh           (added by the time loop)
"""

from __future__ import annotations

import numpy as np

from .base import CellKernel

__all__ = ["RNNKernel"]


class RNNKernel(CellKernel):
    gates = 1
    folded_hh_gates = 1

    def __init__(self, nonlinearity: str = "tanh") -> None:
        if nonlinearity not in ("tanh", "relu"):
            raise ValueError(f"nonlinearity must be 'tanh' or 'relu', got {nonlinearity!r}")
        self.nonlinearity = nonlinearity
        self.equations = ("a = x W_ih^T + b_ih + h W_hh^T + b_hh", f"h_t = {nonlinearity}(a)")

    def preactivations(self, xp, hp, H):
        return {"a": xp + hp}

    def workspace(self, T: int, N: int, H: int, dtype) -> dict[str, np.ndarray]:
        return {"h": np.empty((T, N, H), dtype)}  # candidate h_t for every step

    def forward_step(self, ws, k, xp, hp, prev):
        """xp, hp: (N, H) pre-activations; prev = (h_{t-1},). Returns (h_t,)."""
        h = ws["h"][k]
        np.add(xp, hp, out=h)
        if self.nonlinearity == "tanh":
            np.tanh(h, out=h)
        else:
            np.maximum(h, 0, out=h)
        return (h,)

    def backward_step(self, ws, k, dstate, prev, out=None):
        """dstate = (dh_t,). Returns (dxp, dhp, direct) with direct = (None,): no path but W_hh;
        dxp = dhp written into ``out`` if given."""
        (dh,) = dstate
        h = ws["h"][k]
        if self.nonlinearity == "tanh":
            da = np.multiply(dh, 1 - h * h, out=out)
        else:
            da = np.multiply(dh, h > 0, out=out)
        return da, da, (None,)
