"""K-fold cross-validation over any task that declares a ``fold`` setting (its data split in K folds,
fold k the test split of run k): one run a fold into OUT/fold-1 .. OUT/fold-K (each a run folder, or
with an ensemble an ensemble folder), each measured on its test fold with its best weights; the
measures and their means in OUT/folds.json."""

from __future__ import annotations

import dataclasses
import json
import statistics
from pathlib import Path

from ..train.run_folder import RunFolder
from .members import evaluate_members, train_members

__all__ = ["cross_validate"]


def cross_validate(cfg, out: Path, ensemble: int = 1, run_one=None, say=print) -> dict | int:
    """Train and measure the ``cfg.folds`` folds (``train_members`` for each: ``ensemble`` members,
    ``run_one``); returns the summary written to OUT/folds.json, or an exit code when a run stopped."""
    folder = RunFolder(out)
    folder.require_empty()
    created = not folder.path.exists()
    results, task = [], None
    for k in range(1, cfg.folds + 1):
        run = folder.fold(k)
        say(f"fold {k} of {cfg.folds} into {run.path}")
        try:
            tasks = train_members(dataclasses.replace(cfg, fold=k), run.path, ensemble, run_one=run_one)
        finally:
            if created:
                folder.remove_if_empty()  # bad input leaves no empty folder behind
        if isinstance(tasks, int):
            return tasks
        task = tasks[0]
        measures = evaluate_members(tasks, "test")
        results.append({"fold": k} | {m: v for m, v in measures.items() if isinstance(v, (int, float))})
        say(f"fold {k}: test {task.describe(measures)}")
    keys = [m for m in results[0] if m != "fold" and isinstance(results[0][m], float)]
    summary = {"folds": results} | {m: statistics.mean(r[m] for r in results) for m in keys}
    folder.folds.write_text(json.dumps(summary, indent=1) + "\n")
    key = task.measure.key
    values = [r[key] for r in results]
    spread = f" +- {statistics.stdev(values):.4f}" if len(values) > 1 else ""
    print(f"{cfg.folds}-fold cross-validation: {key} {summary[key]:.4f}{spread} (folds {min(values):.4f} to "
          f"{max(values):.4f}); {folder.folds}")
    return summary
