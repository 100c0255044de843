"""``RunFolder``: the one place that knows a run folder's files.

    config.json              the run's settings (general and its task's)
    metrics.jsonl            one JSON object per log line or evaluation
    checkpoint.safetensors   the latest checkpoint (weights, optimiser, carried state, counters, RNGs),
                             and checkpoint.safetensors.prev, the one before
    best.safetensors         the weights of the best validation so far
    ensemble.json            an ensemble's folder: K and the config; its members in member-1 .. member-K
    folds.json               a K-fold cross-validation's folder: each fold's measures; fold-1 .. fold-K
and the task's own files (a vocabulary, labels, a forecaster's transforms).
"""

from __future__ import annotations

import json
from pathlib import Path

__all__ = ["RunFolder"]


class RunFolder:
    """The run folder at ``path`` (it need not exist yet)."""

    CONFIG, METRICS = "config.json", "metrics.jsonl"
    CHECKPOINT, BEST = "checkpoint.safetensors", "best.safetensors"
    ENSEMBLE, FOLDS = "ensemble.json", "folds.json"

    def __init__(self, path: str | Path) -> None:
        self.path = Path(path)

    def __repr__(self) -> str:
        return f"RunFolder({str(self.path)!r})"

    def __truediv__(self, name: str) -> Path:
        return self.path / name

    config = property(lambda self: self.path / self.CONFIG)
    metrics = property(lambda self: self.path / self.METRICS)
    checkpoint = property(lambda self: self.path / self.CHECKPOINT)
    previous = property(lambda self: self.path / (self.CHECKPOINT + ".prev"))
    best = property(lambda self: self.path / self.BEST)
    ensemble = property(lambda self: self.path / self.ENSEMBLE)
    folds = property(lambda self: self.path / self.FOLDS)

    def member(self, j: int) -> RunFolder:
        return RunFolder(self.path / f"member-{j}")

    def fold(self, k: int) -> RunFolder:
        return RunFolder(self.path / f"fold-{k}")

    def create(self, config: dict, task_files=(), log=print) -> None:
        """Make a new run folder holding ``config`` (config.json) and an empty metrics log. A folder
        that holds only a start that stopped before its first checkpoint (config, metrics, best weights,
        the task's ``task_files``) starts again; anything else that is not empty is a ValueError."""
        out = self.path
        if out.exists() and not out.is_dir():
            raise ValueError(f"--out {out} is a file; expected a folder for the run")
        if self.config.exists():
            if self.checkpoint.exists() or self.previous.exists():
                raise ValueError(f"{out} already holds a run; continue it with --resume {out} or choose another --out")
            ours = {self.CONFIG, self.METRICS, self.BEST, *task_files}
            left = {p.name for p in out.iterdir()} - ours
            if left:
                raise ValueError(f"{out} holds a run that never saved a checkpoint, and other files too "
                                 f"({', '.join(sorted(left))}); choose another --out")
            log(f"{out} holds a start that stopped before its first checkpoint: starting it again")
            for name in ours:
                (out / name).unlink(missing_ok=True)
        if out.is_dir() and any(out.iterdir()):
            raise ValueError(f"{out} is not empty; choose a new or empty folder for --out")
        try:
            out.mkdir(parents=True, exist_ok=True)
            self.config.write_text(json.dumps(config, indent=2) + "\n")
        except OSError as e:
            raise OSError(f"cannot write the run folder {out}: {e.strerror or e}") from e
        self.metrics.write_text("")

    def is_run(self) -> bool:
        return self.config.is_file()

    def read_config(self) -> dict:
        """config.json as a dict; FileNotFoundError when this is not a run folder."""
        if not self.is_run():
            raise FileNotFoundError(f"{self.path} is not a run folder (no config.json); train one with "
                                    f"`rnnlab train --out {self.path}`")
        return json.loads(self.config.read_text())

    def write_config(self, values: dict) -> None:
        """config.json, replaced whole (written beside it, then renamed)."""
        tmp = self.config.with_suffix(".json.tmp")
        tmp.write_text(json.dumps(values, indent=2) + "\n")
        tmp.replace(self.config)

    def planned_members(self) -> int:
        """K of an ensemble's folder (0 when it is not one)."""
        return json.loads(self.ensemble.read_text())["members"] if self.ensemble.is_file() else 0

    def members(self) -> list[RunFolder]:
        """Itself when it is a run, else its ensemble's members in order; FileNotFoundError when it is
        neither or a member is missing (naming the command that trains it)."""
        if self.is_run():
            return [self]
        found = sorted((p for p in self.path.glob("member-*") if p.name[7:].isdigit() and (p / self.CONFIG).is_file()),
                       key=lambda p: int(p.name[7:]))
        planned = self.planned_members()
        if not found and not planned:
            raise FileNotFoundError(f"{self.path} is not a run folder (no config.json, no member-k folders); train "
                                    f"one with `rnnlab train --out {self.path}`")
        if len(found) < planned:
            raise FileNotFoundError(f"{self.path} holds {len(found)} of its {planned} members; train the others with "
                                    f"`rnnlab train --resume {self.path}`")
        return [RunFolder(p) for p in found]

    def require_empty(self) -> None:
        """ValueError unless the folder is new or empty."""
        if self.path.exists() and (not self.path.is_dir() or any(self.path.iterdir())):
            raise ValueError(f"{self.path} is not an empty folder; choose a new or empty folder for --out")

    def remove_if_empty(self) -> None:
        if self.path.is_dir() and not any(self.path.iterdir()):
            self.path.rmdir()
