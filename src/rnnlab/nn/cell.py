"""Single-step cells ``RNNCell``, ``LSTMCell`` and ``GRUCell`` (PyTorch's ``nn.*Cell``).

    x (N, D), h (N, H) [, c (N, H)]  ->  h' (N, H)  or  (h', c') for LSTMCell

Parameters: weight_ih (G*H, D), weight_hh (G*H, H), bias_ih (G*H,), bias_hh (G*H,).
The step is the same kernel the sequence layers use, run for T = 1.
"""

from __future__ import annotations

import math

import numpy as np

from .. import init
from .bptt import backward_direction, forward_direction
from .cells import kernel_for
from .module import Module, check_dtype, positive_int

__all__ = ["RNNCellBase", "RNNCell", "LSTMCell", "GRUCell"]


class RNNCellBase(Module):
    def __init__(self, mode, input_size, hidden_size, bias=True, dtype=np.float32, seed=None):
        super().__init__()
        self.kernel = kernel_for(mode)
        self.input_size = positive_int("input_size", input_size)
        self.hidden_size = positive_int("hidden_size", hidden_size)
        self.bias = bool(bias)
        self.dtype = check_dtype(dtype)
        rng = np.random.default_rng(seed)
        G, H, D = self.kernel.gates, self.hidden_size, self.input_size
        scale = 1.0 / math.sqrt(H)
        shapes = {"weight_ih": (G * H, D), "weight_hh": (G * H, H)}
        if self.bias:
            shapes |= {"bias_ih": (G * H,), "bias_hh": (G * H,)}
        for name, shape in shapes.items():
            self.params[name] = init.uniform(rng, shape, scale, self.dtype)
        self._init_grads()
        self._cache = None

    def _check(self, name, a, shape):
        if not isinstance(a, np.ndarray):
            raise ValueError(f"{name} must be a numpy array, got {type(a).__name__}")
        if a.dtype != self.dtype:
            raise ValueError(f"{name} must have dtype {self.dtype}, got {a.dtype}")
        if a.shape != shape:
            raise ValueError(f"{name} must have shape {shape}, got {a.shape}")
        return a

    def _states(self, name, state, N, allow_none=False):
        n = self.kernel.n_states
        if state is None:
            return (None,) * n
        if n == 2 and not (isinstance(state, (tuple, list)) and len(state) == 2):
            raise ValueError(f"{name} of an LSTMCell must be a tuple (h, c), got {type(state).__name__}")
        parts = tuple(state) if n == 2 else (state,)
        return tuple(
            None if (p is None and allow_none) else self._check(name, p, (N, self.hidden_size))
            for p in parts
        )

    def forward(self, x, state=None):
        if not isinstance(x, np.ndarray) or x.ndim != 2:
            raise ValueError(f"input must be a 2-D numpy array (N, {self.input_size}), got shape "
                             f"{getattr(x, 'shape', None)}")
        N = x.shape[0]
        self._check("input", x, (N, self.input_size))
        H, G = self.hidden_size, self.kernel.gates
        s0 = tuple(np.zeros((N, H), self.dtype) if s is None else s for s in self._states("state", state, N))
        p = self.params
        XP = (x @ p["weight_ih"].T)[None]  # (1, N, G*H)
        F = self.kernel.folded_hh_gates * H
        b_rest = None
        if self.bias:
            XP += p["bias_ih"]
            XP[:, :, :F] += p["bias_hh"][:F]
            b_rest = p["bias_hh"][F:] if F < G * H else None
        S, ws = forward_direction(self.kernel, XP, s0, p["weight_hh"], b_rest, None)
        self._cache = (x, S, ws)
        new = tuple(s[1] for s in S)
        return new if self.kernel.n_states == 2 else new[0]

    __call__ = forward

    def backward(self, d_state):
        """d_state: dh' (N, H), or (dh', dc') for LSTMCell. Returns (dx, d_state_prev)."""
        if self._cache is None:
            raise RuntimeError("backward called before forward")
        x, S, ws = self._cache
        N, H = x.shape[0], self.hidden_size
        d = self._states("d_state", d_state, N, allow_none=True)
        DXP, DHP, ds0 = backward_direction(self.kernel, ws, S, None, d, self.params["weight_hh"], None)
        dxp, dhp = DXP[0], DHP[0]  # (N, G*H)
        self.grads["weight_ih"] += dxp.T @ x
        self.grads["weight_hh"] += dhp.T @ S[0][0]
        if self.bias:
            self.grads["bias_ih"] += dxp.sum(axis=0)
            self.grads["bias_hh"] += dhp.sum(axis=0)
        dx = dxp @ self.params["weight_ih"]
        return dx, (ds0 if self.kernel.n_states == 2 else ds0[0])


class RNNCell(RNNCellBase):
    def __init__(self, input_size, hidden_size, bias=True, nonlinearity="tanh", dtype=np.float32, seed=None):
        if nonlinearity not in ("tanh", "relu"):
            raise ValueError(f"nonlinearity must be 'tanh' or 'relu', got {nonlinearity!r}")
        self.nonlinearity = nonlinearity
        super().__init__(f"rnn_{nonlinearity}", input_size, hidden_size, bias, dtype, seed)


class LSTMCell(RNNCellBase):
    def __init__(self, input_size, hidden_size, bias=True, dtype=np.float32, seed=None):
        super().__init__("lstm", input_size, hidden_size, bias, dtype, seed)


class GRUCell(RNNCellBase):
    def __init__(self, input_size, hidden_size, bias=True, dtype=np.float32, seed=None):
        super().__init__("gru", input_size, hidden_size, bias, dtype, seed)
