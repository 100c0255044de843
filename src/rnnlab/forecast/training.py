"""Training forecasters the way ``rnnlab forecast`` does: with the validation windows held out, then
refit through them (``train_forecaster``), and, given no transform, one network per transform of
``TRANSFORMS`` kept by its validation MASE (``choose_transform``), as ETS and ARIMA choose their forms."""

from __future__ import annotations

import dataclasses
import sys
from pathlib import Path

__all__ = ["TRANSFORMS", "TRANSFORM_KEYS", "train_forecaster", "choose_transform", "refit_forecaster"]

# the transforms rnnlab forecast chooses among when none is given: the three whose choice on validation
# did best on series other than the named ones (benchmarks/forecast_dev.py; more candidates did worse)
TRANSFORMS = {"levels": dict(log=False, diff=0, seasonal_diff=False, window_norm="none"),
              "diff": dict(log=False, diff=1, seasonal_diff=False, window_norm="none"),
              "window-norm": dict(log=False, diff=0, seasonal_diff=False, window_norm="last")}
TRANSFORM_KEYS = frozenset(TRANSFORMS["levels"]) | {"deseasonalise"}  # the settings that make a transform:
# given one, none is chosen


def _stderr(msg: str) -> None:
    print(msg, file=sys.stderr, flush=True)


def train_forecaster(cfg, out: Path, weights: str = "best", log=None, notes: bool = True):
    """(the forecaster of ``cfg`` trained into ``out`` with the validation windows held out, holding its
    ``weights``; with ``cfg.refit`` the same trained again through them into out/refit, on the same
    schedule stopped after ``refit_epochs``, holding its last weights, else None), or None when Ctrl-C
    stopped it. ``log``: the trainer's (None: stderr); ``notes``: say what loading the data noticed."""
    from ..tasks import make_trainer
    from ..tasks.shared import model_name
    from ..train import load_weights

    say = log or _stderr
    out = Path(out)
    trainer = make_trainer(dataclasses.replace(cfg, refit=False), out, log=log)
    task = trainer.task
    for note in (n for s in task.series for n in s.notes if notes):
        say(note)
    say(f"training a {cfg.layers}x{cfg.hidden} {model_name(cfg)} forecaster on {cfg.data} "
        f"({task.about()}, {task.model.num_parameters():,} parameters) into {out}")
    if trainer.run()["reason"] == "interrupted":
        return None
    task.model.load_state_dict(load_weights(out, weights)[0])
    if not cfg.refit:
        return task, None
    refit = refit_forecaster(cfg, out, task, log)
    return None if refit is None else (task, refit)


def choose_transform(cfg, folder: Path, weights: str = "best", log=None):
    """(the name of the transform of ``TRANSFORMS`` whose forecaster, trained by ``cfg`` with it (the
    validation windows held out, no refit) into folder/NAME, has the lowest validation MASE;
    {name: validation MASE}; that forecaster's task), or None when Ctrl-C stopped it. A transform the
    series cannot take (too short once differenced) is left out, and said so; if none can, its error."""
    from ..tasks import task_class
    from .network import NetworkMethod
    from .rolling import validation_mase

    say = log or _stderr
    candidates, errors = {}, {}
    for name, transform in TRANSFORMS.items():
        candidates[name] = dataclasses.replace(cfg, refit=False, **transform)
        try:
            task_class(cfg.task)(candidates[name])  # reads the data and cuts the windows; writes nothing
        except ValueError as e:
            errors[name] = e
            del candidates[name]
    if not candidates:
        raise next(iter(errors.values()))
    for name, e in errors.items():
        say(f"not trying {name}: {e}")
    scores, tasks = {}, {}
    for name, c in candidates.items():
        trained = train_forecaster(c, Path(folder) / name, weights, log, notes=not scores)
        if trained is None:
            return None
        task = tasks[name] = trained[0]
        scores[name] = validation_mase(NetworkMethod(task), task.series, task.horizon, task.folds)
    best = min(scores, key=scores.get)
    return best, scores, tasks[best]


def refit_forecaster(cfg, out: Path, task, log=None):
    """The task of the forecaster of run ``out`` (its ``task``, trained with the validation windows
    held out) trained again through them into out/refit, on ``cfg``'s schedule stopped after
    ``refit_epochs``, holding its last weights; None when Ctrl-C stopped it. A refit already there
    (a resumed run's, made from the run before it went on) is replaced only once the new one has
    finished (``rnnlab.runs.retrain``)."""
    from ..runs.retrain import retrain
    from ..tasks.forecast import refit_epochs
    from ..train import load_weights

    say = log or _stderr
    out, epochs = Path(out), refit_epochs(out, task)
    say(f"training again through the validation windows, stopping after epoch {epochs} (the best validation's) "
        f"of the {cfg.epochs or 1}-epoch schedule, into {out / 'refit'}")
    again = retrain(dataclasses.replace(cfg, refit=True, stop_epoch=epochs), out / "refit", say)
    if again is None:
        return None
    again.task.model.load_state_dict(load_weights(out / "refit", "last")[0])
    return again.task
