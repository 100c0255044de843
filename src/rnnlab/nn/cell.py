"""Single-step cells ``RNNCell``, ``LSTMCell`` and ``GRUCell`` (PyTorch's ``nn.*Cell``).

    x (N, D), h (N, H) [, c (N, H)]  ->  h' (N, H)  or  (h', c') for LSTMCell

Parameters: weight_ih (G*H, D), weight_hh (G*H, H), bias_ih (G*H,), bias_hh (G*H,).
The step is the same kernel the sequence layers use, run for T = 1.
"""

from __future__ import annotations

import math

import numpy as np

from .. import init
from .bptt import (
    backward_direction,
    forward_direction,
    project_inputs,
    weight_gradients,
)
from .cells import kernel_for
from .module import Module, check_array, check_dtype, positive_int

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

    def _states(self, name, state, N, allow_none=False):
        n = self.kernel.n_states
        if state is None:
            return (None,) * n
        if n == 2 and not (isinstance(state, (tuple, list)) and len(state) == 2):
            raise ValueError(f"{name} of an LSTMCell must be a tuple (h, c), got {type(state).__name__}")
        parts = tuple(state) if n == 2 else (state,)
        return tuple(
            None if (p is None and allow_none) else check_array(name, p, (N, self.hidden_size), self.dtype)
            for p in parts
        )

    def forward(self, x, state=None):
        if not isinstance(x, np.ndarray) or x.ndim != 2:
            raise ValueError(f"input must be a 2-D numpy array (N, {self.input_size}), got shape "
                             f"{getattr(x, 'shape', None)}")
        N = x.shape[0]
        check_array("input", x, (N, self.input_size), self.dtype)
        H = self.hidden_size
        s0 = tuple(np.zeros((N, H), self.dtype) if s is None else s for s in self._states("state", state, N))
        p = self.params
        XP, b_rest = project_inputs(self.kernel, x[None], p["weight_ih"], p.get("bias_ih"), p.get("bias_hh"))  # (1, N, G*H)
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
        N = x.shape[0]
        d = self._states("d_state", d_state, N, allow_none=True)
        DXP, DHP, ds0 = backward_direction(self.kernel, ws, S, None, d, self.params["weight_hh"], None)
        weight_gradients(DXP, DHP, x[None], S[0][:-1], self.grads)
        dx = DXP[0] @ self.params["weight_ih"]  # (N, D)
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
