"""Tasks: what each kind of problem brings to the trainer (``base.Task``). ``make_trainer(cfg, out)``
is a Trainer for the run's task."""

from __future__ import annotations

from pathlib import Path

from ..train import Trainer
from .base import Task
from .lm import LanguageModelTask, build_model, load_run

__all__ = ["Task", "LanguageModelTask", "TASKS", "make_trainer", "build_model", "load_run"]

TASKS = {"lm": LanguageModelTask}


def make_trainer(cfg, out: str | Path, resume: bool = False, **kwargs) -> Trainer:
    """A Trainer of the language-model task for ``cfg`` into the run folder ``out`` (``kwargs``: log,
    progress)."""
    return Trainer(TASKS["lm"](cfg, out, resume), out, resume=resume, **kwargs)
