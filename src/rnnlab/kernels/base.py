"""``CellKernel``: what one time step of a recurrent cell must provide, forward and backward.

A kernel holds the equations of one step and nothing else: no time loop, layers, directions or
threads. The time loop (``rnnlab.backends``) calls it in processing order k = 0..T-1. Shapes: N batch,
H hidden units, G gates (``weight_ih`` and ``weight_hh`` have G*H rows), T steps.

Per step the loop hands the kernel the two pre-activations

    xp = x_t W_ih^T + b_ih + b_hh[:F]      (N, G*H)   F = folded_hh_gates * H: the part of b_hh that
    hp = h_{t-1} W_hh^T + b_hh[F:]          (N, G*H)   is constant across steps joins xp (hp's first F
                                                      columns then carry no bias)

and the previous state ``prev``, a tuple of ``n_states`` (N, H) arrays, h first. The kernel returns the
candidate state; the loop masks it for padded steps. Backward, the kernel turns the gradient of the
new state into the gradients of xp and hp and of any direct path to the previous state; the loop adds
dhp W_hh to dh_{t-1} and forms the weight gradients from all steps at once.

A kernel whose step has parameters of its own (a layer-normalised cell's gains and shifts) declares
them in ``step_params``; the layer creates them for each layer and direction and runs that direction
with ``bind(params, grads)``, a copy of the kernel holding them (``self.p``) and the arrays its
backward adds their gradients into (``self.g``).
"""

from __future__ import annotations

from abc import ABC, abstractmethod

import numpy as np

__all__ = ["CellKernel"]


class CellKernel(ABC):
    gates: int  # G
    state_names: tuple[str, ...] = ("h",)  # one (N, H) array each; h, the output, first
    folded_hh_gates: int  # how many of the G blocks of b_hh add to xp once instead of to hp every step
    separate_dhp: bool = False  # whether dL/dhp differs from dL/dxp (GRU: the reset gate sits between)
    # What explain, inspect and the diagnostics show of a step: the gates kept in the workspace's "act"
    # (T, G, N, H), in its order, by short name (LSTM: i f g o) and in words (input forget cell output),
    # which of them are sigmoids (they saturate in [0, 1]), and the step's equations (default: the first
    # indented block of the class docstring).
    gate_names: tuple[str, ...] = ()
    gate_titles: tuple[str, ...] = ()
    sigmoid_gates: tuple[int, ...] = ()
    equations: tuple[str, ...] = ()
    # name -> (its shape for H hidden units, its initial value); created per layer and direction
    step_params: dict = {}

    def bind(self, params: dict, grads: dict) -> CellKernel:
        """A copy of this kernel holding one direction's ``step_params`` and their gradient arrays."""
        import copy

        bound = copy.copy(self)
        bound.p, bound.g = params, grads
        return bound

    def bind_defaults(self, H: int, given: dict | None = None, dtype=np.float64) -> CellKernel:
        """This kernel bound to its step parameters for H units: each from ``given`` when there, else
        at its initial value; their gradients into new zero arrays (a step shown alone)."""
        if not self.step_params:
            return self
        given = given or {}
        params = {n: np.asarray(given[n], dtype) if n in given else np.full(shape(H), value, dtype)
                  for n, (shape, value) in self.step_params.items()}
        return self.bind(params, {n: np.zeros_like(v) for n, v in params.items()})

    @property
    def n_states(self) -> int:
        return len(self.state_names)

    def named_gates(self) -> tuple[str, ...]:
        """The G gates' short names: ``gate_names``, else g0, g1, ... (one gate: a)."""
        return self.gate_names or (("a",) if self.gates == 1 else tuple(f"g{k}" for k in range(self.gates)))

    def titles(self) -> tuple[str, ...]:
        """The gates in words (``gate_titles``, else their short names)."""
        return self.gate_titles or self.named_gates()

    def step_equations(self) -> list[str]:
        """``equations``, else the first indented block of the class's docstring."""
        if self.equations:
            return list(self.equations)
        import inspect

        lines, block = inspect.cleandoc(type(self).__doc__ or "").splitlines(), []
        for line in lines[1:]:
            if line.startswith(" ") and line.strip():
                block.append(line.strip())
            elif block:
                break
        return block or [f"{type(self).__name__}: {self.gates} gate(s), states {', '.join(self.state_names)}"]

    def preactivations(self, xp: np.ndarray, hp: np.ndarray, H: int) -> dict[str, np.ndarray]:
        """What goes into the gates of one step (xp, hp of one example, (G H,)), by name: each gate's
        input and hidden parts (a kernel whose gates take their sum says so: ``a_<gate>``)."""
        out = {}
        for k, g in enumerate(self.named_gates()):
            out[f"xp_{g}"], out[f"hp_{g}"] = xp[k * H:(k + 1) * H], hp[k * H:(k + 1) * H]
        return out

    def step_extras(self, ws: dict) -> dict[str, np.ndarray]:
        """Other intermediate values of step 0 worth showing (an LSTM's tanh(c_t)), each (H,)."""
        return {}

    @abstractmethod
    def workspace(self, T: int, N: int, H: int, dtype) -> dict[str, np.ndarray]:
        """The arrays the forward fills for T steps and the backward reads (the cache)."""

    @abstractmethod
    def forward_step(self, ws: dict, k: int, xp, hp, prev: tuple) -> tuple:
        """Step k: xp, hp (N, G*H) (any strides), prev the previous state. Writes what the backward
        needs into ws[...][k] and returns the candidate state, a tuple of (N, H) arrays."""

    @abstractmethod
    def backward_step(self, ws: dict, k: int, dstate: tuple, prev: tuple, out=None) -> tuple:
        """dstate: dL/d(state after step k), a tuple of (N, H). Returns (dxp, dhp, direct): dxp, dhp
        (N, G*H) (dxp written into ``out`` when given; dhp may be dxp), and direct, a tuple of
        n_states entries, each dL/d(previous state) through paths other than hp, or None."""
