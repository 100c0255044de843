"""``Backend``: what an implementation of the recurrent time loop provides.

The layers (``rnnlab.nn``) do everything outside the time loop themselves, with array operations
(the input projection of all steps, the weight gradients of all steps, dropout, the loss), and hand the
loop of one direction of one layer to the backend chosen for that call (``rnnlab.backends.get``):

    S, ws = forward_direction(kernel, XP, state0, W_hh, b_hh_rest, mask, keep)
    DXP, DHP, dstate0 = backward_direction(kernel, ws, S, dY, dfinal, W_hh, mask)

and, for an LSTM with projections, ``forward_projected`` and ``backward_projected`` (the loop of
``rnnlab.backends.projected`` around the backend's own step kernel, unless a backend has better).

with the shapes of ``rnnlab.backends.reference``, which defines the results: any other backend must
return the same arrays to rounding, for every kernel it is given. A backend may run faster code for
kernels it knows; it recognises them by their exact class (``type(kernel) is LSTMKernel``), so a
subclass that overrides a step, or a new cell, runs its own step code (through the reference loop)
and is never replaced by a compiled copy of its parent.

A GPU backend (CuPy, say) would be a third subclass: forward_direction and backward_direction on device
arrays (its own kernels for the cells it knows, the reference loop on CuPy arrays for the others),
``step_kernel`` for sampling, and ``info``. The layers would also need their arrays made by the array
library of their parameters (``np.empty``, ``np.zeros`` and the random masks do not dispatch on
CuPy arrays; ``np.dot``, ``np.add`` and the other functions of NumPy's array-function protocol
do), and the parameters created on the device; the layers check inputs by shape and dtype, not by
``isinstance(x, np.ndarray)``. None of that is built.
"""

from __future__ import annotations

from abc import ABC, abstractmethod

__all__ = ["Backend"]


class Backend(ABC):
    name: str

    @abstractmethod
    def forward_direction(self, kernel, XP, state0, W_hh, b_hh_rest, mask, keep=True):
        """Run ``kernel`` over T steps; (S, ws) as ``rnnlab.backends.reference.forward_direction``."""

    @abstractmethod
    def backward_direction(self, kernel, ws, S, dY, dfinal, W_hh, mask):
        """Backpropagate through ``forward_direction``; (DXP, DHP, dstate0) as the reference's."""

    def forward_projected(self, kernel, XP, state0, W_hh, W_hr, b_hh_rest, mask, keep=True):
        """An LSTM with projections over T steps (``rnnlab.backends.projected``), its gate arithmetic
        this backend's ``step_kernel``; (S, ws)."""
        from .projected import forward_projected

        return forward_projected(self.step_kernel(kernel), XP, state0, W_hh, W_hr, b_hh_rest, mask, keep)

    def backward_projected(self, kernel, ws, S, dY, dfinal, W_hh, W_hr, mask):
        """Backpropagate through ``forward_projected``; (DXP, DHP, dstate0, dW_hr)."""
        from .projected import backward_projected

        return backward_projected(self.step_kernel(kernel), ws, S, dY, dfinal, W_hh, W_hr, mask)

    def step_kernel(self, kernel):
        """The kernel whose ``forward_step`` runs one step of ``kernel`` outside a loop (sampling)."""
        return kernel

    @abstractmethod
    def info(self) -> dict:
        """What runs: kernels, instruction set, threads (for ``rnnlab info``)."""
