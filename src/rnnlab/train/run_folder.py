"""``RunFolder``: the one place that knows a run folder's files.

    config.json              the run's settings (general and its task's)
    metrics.jsonl            one JSON object per log line or evaluation
    checkpoint.safetensors   the latest checkpoint (weights, optimiser, carried state, counters, RNGs),
                             and checkpoint.safetensors.prev, the one before
    best.safetensors         the weights of the best validation so far
    data.json                the data the run read, when it is a file or folder: its absolute path and
                             each file's size and SHA-256 (``data_changes`` compares them)
    ensemble.json            an ensemble's folder: K, the config and how to train missing members; its
                             members in member-1 .. member-K
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
    ENSEMBLE, FOLDS, DATA = "ensemble.json", "folds.json", "data.json"

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
    data = property(lambda self: self.path / self.DATA)

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
            ours = {self.CONFIG, self.METRICS, self.BEST, self.DATA, *task_files}
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

    def record_data(self, data: str | None) -> None:
        """data.json for ``data`` when it names a file or folder (a named dataset records nothing)."""
        if data and Path(data).expanduser().exists():
            self.data.write_text(json.dumps(_fingerprint(Path(data).expanduser()), indent=1) + "\n")

    def data_changes(self, data: str | None) -> str | None:
        """A line saying how ``data`` differs from what the run recorded it as, or None (the same, or
        nothing recorded)."""
        if not (data and self.data.is_file()):
            return None
        saved, path = json.loads(self.data.read_text()), Path(data).expanduser()
        if not path.exists():
            return f"{path} is gone; the run was trained on it"
        now = _fingerprint(path)
        changed = sorted(k for k in saved["files"].keys() | now["files"].keys()
                         if saved["files"].get(k) != now["files"].get(k))
        if not changed:
            return None
        return (f"{path} has changed since the run was trained on it ({', '.join(changed[:3])}"
                f"{' ...' if len(changed) > 3 else ''}: size or content); its measures are of the data as it is now")

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

    def write_ensemble(self, k: int, config: dict, complete_with: str | None = None) -> None:
        """ensemble.json: K members of ``config``; ``complete_with`` says how to train missing ones
        (default: resume the folder)."""
        complete_with = complete_with or f"train the others with `rnnlab train --resume {self.path}`"
        self.ensemble.write_text(json.dumps({"members": k, "config": config, "complete_with": complete_with},
                                            indent=1) + "\n")

    def complete_with(self) -> str:
        """How to train an ensemble's missing members (ensemble.json's word)."""
        saved = json.loads(self.ensemble.read_text()) if self.ensemble.is_file() else {}
        return saved.get("complete_with") or f"train the others with `rnnlab train --resume {self.path}`"

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
            raise FileNotFoundError(f"{self.path} holds {len(found)} of its {planned} members; {self.complete_with()}")
        return [RunFolder(p) for p in found]

    def require_empty(self) -> None:
        """ValueError unless the folder is new or empty."""
        if self.path.exists() and (not self.path.is_dir() or any(self.path.iterdir())):
            raise ValueError(f"{self.path} is not an empty folder; choose a new or empty folder for --out")

    def remove_if_empty(self) -> None:
        if self.path.is_dir() and not any(self.path.iterdir()):
            self.path.rmdir()


def _fingerprint(path: Path) -> dict:
    """{"path": absolute path, "files": {name: [size, sha256]}} of a file, or of a folder's files."""
    import hashlib

    path = path.resolve()
    files = [path] if path.is_file() else sorted(p for p in path.iterdir() if p.is_file())
    found = {}
    for f in files:
        digest = hashlib.sha256()
        with open(f, "rb") as handle:
            for block in iter(lambda: handle.read(1 << 20), b""):
                digest.update(block)
        found[f.name] = [f.stat().st_size, digest.hexdigest()]
    return {"path": str(path), "files": found}
