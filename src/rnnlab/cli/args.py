"""The command line's arguments: a parser with no abbreviations whose usage error is one line (with the
closest known flag, or the task a setting belongs to), flags made from declared settings
(``rnnlab.train.Setting``), the task a command line trains, and the checks every command shares.
``parser.py`` declares every command with them."""

from __future__ import annotations

import argparse
import difflib
import json
from pathlib import Path

__all__ = ["suggestion", "settings_given", "absolute_paths", "check_png", "task_of", "add_settings", "weights_flag",
           "positive_int", "number", "UsageError", "Parser"]


class UsageError(Exception):
    """A mistake in the command line itself (exit code 2)."""


class Parser(argparse.ArgumentParser):
    """argparse with no abbreviations; a usage error is one line on stderr (``prog: error: ...``)
    and exit code 2."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, allow_abbrev=False, **kwargs)

    def error(self, message):
        self.exit(2, f"{self.prog}: error: {message}\n")


def positive_int(text: str) -> int:
    try:
        v = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a positive integer, got {text!r}") from None
    if v < 1:
        raise argparse.ArgumentTypeError(f"expected a positive integer, got {text!r}")
    return v


def number(text: str) -> float:
    try:
        v = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a number, got {text!r}") from None
    if v != v or v in (float("inf"), float("-inf")):
        raise argparse.ArgumentTypeError(f"expected a finite number, got {text!r}")
    return v


def settings_given(args) -> dict:
    """The settings a parsed command line holds (None where a flag was not given)."""
    return {k: getattr(args, k) for k in getattr(args, "settings", ())}


def absolute_paths(flags: dict) -> dict:
    """``flags`` with --data (when it names a file or folder that exists) and --data-dir made absolute,
    so that a run's config finds its data from any folder."""
    out = dict(flags)
    data = out.get("data")
    if data and ("/" in data or "." in data or "\\" in data) and Path(data).expanduser().exists():
        out["data"] = str(Path(data).expanduser().resolve())
    if out.get("data_dir"):
        out["data_dir"] = str(Path(out["data_dir"]).expanduser().resolve())
    return out


def check_png(flag: str, path: str | None) -> None:
    """A UsageError unless ``path`` (of ``flag``) ends in .png and its folder exists."""
    if path is None:
        return
    if not path.lower().endswith(".png"):
        raise UsageError(f"{flag} writes a PNG; expected a path ending in .png, got {path!r}")
    if not Path(path).expanduser().parent.is_dir():
        raise UsageError(f"{flag} {path}: no such folder {Path(path).parent}")


def _scan(argv: list[str], flag: str) -> str | None:
    """The value of ``flag`` in ``argv`` (``--flag V`` or ``--flag=V``), before any parsing."""
    for i, word in enumerate(argv):
        if word == flag and i + 1 < len(argv):
            return argv[i + 1]
        if word.startswith(flag + "="):
            return word[len(flag) + 1:]
    return None


def task_of(argv: list[str]) -> tuple[str | None, str]:
    """(the task named by --task, or None; the task the command line trains): --task, else the
    resumed run's, the preset's or the config file's, else lm. A file that cannot be read counts as
    none here (its command reports it)."""
    from ..tasks.registry import presets

    named = _scan(argv, "--task")
    if named:
        return named, named
    try:
        if _scan(argv, "--resume"):
            from ..train.run_folder import RunFolder

            run = RunFolder(_scan(argv, "--resume"))
            saved = run.read_config() if run.is_run() else json.loads(run.ensemble.read_text())["config"]
            return None, saved.get("task", "lm")
        if _scan(argv, "--config"):
            from ..tasks import load_toml

            toml = load_toml(_scan(argv, "--config"))
            if "task" in toml:
                return None, toml["task"]
        if _scan(argv, "--preset") in presets():
            return None, presets()[_scan(argv, "--preset")]["task"]
    except (OSError, ValueError, KeyError, TypeError):
        pass
    return None, "lm"


def add_settings(parser, settings, skip=(), shown: bool = True) -> list[str]:
    """A flag for each of ``settings`` but those named in ``skip``; their help hidden unless
    ``shown``. Returns the settings' names."""
    from ..nn import cell_names
    from ..tasks import TASKS

    names = []
    for s in settings:
        if s.name in skip or not s.cli:
            continue
        names.append(s.name)
        text = s.help_line().format(cells=" | ".join(cell_names()), tasks=" | ".join(TASKS))
        text = text if shown else argparse.SUPPRESS
        if s.type is bool:
            parser.add_argument(s.flag, action=argparse.BooleanOptionalAction, default=None, help=text)
        elif s.type is int and s.low == 1 and not s.choices:
            parser.add_argument(s.flag, type=positive_int, metavar="N", help=text)
        elif s.type in (int, float):
            parser.add_argument(s.flag, type=int if s.type is int else number, metavar="N" if s.type is int else "X",
                                help=text)
        else:
            parser.add_argument(s.flag, type=str, metavar="NAME" if s.choices else "TEXT", help=text)
    return names


def owners(flag: str) -> list[str]:
    """The tasks that declare the setting of ``flag`` (``--horizon``: forecast)."""
    from ..tasks import TASKS

    name = flag.split("=")[0][2:].replace("-", "_")
    return [t for t, cls in TASKS.items() if any(s.name == name and s.cli for s in cls.settings)]


def suggestion(parser: argparse.ArgumentParser, extra: list[str]) -> str:
    """' (did you mean --hidden?)' for the first unknown flag close to one ``parser`` knows, or
    ' (--horizon is a setting of --task forecast ...)' for a flag of another task."""
    known = [o for action in parser._actions for o in action.option_strings]
    for word in extra:
        if word.startswith("--"):
            tasks = owners(word)
            if tasks and hasattr(parser, "task"):
                return (f" ({word.split('=')[0]} is not a setting of --task {parser.task}; it is one of --task "
                        f"{', '.join(tasks)}; see rnnlab {parser.prog.split()[-1]} --task {parser.task} --help)")
            close = difflib.get_close_matches(word.split("=")[0], known, n=1)
            if close:
                return f" (did you mean {close[0]}?)"
    return ""


def weights_flag(parser) -> None:
    parser.add_argument("--weights", choices=["best", "last"], default="best",
                        help="best: the best validation's weights (best.safetensors); last: the latest "
                             "checkpoint's (default: best)")
