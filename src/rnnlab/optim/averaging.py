"""Non-monotonically triggered averaged SGD (NT-ASGD; Merity, Keskar & Socher 2017), the optimiser of
AWD-LSTM: plain SGD until the validation loss stops improving, then the same steps with the average
of the weights since then kept beside them, and used whenever the model is evaluated.

    trigger   at an epoch's validation loss v_k, before it joins the history v_1..v_{k-1}:
              switch when k - 1 > n and v_k > min(v_1, ..., v_{k-1-n})       (n = ``nonmono``, 5)
    steps     p <- p - lr (g + wd p)                                           (as SGD, before and after)
    average   after the j-th step since the switch: a <- a + (p - a) / max(1, j - 1), so a is the mean of
              the iterates from the second step on (as PyTorch's ASGD(t0=0), which AWD-LSTM switches to)

``averaged()`` swaps the averages into the parameters for the duration of a ``with`` block (evaluation,
the best weights), and back. PyTorch's ``ASGD(t0=0, lambd=0)`` makes the same steps and the same
average.
"""

from __future__ import annotations

import contextlib

import numpy as np

from .optimizers import SGD

__all__ = ["NTASGD"]


class NTASGD(SGD):
    buffers = ("average",)

    def __init__(self, params, lr: float, nonmono: int = 5, weight_decay: float = 0.0) -> None:
        super().__init__(params, lr, weight_decay=weight_decay)  # no momentum: SGD leaves no buffer of its own
        self.buffers = ("average",)
        self.state = {"average": {n: np.zeros_like(p) for n, p, _ in self.params}}
        if not (isinstance(nonmono, int) and nonmono >= 1):
            raise ValueError(f"nonmono must be an integer >= 1, got {nonmono!r}")
        self.nonmono = nonmono
        self.history: list[float] = []  # validation losses before the switch
        self.averaging = False  # switched
        self.averaged_steps = 0  # steps since the switch

    def on_validation(self, loss: float) -> bool:
        """An epoch's validation loss; True when it triggers the switch to averaging (now)."""
        if self.averaging:
            return False
        if len(self.history) > self.nonmono and loss > min(self.history[:-self.nonmono]):
            self.averaging = True
            return True
        self.history.append(float(loss))
        return False

    def step(self) -> None:
        super().step()
        if self.averaging:
            self.averaged_steps += 1
            j = self.averaged_steps
            for name, p, _ in self.params:
                a = self.state["average"][name]
                if j <= 2:
                    a[...] = p
                else:
                    a += (p - a) / p.dtype.type(j - 1)

    @contextlib.contextmanager
    def averaged(self):
        """The averaged weights in the parameters inside the block (the weights as they are, before any
        averaged step)."""
        if not self.averaging or not self.averaged_steps:
            yield
            return
        kept = {name: p.copy() for name, p, _ in self.params}
        try:
            for name, p, _ in self.params:
                p[...] = self.state["average"][name]
            yield
        finally:
            for name, p, _ in self.params:
                p[...] = kept[name]

    def state_dict(self):
        arrays, meta = super().state_dict()
        return arrays, meta | {"history": self.history, "averaging": self.averaging,
                               "averaged_steps": self.averaged_steps, "nonmono": self.nonmono}

    def load_state_dict(self, arrays, meta) -> None:
        super().load_state_dict(arrays, meta)
        self.history, self.averaging = list(meta["history"]), bool(meta["averaging"])
        self.averaged_steps = int(meta["averaged_steps"])
