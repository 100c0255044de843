"""Tasks: what each kind of problem brings to the trainer (``base.Task``), registered by name
(``register_task``). ``make_trainer(cfg, out)`` is a Trainer for the run's task (``cfg.task``);
``load_task(run)`` reads a run folder back."""

from __future__ import annotations

import dataclasses
from pathlib import Path

from ..train import RunFolder, Trainer, load_weights
from .base import Measure, Task
from .classify import ClassificationTask
from .forecast import ForecastTask
from .lm import LanguageModelTask, build_model, load_run
from .longrange import PROBLEMS, AddingTask, CopyTask, LongRangeTask, ReberTask, TemporalOrderTask
from .registry import (TASKS, load_toml, read_run_config, register_task, resolve_config, task_class,
                       unregister_task)
from .seq2seq import Seq2SeqTask

__all__ = ["Task", "Measure", "LanguageModelTask", "ClassificationTask", "ForecastTask", "Seq2SeqTask",
           "LongRangeTask", "PROBLEMS", "TASKS", "register_task", "unregister_task", "task_class", "resolve_config", "read_run_config",
           "load_toml", "make_trainer", "load_task", "build_model", "load_run"]

for _name, _cls in (("lm", LanguageModelTask), ("classify", ClassificationTask), ("forecast", ForecastTask),
                    ("seq2seq", Seq2SeqTask), ("adding", AddingTask), ("copy", CopyTask),
                    ("temporal-order", TemporalOrderTask), ("reber", ReberTask)):
    register_task(_name, _cls)


def make_trainer(cfg, out: str | Path, resume: bool = False, group=None, **kwargs) -> Trainer:
    """A Trainer of ``cfg.task`` for ``cfg`` into the run folder ``out`` (``kwargs``: log, progress),
    data-parallel over ``group`` (``rnnlab.train.distributed``; None: this process alone)."""
    return Trainer(task_class(cfg.task)(cfg, out, resume, group=group), out, resume=resume, group=group, **kwargs)


def load_task(run: str | Path, which: str = "best", data_dir: str | None = None, say=None, **changes):
    """(config, task, checkpoint metadata) of a run folder, the task's model holding the ``which``
    weights: "best" (best.safetensors) or "last" (the latest checkpoint). ``data_dir`` overrides where
    the run's named data lives, ``changes`` other settings that measure it (a seq2seq run's beam); an
    AttributeError names one the run's task does not have. Data that changed since the run was trained
    is said in a line (``say``; default: stderr)."""
    import sys

    run = Path(run)
    cfg = read_run_config(run)
    note = RunFolder(run).data_changes(getattr(cfg, "data", None))
    if note:
        (say or (lambda msg: print(f"note: {msg}", file=sys.stderr)))(note)
    changes = {k: v for k, v in ({"data_dir": data_dir} | changes).items() if v is not None}
    for name in changes:
        if name not in cfg.field_names():
            raise AttributeError(f"--{name.replace('_', '-')} does not apply to {cfg.task} runs")
    if changes:
        cfg = dataclasses.replace(cfg, **changes)
    task = task_class(cfg.task)(cfg, run, resume=True)
    weights, meta = load_weights(run, which)
    task.model.load_state_dict(weights)
    return cfg, task, meta
