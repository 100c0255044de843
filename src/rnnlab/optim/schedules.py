"""Learning-rate schedules. Each gives the rate for a step/epoch and saves its state as JSON.

- constant:  lr
- step (Zaremba et al.):  lr * decay ** max(0, epoch - decay_after)   (epochs count from 1)
- plateau:   lr divided by ``factor`` each time a validation loss fails to improve on the best
- cosine:    linear warmup over ``warmup`` steps, then lr * (1 + cos(pi * s / S)) / 2 down to 0
"""

from __future__ import annotations

import math

__all__ = ["Schedule", "Constant", "StepDecay", "Plateau", "Cosine", "make_schedule", "SCHEDULES"]


class Schedule:
    def __init__(self, lr: float) -> None:
        self.base_lr = float(lr)

    def lr(self, step: int, epoch: int) -> float:
        """Rate for optimiser step ``step`` (from 1) in epoch ``epoch`` (from 1)."""
        return self.base_lr

    def on_validation(self, loss: float) -> None:
        """Called with each end-of-epoch validation loss."""

    def rescale(self, factor: float) -> None:
        """The base rate was multiplied by ``factor`` (a resumed run's new --lr): state follows."""

    def state_dict(self) -> dict:
        return {}

    def load_state_dict(self, state: dict) -> None:
        pass


class Constant(Schedule):
    pass


class StepDecay(Schedule):
    def __init__(self, lr: float, decay: float, decay_after: int) -> None:
        super().__init__(lr)
        if not (0 < decay <= 1):
            raise ValueError(f"lr decay must be in (0, 1], got {decay!r}")
        if decay_after < 0:
            raise ValueError(f"decay-after must be >= 0, got {decay_after!r}")
        self.decay, self.decay_after = decay, decay_after

    def lr(self, step, epoch):
        return self.base_lr * self.decay ** max(0, epoch - self.decay_after)


class Plateau(Schedule):
    def __init__(self, lr: float, factor: float = 4.0) -> None:
        super().__init__(lr)
        if not factor > 1:
            raise ValueError(f"plateau factor must be > 1, got {factor!r}")
        self.factor = factor
        self.current = float(lr)
        self.best = math.inf

    def lr(self, step, epoch):
        return self.current

    def on_validation(self, loss):
        if loss < self.best:
            self.best = loss
        else:
            self.current /= self.factor

    def rescale(self, factor):
        self.current *= factor

    def state_dict(self):
        return {"current": self.current, "best": self.best if math.isfinite(self.best) else None}

    def load_state_dict(self, state):
        self.current = float(state["current"])
        self.best = math.inf if state["best"] is None else float(state["best"])


class Cosine(Schedule):
    def __init__(self, lr: float, total_steps: int, warmup: int = 0) -> None:
        super().__init__(lr)
        if total_steps < 1 or warmup < 0 or warmup >= total_steps:
            raise ValueError(f"cosine schedule needs 0 <= warmup < total steps, got {warmup} and {total_steps}")
        self.total, self.warmup = total_steps, warmup

    def lr(self, step, epoch):
        if step <= self.warmup:
            return self.base_lr * step / self.warmup
        s = min(step - self.warmup, self.total - self.warmup)
        return self.base_lr * 0.5 * (1 + math.cos(math.pi * s / (self.total - self.warmup)))


SCHEDULES = ("constant", "step", "plateau", "cosine")


def make_schedule(name: str, lr: float, decay: float = 1.0, decay_after: int = 0, total_steps: int = 1,
                  warmup: int = 0, factor: float = 4.0) -> Schedule:
    if name == "constant":
        return Constant(lr)
    if name == "step":
        return StepDecay(lr, decay, decay_after)
    if name == "plateau":
        return Plateau(lr, factor)
    if name == "cosine":
        return Cosine(lr, total_steps, warmup)
    raise ValueError(f"unknown schedule {name!r}; expected one of {', '.join(SCHEDULES)}")
