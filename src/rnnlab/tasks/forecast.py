"""Forecasting one series, or one global model over many (``--task forecast``, ``rnnlab forecast``).

Data (``rnnlab.data.series``): a CSV column (``--column Y[,X...]``: Y forecast, X inputs only), a
named series (sunspots, nile, co2, elnino, gdp; with statsmodels) or a ``.tsf`` file of many series
(m1-yearly). Each series is cut as ``rnnlab.forecast.rolling`` describes: the last K H points are the
test windows, the K H before them the validation (= calibration) windows, the rest trains.

The network (``SequenceClassifier``'s stack: recurrent layers, or with ``--arch`` a TCN, a causal
Transformer or an MLP over the window, read to each window's last step, pooled, a linear layer)
reads an input window of up to L transformed steps (``forecast.transforms``; shorter at a series'
start, with the packed-sequence lengths) and outputs, in transformed units,
    direct      the next H steps at once (H outputs);
    recursive   the next step only; H steps by feeding each forecast back as the next input
                (univariate only).
The loss (MSE or MAE) is over every output of every window of a batch. The transforms' scaling is
fitted on each series' points before its first test origin, as the baselines' choices are.

With ``refit`` the validation windows train too (every window whose targets lie before the first
test origin), on the same schedule, stopped at the epoch where an earlier run without them had its
best validation (``refit_epochs``; ``stop_epoch``): the network then knows the K H points before the
test windows, as the baselines, refitted at every origin, do. Given no transform, ``rnnlab forecast``
trains a network for each of ``TRANSFORMS`` and keeps the one of lowest validation MASE
(``choose_transform``), as ETS and ARIMA choose their forms.
"""

from __future__ import annotations

import dataclasses
import json
import sys
from pathlib import Path

import numpy as np

from ..data.corpora import resolve_data_dir
from ..data.padding import pad
from ..data.series import load_series
from ..forecast.rolling import origins
from ..forecast.transforms import Transform
from ..models import SequenceClassifier
from ..nn.regression import regression_loss
from ..train.config import TrainConfig
from .base import Task, encoder_for

__all__ = ["ForecastTask", "NetworkMethod", "TRANSFORMS", "TRANSFORM_KEYS", "choose_transform", "refit_epochs", "refit_forecaster",
           "train_forecaster"]


class ForecastTask(Task):
    """``cfg`` a TrainConfig with task "forecast"; on ``resume`` the transforms are the run folder's."""

    unit = "windows"
    files = ("forecast.json",)

    def __init__(self, cfg: TrainConfig, out: Path | None = None, resume: bool = False, group=None) -> None:
        self.cfg, self.group = cfg, group or self.group
        columns = [c.strip() for c in cfg.column.split(",")] if cfg.column else None
        self.series = load_series(cfg.data, resolve_data_dir(cfg.data_dir), columns, cfg.date_column, cfg.season)
        first = self.series[0]
        self.season = first.season
        self.horizon = cfg.horizon or first.horizon
        if self.horizon is None:
            raise ValueError(f"{cfg.data}: give the forecast horizon with --horizon H (a positive integer)")
        many = len(self.series) > 1
        self.folds = cfg.folds or (1 if many else 5)
        self.lookback = cfg.lookback or max(2 * self.horizon, 2 * self.season)
        self.channels = first.values.shape[1]
        if cfg.output == "recursive" and self.channels > 1:
            raise ValueError("--output recursive feeds forecasts back as inputs, so it needs one column; "
                             "use --output direct with input-only columns")
        H, K = self.horizon, self.folds
        self.steps_out = H if cfg.output == "direct" else 1
        saved = json.loads((Path(out) / "forecast.json").read_text()) if resume else None
        self.transforms, self.z, self.first_test, train, valid = [], [], [], [], []
        for i, s in enumerate(self.series):
            n = len(s.values)
            test, _ = origins(n, H, K)
            self.first_test.append(test[0])
            cut = test[0] - K * H  # validation windows' targets lie in [cut, test[0])
            t = Transform(cfg.log, cfg.diff, self.season if cfg.seasonal_diff else 0)
            if not many and cut - t.lost < self.steps_out + 1:
                raise ValueError(f"{s.name}: {n} points are too few for --horizon {H} with {K} test and {K} "
                                 f"validation windows of {H} (needs more than {2 * K * H + t.lost + self.steps_out}); "
                                 f"lower --horizon or --folds")
            if saved:
                t = Transform.from_state(saved["transforms"][i])
            else:
                try:
                    t.fit(s.values[:test[0]])
                except ValueError as e:
                    raise ValueError(f"{s.name}: {e}") from None
            self.transforms.append(t)
            z = t.forward(s.values)  # z[j] is step j + lost; windows read z before their origin only
            first_target = t.lost + 1
            end = test[0] if cfg.refit else cut  # --refit: the validation windows train too
            train += [(i, o) for o in range(first_target, end - self.steps_out + 1)]
            valid += [(i, o) for o in range(max(cut, first_target), test[0] - self.steps_out + 1)]
            self.z.append(z.astype(cfg.dtype))
        if not train:
            raise ValueError(f"{cfg.data}: no training windows: the series are too short for --horizon {H} "
                             f"with {K} test and {K} validation windows")
        self.windows = {"train": train, "valid": valid}
        self.arrays = {split: self._windows(w) for split, w in self.windows.items() if w}
        self.longest = self.lookback
        self.model = self.model_for(cfg)
        self.loss_fn = regression_loss(cfg.loss)

    def model_for(self, cfg: TrainConfig) -> SequenceClassifier:
        """The forecaster of ``cfg`` (its model settings: a recurrent stack, or with --arch a TCN,
        Transformer or window MLP over the look-back window) for this task's channels and outputs."""
        return SequenceClassifier(self.steps_out, input_size=self.channels, cell=cfg.cell, hidden_size=cfg.hidden,
                                  num_layers=cfg.layers, bidirectional=cfg.bidirectional, pool=cfg.pool,
                                  dropout=cfg.dropout, dtype=np.dtype(cfg.dtype), seed=cfg.seed,
                                  encoder=encoder_for(cfg, self.channels, self.lookback))

    def _context(self, z: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """(inputs (<= L, D), what was subtracted (D,)) of the transformed history z (m, D)."""
        x = z[-self.lookback:]
        shift = x[-1].copy() if self.cfg.window_norm == "last" else np.zeros(x.shape[1], x.dtype)
        return x - shift, shift

    def _windows(self, windows: list[tuple[int, int]]):
        """(x (L, W, D), lengths (W,), targets (W, outputs)) of (series, origin) windows."""
        xs, ys = [], []
        for i, o in windows:
            z, lost = self.z[i], self.transforms[i].lost
            x, shift = self._context(z[:o - lost])
            xs.append(x)
            ys.append(z[o - lost:o - lost + self.steps_out, 0] - shift[0])
        x, lengths = pad(xs, np.dtype(self.cfg.dtype))
        return x, lengths, np.array(ys, dtype=self.cfg.dtype)

    @property
    def batches_per_epoch(self) -> int:
        return -(-len(self.windows["train"]) // self.cfg.batch_size)

    def batch(self, epoch: int, index: int):
        x, lengths, y = self.arrays["train"]
        order = np.random.default_rng([self.cfg.seed, epoch]).permutation(len(lengths))
        pick = order[index * self.cfg.batch_size:(index + 1) * self.cfg.batch_size]
        pick = pick[self.group.part(len(pick))]
        if not len(pick):
            return None
        keep = lengths[pick].max()
        return x[:keep, pick], lengths[pick], y[pick]

    def forward_backward(self, batch) -> tuple[float, int]:
        x, lengths, y = batch
        loss = self.loss_fn(self.model(x, lengths), y)
        self.model.backward(self.loss_fn.backward())
        return loss, len(y)

    def evaluate(self, split: str = "valid") -> dict[str, float]:
        """The loss (in transformed units) over every window of ``split`` (train or valid)."""
        if split not in self.arrays:
            raise ValueError(f"{self.cfg.data} has no {split} windows (forecasts are measured by rnnlab forecast)")
        x, lengths, y = self.arrays[split]
        mine = self.group.part(len(lengths))  # each rank its share of the windows; forecasts joined
        with self.model.inference():
            f = self.model(x[:, mine], lengths[mine]) if mine.stop > mine.start else np.empty((0, y.shape[1]), y.dtype)
            loss = self.loss_fn(self.group.allgather(f), y)
        return {"loss": loss, "windows": len(lengths)}

    def describe(self, measures: dict[str, float]) -> str:
        return f"loss {measures['loss']:.4f} ({self.cfg.loss}, transformed units)"

    def about(self) -> str:
        kind = f"{len(self.series)} series" if len(self.series) > 1 else f"{len(self.series[0].values)} points"
        return (f"{kind}, horizon {self.horizon}, look-back {self.lookback}, {len(self.windows['train']):,} training "
                f"windows")

    def predict(self, i: int, history: np.ndarray, h: int) -> np.ndarray:
        """Forecast (h,) of series i's column 0 from its history (n, D), in the data's units."""
        if h > self.steps_out and self.channels > 1:
            raise ValueError(f"forecasting {h} steps feeds forecasts back as inputs, which needs one column; "
                             f"this model has {self.channels} and forecasts {self.steps_out} at most")
        t = self.transforms[i]
        z = t.forward(history).astype(self.cfg.dtype)
        if len(z) < 1:
            raise ValueError(f"a history of {len(history)} points is too short for the transforms")
        out = []
        with self.model.inference():
            while len(out) < h:
                x, shift = self._context(z)
                step = self.model(x[:, None], np.array([len(x)]))[0] + shift[0]
                out.extend(step.tolist())
                if len(out) < h:  # feed the forecasts back (univariate)
                    z = np.concatenate([z, step[:, None].astype(z.dtype)])
        return t.inverse(history, np.array(out[:h]))

    def save_files(self, out: Path) -> None:
        info = {"horizon": self.horizon, "lookback": self.lookback, "folds": self.folds, "season": self.season,
                "series": [s.name for s in self.series], "transforms": [t.state() for t in self.transforms]}
        (Path(out) / "forecast.json").write_text(json.dumps(info, indent=1) + "\n")


def _stderr(msg: str) -> None:
    print(msg, file=sys.stderr, flush=True)


def refit_epochs(run: Path, task: ForecastTask) -> int:
    """The epochs a refit of ``run`` trains: those of the run's best validation weights (at least 1)."""
    from ..train import load_weights

    step = load_weights(run, "best")[1].get("step") or 0
    return max(1, -(-step // task.batches_per_epoch))


def train_forecaster(cfg: TrainConfig, out: Path, weights: str = "best", log=None, notes: bool = True):
    """(the forecaster of ``cfg`` trained into ``out`` with the validation windows held out, holding its
    ``weights``; with ``cfg.refit`` the same trained again through them into out/refit, on the same
    schedule stopped after ``refit_epochs``, holding its last weights, else None), or None when Ctrl-C
    stopped it. ``log``: the trainer's (None: stderr); ``notes``: say what loading the data noticed."""
    from ..train import load_weights
    from . import make_trainer

    say = log or _stderr
    out = Path(out)
    trainer = make_trainer(dataclasses.replace(cfg, refit=False), out, log=log)
    task = trainer.task
    for note in (n for s in task.series for n in s.notes if notes):
        say(note)
    say(f"training a {cfg.layers}x{cfg.hidden} {cfg.cell if cfg.arch == 'rnn' else cfg.arch} forecaster on {cfg.data} "
        f"({task.about()}, {task.model.num_parameters():,} parameters) into {out}")
    if trainer.run()["reason"] == "interrupted":
        return None
    task.model.load_state_dict(load_weights(out, weights)[0])
    if not cfg.refit:
        return task, None
    refit = refit_forecaster(cfg, out, task, log)
    return None if refit is None else (task, refit)


# the transforms rnnlab forecast chooses among when none is given: the three whose choice on validation
# did best on series other than the named ones (benchmarks/forecast_dev.py; more candidates did worse)
TRANSFORMS = {"levels": dict(log=False, diff=0, seasonal_diff=False, window_norm="none"),
              "diff": dict(log=False, diff=1, seasonal_diff=False, window_norm="none"),
              "window-norm": dict(log=False, diff=0, seasonal_diff=False, window_norm="last")}
TRANSFORM_KEYS = frozenset(TRANSFORMS["levels"])  # the settings that make a transform: given one, none is chosen


def choose_transform(cfg: TrainConfig, folder: Path, weights: str = "best", log=None):
    """(the name of the transform of ``TRANSFORMS`` whose forecaster, trained by ``cfg`` with it (the
    validation windows held out, no refit) into folder/NAME, has the lowest validation MASE;
    {name: validation MASE}; that forecaster's task), or None when Ctrl-C stopped it. A transform the
    series cannot take (too short once differenced) is left out, and said so; if none can, its error."""
    from ..forecast.rolling import validation_mase

    say = log or _stderr
    candidates, errors = {}, {}
    for name, transform in TRANSFORMS.items():
        candidates[name] = dataclasses.replace(cfg, refit=False, **transform)
        try:
            ForecastTask(candidates[name])  # reads the data and cuts the windows; writes nothing
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


def refit_forecaster(cfg: TrainConfig, out: Path, task: ForecastTask, log=None):
    """The task of the forecaster of run ``out`` (its ``task``, trained with the validation windows
    held out) trained again through them into out/refit, on ``cfg``'s schedule stopped after
    ``refit_epochs``, holding its last weights; None when Ctrl-C stopped it. A refit already there
    (a resumed run's, made from the run before it went on) is replaced only once the new one has
    finished: it trains in out/refit.new."""
    import shutil

    from ..train import load_weights
    from . import make_trainer

    say = log or _stderr
    out, epochs = Path(out), refit_epochs(out, task)
    old = out / "refit"
    new = old.with_name("refit.new") if old.exists() else old
    shutil.rmtree(old.with_name("refit.new"), ignore_errors=True)
    again = make_trainer(dataclasses.replace(cfg, refit=True, stop_epoch=epochs), new, log=log)
    say(f"training again through the validation windows, stopping after epoch {epochs} (the best validation's) "
        f"of the {cfg.epochs or 1}-epoch schedule, into {old}")
    if again.run()["reason"] == "interrupted":
        if new != old:
            shutil.rmtree(new)
            say(f"{old} still holds the refit made before this run went on")
        return None
    if new != old:
        shutil.rmtree(old)
        new.rename(old)
    again.task.model.load_state_dict(load_weights(old, "last")[0])
    return again.task


class NetworkMethod:
    """Trained networks as one rolling-origin method (``rnnlab.forecast.rolling``): a task, or several
    (an ensemble, e.g. of seeds), whose forecasts are averaged. With ``refit`` (the same networks
    trained again through the validation windows, ``--refit``) those forecast from each series' first
    test origin on, and the held-out ones before it: a forecaster retrained once, at the first test
    origin, whose calibration errors stay out of sample."""

    name = "rnnlab"
    multichannel = True
    fallbacks = 0

    def __init__(self, tasks: ForecastTask | list[ForecastTask], refit: list[ForecastTask] | None = None) -> None:
        self.tasks = tasks if isinstance(tasks, list) else [tasks]
        self.refit = refit or None

    def prepare(self, histories) -> None:
        """Trained already, on the points before the validation windows (or, refit, the test windows)."""

    def forecast(self, i: int, x: np.ndarray, h: int) -> np.ndarray:
        tasks = self.refit if self.refit and len(x) >= self.tasks[0].first_test[i] else self.tasks
        return np.mean([task.predict(i, x, h) for task in tasks], axis=0)
