"""``Setting``: one declared setting of a run (a field of its config, a flag of the command line, a
key of a TOML file), with its default, its help line and what values it takes.

The general settings (``config.GENERAL``: optimiser, schedule, clipping, length, dtype, seed) are
declared once; each task declares its own (``rnnlab.tasks``). A run's config class holds both, and
``rnnlab train`` builds its flags from them: a setting no declaration names is refused, never
recorded and ignored.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

__all__ = ["Setting"]


@dataclass(frozen=True)
class Setting:
    """``name`` the config field (the flag is ``--name`` with dashes); ``type`` int, float, str or bool;
    a default of None means the setting is optional (``shown`` says what None stands for).

    Allowed values: one of ``choices`` when given, else within [low, high] (``low_open`` / ``high_open``
    exclude the bound), integers for int."""

    name: str
    default: object
    help: str
    type: type = str
    choices: tuple = ()
    low: float | None = None
    high: float | None = None
    low_open: bool = False
    high_open: bool = False
    shown: str | None = None
    cli: bool = True  # False: set by the program (a forecaster's refit), not a flag

    @property
    def flag(self) -> str:
        return "--" + self.name.replace("_", "-")

    @property
    def label(self) -> str:
        """The setting as errors name it (``lr-decay``)."""
        return self.name.replace("_", "-")

    def help_line(self) -> str:
        default = self.shown if self.shown is not None else ("none" if self.default is None else self.default)
        text = self.help
        if self.choices and "|" not in text:
            text += ": " + " | ".join(map(str, self.choices))
        return f"{text} (default: {default})"

    def expected(self) -> str:
        """What values it takes, in words: 'a positive integer', 'in [0, 1)', ..."""
        whole = self.type is int
        if self.low == 1 and whole and self.high is None:
            return "a positive integer"
        if self.low == 0 and self.high is None:
            return ("a positive " if self.low_open else "a ") + ("integer" if whole else "number") + (
                "" if self.low_open else " >= 0")
        if self.low is None and self.high is None:
            return "an integer" if whole else "a finite number"
        lo = "-inf" if self.low is None else f"{self.low:g}"
        hi = "inf" if self.high is None else f"{self.high:g}"
        return f"in {'(' if self.low_open else '['}{lo}, {hi}{')' if self.high_open else ']'}"

    def check(self, value):
        """``value`` if the setting takes it, else ValueError in one line naming the setting."""
        if value is None and self.default is None:
            return None
        if self.type is bool:
            if not isinstance(value, bool):
                raise ValueError(f"{self.label} is true or false, got {value!r}")
            return value
        if self.type is str:
            if self.choices and value not in self.choices:
                raise ValueError(f"unknown {self.name.replace('_', ' ')} {value!r}; expected one of "
                                 f"{', '.join(map(str, self.choices))}")
            if not isinstance(value, str):
                raise ValueError(f"{self.label} is a text, got {value!r}")
            return value
        number = isinstance(value, (int, float)) and not isinstance(value, bool)
        ok = number and (self.type is float or isinstance(value, int)) and math.isfinite(value)
        if ok and self.choices:
            ok = value in self.choices
        elif ok:
            ok = ((self.low is None or (value > self.low if self.low_open else value >= self.low))
                  and (self.high is None or (value < self.high if self.high_open else value <= self.high)))
        if not ok:
            what = f"one of {', '.join(map(str, self.choices))}" if self.choices else self.expected()
            raise ValueError(f"{self.label} must be {what}, got {value!r}")
        return float(value) if self.type is float else value
