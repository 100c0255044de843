"""A run's configuration: the general settings every task shares (``GENERAL``: optimiser, schedule,
clipping, length, dtype, seed) and the task's own (declared by the task, ``rnnlab.tasks``), in one typed
record made by ``config_class``, saved with every run as ``config.json``.

The trainer reads the general settings only; the task reads its own.
"""

from __future__ import annotations

import math
from dataclasses import asdict, field, fields, make_dataclass

from .settings import Setting

__all__ = ["GENERAL", "RunConfig", "config_class"]

GENERAL = (
    Setting("task", "lm", "what to train: {tasks}; each task's own settings: rnnlab train --task NAME --help"),
    Setting("batch_size", 32, "examples (a language model: parallel streams) in a batch", int, low=1),
    Setting("optimizer", "adam", "the optimiser (ntasgd: SGD, then averaged when validation stalls; AWD-LSTM)",
            choices=("sgd", "adam", "adamw", "rmsprop", "adagrad", "ntasgd")),
    Setting("nonmono", 5, "ntasgd: averaging starts when an epoch's validation loss is above the best of all but "
                          "the last N", int, low=1),
    Setting("lr", 2e-3, "learning rate", float, low=0, low_open=True),
    Setting("momentum", 0.0, "momentum (sgd, rmsprop)", float, low=0),
    Setting("alpha", 0.99, "smoothing constant (rmsprop)", float, low=0, high=1, low_open=True, high_open=True),
    Setting("weight_decay", 0.0, "L2 penalty (adamw: decoupled weight decay)", float, low=0),
    Setting("clip", 5.0, "gradient clipping threshold (0: none)", float, low=0),
    Setting("clip_mode", "norm", "norm: the global norm | value: each element", choices=("norm", "value")),
    Setting("schedule", "constant", "learning rate over time", choices=("constant", "step", "plateau", "cosine")),
    Setting("lr_decay", 1.0, "step: lr * decay ** max(0, epoch - decay-after)", float, low=0, high=1, low_open=True),
    Setting("decay_after", 0, "step: epochs at the full rate", int, low=0),
    Setting("warmup", 0, "cosine: steps of linear warmup", int, low=0),
    Setting("epochs", None, "passes over the training data", int, low=1, shown="1, or unbounded under --time-budget"),
    Setting("max_steps", None, "stop after this many steps (overrides --epochs)", int, low=1),
    Setting("stop_epoch", None, "end after this epoch, the schedule still spanning --epochs", int, low=1, cli=False),
    Setting("time_budget", None, "stop after this many seconds", float, low=0, low_open=True),
    Setting("eval_every", 0, "steps between validations (0: at epoch ends only)", int, low=0),
    Setting("checkpoint_every", 200, "steps between checkpoints", int, low=1),
    Setting("log_every", 50, "steps between log lines", int, low=1),
    Setting("dtype", "float32", "floating-point type", choices=("float32", "float64")),
    Setting("flush_subnormals", False, "compute with subnormal floats as 0 (FTZ and DAZ: Intel cores are slow on "
                                       "them, e.g. a tanh RNN's vanishing gradients; changes results by that much)",
            bool),
    Setting("seed", 1234, "random seed (weights, dropout masks, data order, sample)", int),
)


class RunConfig:
    """What every run's config class has besides its fields (``config_class``)."""

    settings: tuple[Setting, ...] = ()  # every setting it holds, general first
    task_rules = staticmethod(lambda cfg: None)  # the task's checks across its settings (a ValueError)

    def check(self) -> RunConfig:
        """Every setting against its declaration, then the rules across settings; returns self or
        raises ValueError in one line."""
        for s in self.settings:
            setattr(self, s.name, s.check(getattr(self, s.name)))
        rules = [(self.warmup != 0 and self.schedule != "cosine", "--warmup", "--schedule cosine"),
                 (self.lr_decay != 1.0 and self.schedule != "step", "--lr-decay", "--schedule step"),
                 (self.decay_after != 0 and self.schedule != "step", "--decay-after", "--schedule step"),
                 (self.momentum != 0 and self.optimizer not in ("sgd", "rmsprop"), "--momentum",
                  "--optimizer sgd or rmsprop"),
                 (self.alpha != 0.99 and self.optimizer != "rmsprop", "--alpha", "--optimizer rmsprop")]
        for wrong, flag, needs in rules:
            if wrong:
                raise ValueError(f"{flag} applies to {needs} only (here --schedule {self.schedule}, --optimizer "
                                 f"{self.optimizer}); drop it or change those")
        if self.schedule == "cosine" and self.max_steps is None and self.epochs is None and self.time_budget:
            raise ValueError("--schedule cosine needs the run's length in steps: give --epochs or --max-steps "
                             "with --time-budget")
        if self.flush_subnormals:
            from ..backends.cpu import native

            if native.flush_mode() is None:
                raise ValueError("--flush-subnormals needs the compiled CPU library on an x86-64 CPU, which this "
                                 "machine lacks; drop it")
        type(self).task_rules(self)
        return self

    def last_epoch(self) -> float:
        """The epoch the run ends with: stop_epoch if given and sooner; else unbounded under --max-steps
        (which decides alone) or under --time-budget without --epochs; else --epochs, 1 by default."""
        end = math.inf if self.max_steps or (self.epochs is None and self.time_budget) else self.epochs or 1
        return min(end, self.stop_epoch or math.inf)

    def total_steps(self, batches_per_epoch: int) -> int | None:
        """Optimiser steps the schedule spans (the whole run, but for stop_epoch), None when only a time
        budget bounds it."""
        if self.max_steps:
            return self.max_steps
        if self.epochs is None and self.time_budget:
            return None
        return (self.epochs or 1) * batches_per_epoch

    def to_dict(self) -> dict:
        return asdict(self)

    @classmethod
    def field_names(cls) -> set[str]:
        return {f.name for f in fields(cls)}


def config_class(name: str, own: tuple[Setting, ...], defaults: dict | None = None, rules=None) -> type:
    """A dataclass named ``name`` holding the GENERAL settings and ``own`` (a task's), with
    ``defaults`` replacing declared defaults and ``rules(cfg)`` checking across settings."""
    defaults = defaults or {}
    settings = GENERAL + tuple(own)
    names = [s.name for s in settings]
    if len(set(names)) != len(names):
        raise ValueError(f"{name}: a setting is declared twice: {sorted(n for n in names if names.count(n) > 1)}")
    unknown = set(defaults) - set(names)
    if unknown:
        raise ValueError(f"{name}: defaults for settings it does not hold: {sorted(unknown)}")
    cls = make_dataclass(name, [(s.name, object, field(default=defaults.get(s.name, s.default))) for s in settings],
                         bases=(RunConfig,))
    cls.settings = settings
    if rules is not None:
        cls.task_rules = staticmethod(rules)
    return cls
