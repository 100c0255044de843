"""Ensembles over any task: K runs of one config but the seed, trained one after another into
OUT/member-1 .. OUT/member-K (each a run folder, resumable alone), OUT/ensemble.json recording K and
the config; measured together by the task's own way of combining members (``Task.combine``)."""

from __future__ import annotations

import dataclasses
from pathlib import Path

from ..train.run_folder import RunFolder

__all__ = ["run_members", "member_configs", "train_members", "load_members", "evaluate_members"]


def run_members(run: str | Path) -> list[Path]:
    """The run folders of ``run``: itself when it is one (config.json), else its ensemble's members
    (member-1, member-2, ..., in that order); FileNotFoundError when it is neither or a member is
    missing (with the command that trains it)."""
    return [f.path for f in RunFolder(run).members()]


def member_configs(cfg, k: int) -> list:
    """The configs of an ensemble's K members: member j has seed (seed + j - 1); tasks that split
    their data by a seed (``split_seed``) split it as the first member does."""
    if k > 1 and getattr(cfg, "split_seed", 0) is None:
        cfg = dataclasses.replace(cfg, split_seed=cfg.seed)
    return [dataclasses.replace(cfg, seed=cfg.seed + j) for j in range(k)]


def train_members(cfg, out: Path, k: int, resume: bool = False, run_one=None, resumed=None):
    """Train the K members of ``cfg`` into ``out`` (k = 1: ``out`` itself), each by ``run_one(cfg,
    folder, trainer) -> exit code`` (default: ``trainer.run()``); on ``resume``, those with a
    checkpoint go on (``resumed(saved config dict) -> config``: the settings a resume may change) and
    the others start. Returns the members' tasks, each holding its best weights, or the first non-zero
    exit code."""
    from ..tasks import make_trainer
    from ..tasks.registry import read_run_config
    from ..train import load_weights

    folder = RunFolder(out)
    if k > 1 and not resume:
        folder.require_empty()
    created = not folder.path.exists()
    tasks = []
    for j, member_cfg in enumerate(member_configs(cfg, k), 1):
        run = folder if k == 1 else folder.member(j)
        again = resume and run.checkpoint.is_file()
        if resume and not again and "rnnlab train --resume" not in folder.complete_with():
            raise ValueError(f"{run.path} was never trained; {folder.complete_with()}")
        try:
            if again:
                saved = read_run_config(run.path)
                member_cfg = resumed(saved.to_dict()) if resumed else saved
            trainer = make_trainer(member_cfg, run.path, resume=again)
        except Exception:
            run.remove_if_empty()  # bad input leaves no empty folder behind
            if created:
                folder.remove_if_empty()
            raise
        if k > 1 and not folder.ensemble.is_file():
            folder.write_ensemble(k, cfg.to_dict())
        if not (again and trainer.finished()):
            code = run_one(member_cfg, run.path, trainer) if run_one else (
                130 if trainer.run()["reason"] == "interrupted" else 0)
            if code:
                return code
        trainer.model.load_state_dict(load_weights(run.path, "best")[0])
        tasks.append(trainer.task)
    return tasks


def load_members(run: str | Path, which: str = "best", data_dir: str | None = None) -> list:
    """The tasks of a run or of each member of an ensemble, their models holding ``which`` weights."""
    from ..tasks import load_task

    return [load_task(member, which, data_dir)[1] for member in run_members(run)]


def evaluate_members(tasks: list, split: str) -> dict:
    """The measures of one task, or of an ensemble's (its members combined, ``Task.evaluate_members``)."""
    return tasks[0].evaluate(split) if len(tasks) == 1 else tasks[0].evaluate_members(split, tasks)
