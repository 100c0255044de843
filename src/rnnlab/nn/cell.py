"""Single-step cells ``RNNCell``, ``LSTMCell`` and ``GRUCell`` (PyTorch's ``nn.*Cell``).

    x (N, D), h (N, H) [, c (N, H)]  ->  h' (N, H)  or  (h', c') for LSTMCell

Parameters: weight_ih (G*H, D), weight_hh (G*H, H), bias_ih (G*H,), bias_hh (G*H,).
For any registered cell kind (``RNNCellBase(mode, ...)``); the step is the same kernel the sequence
layers use, run for T = 1 on the backend chosen at the call.
"""

from __future__ import annotations

import math

import numpy as np

from .. import init
from ..backends import get_backend
from .bptt import project_inputs, weight_gradients
from .kinds import cell_kind
from .module import Module, check_dtype, is_array, positive_int
from .recurrent import state_parts

__all__ = ["RNNCellBase", "RNNCell", "LSTMCell", "GRUCell"]


class RNNCellBase(Module):
    def __init__(self, mode, input_size, hidden_size, bias=True, dtype=np.float32, seed=None):
        super().__init__()
        kind = cell_kind(mode)
        self.mode = kind.name
        self.kernel = kind.kernel()
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
        for name, (shape, value) in self.kernel.step_params.items():  # the step's own (layer norm)
            self.params[name] = np.full(shape(H), value, self.dtype)
        self._init_grads()

    def bound_kernel(self):
        """The step kernel, bound to this cell's step parameters when it has some."""
        if not self.kernel.step_params:
            return self.kernel
        return self.kernel.bind({n: self.params[n] for n in self.kernel.step_params},
                                {n: self.grads[n] for n in self.kernel.step_params})

    def _states(self, name, state, N, allow_none=False):
        return state_parts(self.kernel.state_names, self.mode, name, state, (N, self.hidden_size), self.dtype, allow_none)

    def forward(self, x, state=None):
        if not is_array(x) or x.ndim != 2:
            raise ValueError(f"input must be a 2-D numpy array (N, {self.input_size}), got shape "
                             f"{getattr(x, 'shape', None)}")
        N = x.shape[0]
        if x.shape[1] != self.input_size or x.dtype != self.dtype:
            raise ValueError(f"input must be ({N}, {self.input_size}) of {self.dtype}, got {x.shape} of {x.dtype}")
        H = self.hidden_size
        s0 = tuple(np.zeros((N, H), self.dtype) if s is None else s for s in self._states("state", state, N))
        p = self.params
        XP, b_rest = project_inputs(self.kernel, x[None], p["weight_ih"], p.get("bias_ih"), p.get("bias_hh"))  # (1, N, G*H)
        backend, kernel = get_backend(), self.bound_kernel()
        S, ws = backend.forward_direction(kernel, XP, s0, p["weight_hh"], b_rest, None)
        self._save((x, S, ws, backend, kernel))
        new = tuple(s[1] for s in S)
        return new if self.kernel.n_states > 1 else new[0]

    def backward(self, d_state):
        """d_state: dh' (N, H), or a tuple such as (dh', dc') for LSTMCell (None, or None parts: zero).
        Returns (dx, d_state_prev) for the most recent forward not yet gone back through."""
        x, S, ws, backend, kernel = self._take(lambda r: self._states("d_state", d_state, r[0].shape[0],
                                                                       allow_none=True))
        d = self._states("d_state", d_state, x.shape[0], allow_none=True)
        DXP, DHP, ds0 = backend.backward_direction(kernel, ws, S, None, d, self.params["weight_hh"], None)
        weight_gradients(DXP, DHP, x[None], S[0][:-1], self.grads)
        dx = DXP[0] @ self.params["weight_ih"]  # (N, D)
        return dx, (ds0 if self.kernel.n_states > 1 else ds0[0])


class RNNCell(RNNCellBase):
    def __init__(self, input_size, hidden_size, bias=True, nonlinearity="tanh", dtype=np.float32, seed=None):
        if nonlinearity not in ("tanh", "relu"):
            raise ValueError(f"nonlinearity must be 'tanh' or 'relu', got {nonlinearity!r}")
        self.nonlinearity = nonlinearity
        super().__init__("rnn" if nonlinearity == "tanh" else "rnn_relu", input_size, hidden_size, bias, dtype, seed)


class LSTMCell(RNNCellBase):
    def __init__(self, input_size, hidden_size, bias=True, dtype=np.float32, seed=None):
        super().__init__("lstm", input_size, hidden_size, bias, dtype, seed)


class GRUCell(RNNCellBase):
    def __init__(self, input_size, hidden_size, bias=True, dtype=np.float32, seed=None):
        super().__init__("gru", input_size, hidden_size, bias, dtype, seed)
