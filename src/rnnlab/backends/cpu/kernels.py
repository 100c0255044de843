"""The compiled twins of the reference kernels: the same step, in C (``native``, ``_gates.c``).

Each twin is the reference kernel's class with its steps handed to the compiled code, falling back to
the reference's NumPy step when the compiled code cannot take the arrays (a dtype or layout it does
not handle). ``loop`` and ``aux`` tell the split loops (split.py, ``_loops.c``) which cell they run
and which workspace entry, besides ``act``, the kernel fills. ``twin(kernel)`` finds the twin of a
kernel by its exact class: a subclass, which may override a step, has none.
"""

from __future__ import annotations

from ...kernels import GRUKernel, LSTMKernel, RNNKernel
from . import native

__all__ = ["CompiledLSTM", "CompiledGRU", "CompiledRNN", "twin"]


class CompiledLSTM(LSTMKernel):
    loop, aux, relu = 0, "tc", 0

    def forward_step(self, ws, k, xp, hp, prev):
        _, c_prev = prev
        if native.lstm_forward(xp, hp, c_prev, ws["act"][k], ws["c"][k], ws["tc"][k], ws["h"][k]):
            return ws["h"][k], ws["c"][k]
        return super().forward_step(ws, k, xp, hp, prev)

    def backward_step(self, ws, k, dstate, prev, out=None):
        dh, dc_next = dstate
        da, dc_prev = self.backward_arrays(prev, out)
        if native.lstm_backward(ws["act"][k], ws["tc"][k], prev[1], dh, dc_next, da, dc_prev):
            return da, da, (None, dc_prev)
        return super().backward_step(ws, k, dstate, prev, out)


class CompiledGRU(GRUKernel):
    loop, aux, relu = 1, "hn", 0

    def forward_step(self, ws, k, xp, hp, prev):
        (h_prev,) = prev
        if native.gru_forward(xp, hp, h_prev, ws["act"][k], ws["hn"][k], ws["h"][k]):
            return (ws["h"][k],)
        return super().forward_step(ws, k, xp, hp, prev)

    def backward_step(self, ws, k, dstate, prev, out=None):
        (dh,) = dstate
        dxp, dhp, dh_prev = self.backward_arrays(prev, out)
        if native.gru_backward(ws["act"][k], ws["hn"][k], prev[0], dh, dxp, dhp, dh_prev):
            return dxp, dhp, (dh_prev,)
        return super().backward_step(ws, k, dstate, prev, out)


class CompiledRNN(RNNKernel):
    """The Elman step stays NumPy's (its tanh is as fast as a compiled one, and a ctypes call costs
    more than the step); only its time loop is compiled and split (split.py)."""

    loop, aux = 2, "h"

    @property
    def relu(self) -> int:
        return int(self.nonlinearity == "relu")


_TWINS = {LSTMKernel: lambda k: CompiledLSTM(), GRUKernel: lambda k: CompiledGRU(),
          RNNKernel: lambda k: CompiledRNN(k.nonlinearity)}


def twin(kernel):
    """The compiled twin of ``kernel`` if its class is exactly one of the reference kernels, else None."""
    make = _TWINS.get(type(kernel))
    return None if make is None else make(kernel)
