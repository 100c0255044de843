"""Tasks: what each kind of problem brings to the trainer (``base.Task``). ``make_trainer(cfg, out)``
is a Trainer for the run's task (``cfg.task``)."""

from __future__ import annotations

import dataclasses
from pathlib import Path

from ..train import Trainer, load_weights
from ..train.config import read_run_config
from .base import Task
from .classify import ClassificationTask
from .forecast import ForecastTask
from .lm import LanguageModelTask, build_model, load_run
from .longrange import PROBLEMS, LongRangeTask
from .seq2seq import Seq2SeqTask

__all__ = ["Task", "LanguageModelTask", "ClassificationTask", "ForecastTask", "Seq2SeqTask", "LongRangeTask", "TASKS", "make_trainer",
           "load_task", "build_model", "load_run", "run_members"]

TASKS = {"lm": LanguageModelTask, "classify": ClassificationTask, "forecast": ForecastTask,
         "seq2seq": Seq2SeqTask} | dict.fromkeys(PROBLEMS, LongRangeTask)


def make_trainer(cfg, out: str | Path, resume: bool = False, group=None, **kwargs) -> Trainer:
    """A Trainer of ``cfg.task`` for ``cfg`` into the run folder ``out`` (``kwargs``: log, progress),
    data-parallel over ``group`` (``rnnlab.distributed``; None: this process alone)."""
    return Trainer(TASKS[cfg.task](cfg, out, resume, group=group), out, resume=resume, group=group, **kwargs)


def load_task(run: str | Path, which: str = "best", data_dir: str | None = None):
    """(config, task, checkpoint metadata) of a run folder, the task's model holding the ``which``
    weights: "best" (best.safetensors, if any) or "last" (the latest checkpoint). ``data_dir`` overrides
    where the run's named data lives."""
    run = Path(run)
    cfg = read_run_config(run)
    if data_dir:
        cfg = dataclasses.replace(cfg, data_dir=data_dir)
    task = TASKS[cfg.task](cfg, run, resume=True)
    weights, meta = load_weights(run, which)
    task.model.load_state_dict(weights)
    return cfg, task, meta


def run_members(run: str | Path) -> list[Path]:
    """The run folders of ``run``: itself when it is one (config.json), else its ensemble's members
    (member-1, member-2, ..., in that order); FileNotFoundError when it is neither."""
    import json

    run = Path(run)
    if (run / "config.json").is_file():
        return [run]
    members = sorted((p for p in run.glob("member-*") if p.name[7:].isdigit() and (p / "config.json").is_file()),
                     key=lambda p: int(p.name[7:]))
    if not members:
        raise FileNotFoundError(f"{run} is not a run folder (no config.json, no member-k folders); train one with "
                                f"`rnnlab train --out {run}`")
    planned = json.loads((run / "ensemble.json").read_text())["members"] if (run / "ensemble.json").is_file() else 0
    if len(members) < planned:
        raise FileNotFoundError(f"{run} holds {len(members)} of its {planned} members; train the others with "
                                f"`rnnlab train --resume {run}`")
    return members
