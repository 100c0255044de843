"""The tasks by name (``register_task``), and a run's config resolved from them: defaults < the task's
defaults < preset < TOML file < command-line flags (``resolve_config``), or read back from a run folder
(``read_run_config``)."""

from __future__ import annotations

import difflib
import json
import tomllib
from pathlib import Path

from .base import Task

__all__ = ["TASKS", "register_task", "unregister_task", "task_class", "resolve_config", "read_run_config", "upgraded",
           "presets", "preset_settings", "load_toml"]

TASKS: dict[str, type[Task]] = {}

# Every field of the single config all runs had before each task declared its own settings: a run
# folder of then records them all, those its task never read included. Reading it back drops those.
_ONE_CONFIG_FIELDS = frozenset(
    "task data data_dir tokens min_count arch cell kernel_size window heads context layers hidden embed dropout "
    "tie_weights init_scale bidirectional pool class_weights folds fold split_seed attention input_feeding "
    "teacher_forcing beam source_tokens target_tokens reverse_source definition examples init forget_bias column "
    "date_column horizon lookback season log diff seasonal_diff window_norm output loss level refit dtype "
    "flush_subnormals seq_len batch_size optimizer lr momentum alpha weight_decay clip clip_mode schedule lr_decay "
    "decay_after warmup loss_scale epochs max_steps stop_epoch time_budget eval_every checkpoint_every log_every "
    "seed".split())


def register_task(name: str, cls: type[Task]) -> type[Task]:
    """Make ``cls`` the task ``--task name`` trains (a subclass of ``Task`` declaring its settings)."""
    if not (isinstance(cls, type) and issubclass(cls, Task)):
        raise TypeError(f"register_task({name!r}, ...) needs a subclass of rnnlab.tasks.Task, got {cls!r}")
    if cls.name not in ("", name):
        raise ValueError(f"{cls.__name__} is the task {cls.name!r}; register it under that name")
    cls.name = name  # its config records it
    TASKS[name] = cls
    return cls


def unregister_task(name: str) -> None:
    """Forget the task registered as ``name`` (its run folders can no longer be read)."""
    task_class(name).name = ""
    del TASKS[name]


def task_class(name) -> type[Task]:
    """The task registered as ``name``; ValueError naming the known ones."""
    if name not in TASKS:
        close = difflib.get_close_matches(str(name), TASKS, n=1)
        raise ValueError(f"unknown task {name!r}{f' (did you mean {close[0]!r}?)' if close else ''}; expected one "
                         f"of {', '.join(TASKS)}")
    return TASKS[name]


def presets() -> dict[str, dict]:
    """Every task's presets by name, each with its task: {name: {"task": ..., settings...}}."""
    return {name: {"task": task} | values for task, cls in TASKS.items() for name, values in cls.presets.items()}


def preset_settings(name: str) -> dict:
    """The settings of preset ``name`` (its task among them); ValueError naming the known ones."""
    known = presets()
    if name not in known:
        raise ValueError(f"unknown preset {name!r}; expected one of {', '.join(known)}")
    return known[name]


def load_toml(path: str | Path) -> dict:
    """A settings file's keys (dashes read as underscores); the task's keys are checked on resolving."""
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"no such config file: {path}")
    try:
        d = tomllib.loads(path.read_text(encoding="utf-8"))
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as e:
        raise ValueError(f"{path} is not valid TOML: {e}") from e
    return {k.replace("-", "_"): v for k, v in d.items()}


def _build(values: dict, where: str = ""):
    """The checked config of ``values`` for its task (``values["task"]``, default lm)."""
    cls = task_class(values.get("task", "lm")).config_class()
    known = cls.field_names()
    unknown = sorted(set(values) - known)
    if unknown:
        owners = {k: [t for t, c in TASKS.items() if k in c.config_class().field_names()] for k in unknown}
        hint = "; ".join(f"{k} is a setting of --task {', '.join(o)}" for k, o in owners.items() if o)
        raise ValueError(f"{where}unknown key(s) {', '.join(unknown)} for --task {values.get('task', 'lm')}"
                         + (f" ({hint})" if hint else f"; known keys are {', '.join(sorted(known))}"))
    return cls(**values).check()


def resolve_config(preset: str | None = None, toml: str | Path | None = None, flags: dict | None = None):
    """Defaults < the task's defaults < preset < TOML file < flags (flags given as None are ignored)."""
    values: dict = {}
    if preset is not None:
        values |= preset_settings(preset)
    where = ""
    if toml is not None:
        values |= load_toml(toml)
        where = f"{toml}: "
    values |= {k: v for k, v in (flags or {}).items() if v is not None}
    return _build(values, where)


def upgraded(saved: dict) -> dict:
    """A saved config (config.json, an ensemble's) as this version reads it: the fields of the former
    single config that its task never read dropped, and the task's own upgrades made."""
    cls = task_class(saved.get("task", "lm"))
    own = cls.config_class().field_names()
    saved = {k: v for k, v in saved.items() if k in own or k not in _ONE_CONFIG_FIELDS}
    cls.upgrade_saved(saved)
    return saved


def read_run_config(run: str | Path):
    """The config.json of a run folder, checked; a clear error when it is not a run folder."""
    from ..train.run_folder import RunFolder

    folder = RunFolder(run)
    path = folder.config
    try:
        return _build(upgraded(folder.read_config()))
    except (json.JSONDecodeError, TypeError, AttributeError) as e:
        raise ValueError(f"{path} is not a valid run config: {e}") from e
