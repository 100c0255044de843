"""Forecasting one series, or one global model over many (``--task forecast``, ``rnnlab forecast``).

Data (``rnnlab.data.series``): a CSV column (``--column Y[,X...]``: Y forecast, X inputs only), a
named series (sunspots, nile, co2, elnino, gdp; with statsmodels) or a ``.tsf`` file of many series
(m1-yearly). Each series is cut as ``rnnlab.forecast.rolling`` describes: the last K H points are the
test windows, the K H before them the validation (= calibration) windows, the rest trains.

The network (``SequenceModel``'s stack: recurrent layers, or with ``--arch`` a TCN, a causal
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
from pathlib import Path

import numpy as np

from ..data.corpora import resolve_data_dir
from ..data.padding import pad
from ..data.series import load_series
from ..forecast.network import NetworkMethod
from ..forecast.report import summary
from ..forecast.rolling import origins, rolling_origin
from ..forecast.transforms import Transform
from ..models import SequenceModel
from ..nn.regression import regression_loss
from ..train.settings import Setting
from .base import Measure, Task
from .shared import DATA_DIR, FEEDFORWARD, RECURRENT, check_model, encoder_for

__all__ = ["ForecastTask"]


class ForecastTask(Task):
    """``cfg`` its config; on ``resume`` the transforms are the run folder's."""

    settings = (
        Setting("data", None, "a CSV file (with --column) | a .tsf file of many series | sunspots | nile | co2 | "
                              "elnino | gdp | m1-yearly", shown="none: give one"),
        DATA_DIR,
        Setting("column", None, "CSV: the column to forecast, then input-only columns (Y or Y,X1,X2)",
                shown="the only numeric one"),
        Setting("date_column", None, "CSV: the dates, for the plot"),
        Setting("horizon", None, "steps ahead H", int, low=1, shown="the named data's"),
        Setting("lookback", None, "input window L", int, low=1, shown="max(2 H, 2 season)"),
        Setting("season", None, "season length m (12 monthly, 4 quarterly)", int, low=1, shown="the data's, else 1"),
        Setting("folds", None, "rolling-origin test windows K (and as many validation windows)", int, low=1,
                shown="5; many series: 1"),
        Setting("log", False, "model log y (values > 0)", bool),
        Setting("diff", 0, "differences: 0 | 1 | 2", int, choices=(0, 1, 2)),
        Setting("seasonal_diff", False, "a difference at lag m", bool),
        Setting("deseasonalise", False, "divide each series by its multiplicative seasonal indices (fitted on its "
                                        "training part) when the M4 seasonality test finds a season", bool),
        Setting("window_norm", "none", "none | last (subtract each window's last value) | level (its exponentially "
                                       "smoothed level) | theta (with --log: what Theta's forecast misses)",
                choices=("none", "last", "level", "theta")),
        Setting("output", "direct", "direct (H outputs) | recursive (one step, fed back)",
                choices=("direct", "recursive")),
        Setting("loss", "mse", "mse | mae", choices=("mse", "mae")),
        Setting("combine", "mean", "an ensemble's forecast: the mean | median of its members'",
                choices=("mean", "median")),
        Setting("level", 0.8, "nominal coverage of the prediction interval", float, low=0, high=1, low_open=True,
                high_open=True),
        Setting("refit", False, "then train again through the validation windows, stopping at the epoch of the best "
                                "validation", bool, shown="on in rnnlab forecast, off in rnnlab train"),
        *RECURRENT, *FEEDFORWARD,
        Setting("bidirectional", False, "read each window both ways", bool),
        Setting("pool", "last", "last | mean | max over each window's steps", choices=("last", "mean", "max")),
    )
    # a small LSTM, the weights of the best validation (benchmarks/forecast.py's recipe; rnnlab forecast's
    # preset adds its cosine schedule and the refit)
    defaults = dict(layers=1, hidden=32, lr=3e-3, epochs=100)
    # what rnnlab forecast starts from (benchmarks/forecast.py's recipe): the weights of the best
    # validation, then trained again through the validation windows for that many epochs. No transform:
    # given none, rnnlab forecast chooses one on validation (forecast.training.TRANSFORMS)
    presets = {"forecast": dict(cell="lstm", layers=1, hidden=32, optimizer="adam", lr=3e-3, batch_size=32,
                                epochs=100, schedule="cosine", refit=True)}
    noun = "forecaster"
    ensembles = True
    measure = Measure("mase", lower_is_better=True, split="test")
    curve = "loss"
    unit = "windows"
    files = ("forecast.json",)

    @classmethod
    def check_config(cls, cfg) -> None:
        if cfg.data is None:
            raise ValueError("give the series with --data: a CSV file (with --column), a .tsf file, or one of "
                             "sunspots, nile, co2, elnino, gdp, m1-yearly")
        check_model(cfg, recurrent_only=("bidirectional",))
        if cfg.window_norm == "theta" and not cfg.log:
            raise ValueError("--window-norm theta models log y: add --log (every value must be > 0)")

    def __init__(self, cfg, out: Path | None = None, resume: bool = False, group=None) -> None:
        self.cfg, self.group, self.out = cfg, group or self.group, None if out is None else Path(out)
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
            t = Transform(cfg.log, cfg.diff, self.season if cfg.seasonal_diff else 0,
                          self.season if cfg.deseasonalise else 0, standardise=cfg.window_norm != "theta")
            if not many and cut - t.lost < self.steps_out + 1:
                raise ValueError(f"{s.name}: {n} points are too few for --horizon {H} with {K} test and {K} "
                                 f"validation windows of {H} (needs more than {2 * K * H + t.lost + self.steps_out}); "
                                 f"lower --horizon or --folds")
            if saved:
                t = Transform.from_state(saved["transforms"][i])
            else:
                try:
                    t.fit(s.values[:test[0]], level=cfg.window_norm in ("level", "theta"))
                except ValueError as e:
                    raise ValueError(f"{s.name}: {e}") from None
            self.transforms.append(t)
            z = t.forward(s.values[:test[0]])  # z[j] is step j + lost: the points before the test windows
            full = max(1, min(self.lookback, cut - t.lost - self.steps_out))  # theta: from a full window on
            first_target = t.lost + (full if cfg.window_norm == "theta" else 1)  # (a shorter one's slope is noise)
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

    def combine(self, outputs: list) -> np.ndarray:
        """An ensemble's forecast (h,) from its members' (each (h,)): their mean or median (--combine)."""
        return (np.median if self.cfg.combine == "median" else np.mean)(outputs, axis=0)

    def model_for(self, cfg) -> SequenceModel:
        return forecaster(cfg, self.channels, self.steps_out, self.lookback)

    @classmethod
    def onnx_models(cls, run: Path, which: str = "best") -> dict:
        """The network's graph (``rnnlab.export.sequence``) over a prepared window: inputs ``features``
        (T, N, D), the window of transformed values less what --window-norm takes out (``_context``) and
        ``lengths``; output ``logits`` (N, outputs), the next steps in transformed units (add back what
        ``_context`` measures them from). Metadata ``rnnlab.forecast``: forecast.json (horizon, look-back,
        each series' transform) with ``output`` and ``window_norm``."""
        from ..export.sequence import sequence_model_graph
        from ..train import load_weights
        from .registry import read_run_config

        cfg = read_run_config(run)
        info = json.loads((Path(run) / "forecast.json").read_text())
        channels = len(info["transforms"][0]["mean"])
        model = forecaster(cfg, channels, info["horizon"] if cfg.output == "direct" else 1, info["lookback"])
        model.load_state_dict(load_weights(run, which)[0])
        model.eval()
        proto = sequence_model_graph(model, name=f"rnnlab {cfg.arch if cfg.arch != 'rnn' else cfg.cell} forecaster")
        proto.metadata_props.add(key="rnnlab.forecast", value=json.dumps(
            info | {"output": cfg.output, "window_norm": cfg.window_norm}))
        return {"": proto}

    def _context(self, z: np.ndarray, i: int) -> tuple[np.ndarray, np.ndarray]:
        """(inputs (<= L, D), what the targets are measured from (steps_out,)) of series i's transformed
        history z (m, D): the inputs less, and the targets from, the window's last value, its smoothed
        level, or nothing (--window-norm last, level, none); --window-norm theta: the inputs less the
        level of the whole history, the targets from its Theta forecast path (``Transform.theta``)."""
        x, norm, t = z[-self.lookback:], self.cfg.window_norm, self.transforms[i]
        if norm == "theta":
            level, path = t.theta(z, self.steps_out)
            return x - level, path
        shift = x[-1] if norm == "last" else t.level(x) if norm == "level" else np.zeros(x.shape[1], x.dtype)
        return x - shift, np.full(self.steps_out, shift[0], x.dtype)

    def _windows(self, windows: list[tuple[int, int]]):
        """(x (L, W, D), lengths (W,), targets (W, outputs)) of (series, origin) windows."""
        xs, ys = [], []
        for i, o in windows:
            z, lost = self.z[i], self.transforms[i].lost
            x, offset = self._context(z[:o - lost], i)
            xs.append(x)
            ys.append(z[o - lost:o - lost + self.steps_out, 0] - offset)
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
        """The loss (in transformed units) over every window of ``split`` (train or valid); test: the
        rolling-origin measures (``evaluate_members``)."""
        if split == "test":
            return self.evaluate_members(split, [self])
        if split not in self.arrays:
            raise ValueError(f"{self.cfg.data} has no {split} windows")
        x, lengths, y = self.arrays[split]
        mine = self.group.part(len(lengths))  # each rank its share of the windows; forecasts joined
        with self.model.inference():
            f = self.model(x[:, mine], lengths[mine]) if mine.stop > mine.start else np.empty((0, y.shape[1]), y.dtype)
            loss = self.loss_fn(self.group.allgather(f), y)
        return {"loss": loss, "windows": len(lengths)}

    def evaluate_members(self, split: str, members: list) -> dict:
        """MASE, sMAPE, MAE, RMSE and the interval's coverage over the rolling-origin test windows of the
        networks ``members`` (this one first) forecasting together, each one's refit (if its run has
        one) from the first test origin on (``rnnlab.forecast.rolling``)."""
        if split != "test":
            raise ValueError(f"an ensemble's {split} loss is each member's: give one member's folder; --split test "
                             f"measures the ensemble's forecasts")
        method = NetworkMethod(members, [r for m in members for r in m.refit_tasks()])
        return summary(rolling_origin([method], self.series, self.horizon, self.folds, self.cfg.level))["rnnlab"]

    def evaluate_file(self, path: Path, members: list) -> dict:
        """The rolling-origin test measures of the run's networks (``members``) on the series of a file
        (a CSV column, a .tsf file), each series transformed as the run's settings say, fitted on its
        own points before its first test origin."""
        others = []
        for task in members:
            other = type(self)(dataclasses.replace(task.cfg, data=str(path)))
            if other.channels != task.channels:
                raise ValueError(f"{path}: {other.channels} column(s) where the run reads {task.channels}")
            other.model = task.model
            others.append(other)
        return others[0].evaluate_members("test", others)

    def refit_tasks(self) -> list:
        """[the task of this run's refit (RUN/refit), holding its last weights] when it has one, else []."""
        from ..train import RunFolder, load_weights
        from .registry import read_run_config

        refit = RunFolder(self.out / "refit") if self.out is not None else None
        if refit is None or not refit.is_run():
            return []
        task = type(self)(read_run_config(refit.path) if self.cfg.data_dir is None else dataclasses.replace(
            read_run_config(refit.path), data_dir=self.cfg.data_dir), refit.path, resume=True)
        task.model.load_state_dict(load_weights(refit.path, "last")[0])
        return [task]

    def describe(self, measures: dict[str, float]) -> str:
        return f"loss {measures['loss']:.4f} ({self.cfg.loss}, transformed units)"

    def report(self, measures: dict, split: str) -> str:
        if split != "test":
            return f"{split}: {self.describe(measures)} over {measures['windows']:,} windows"
        return (f"test ({self.folds} rolling-origin window(s) of {self.horizon}): MAE {measures['mae']:.4g}, RMSE "
                f"{measures['rmse']:.4g}, sMAPE {measures['smape']:.2f}, MASE {measures['mase']:.3f}, "
                f"{self.cfg.level:.0%} interval coverage {measures['coverage']:.0%}")

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
                x, offset = self._context(z, i)
                step = self.model(x[:, None], np.array([len(x)]))[0] + offset
                out.extend(step.tolist())
                if len(out) < h:  # feed the forecasts back (univariate)
                    z = np.concatenate([z, step[:, None].astype(z.dtype)])
        return t.inverse(history, np.array(out[:h]))

    def followers(self, out: Path) -> list[tuple[object, Path]]:
        """(config, folder) of the refit that ``rnnlab forecast`` made in out/refit, if any: trained
        through the validation windows, stopped after ``refit_epochs`` of the schedule. A resumed run
        trains it again."""
        refit = Path(out) / "refit"
        if not refit.is_dir():
            return []
        return [(dataclasses.replace(self.cfg, refit=True, stop_epoch=refit_epochs(out, self)), refit)]

    def save_files(self, out: Path) -> None:
        info = {"horizon": self.horizon, "lookback": self.lookback, "folds": self.folds, "season": self.season,
                "series": [s.name for s in self.series], "transforms": [t.state() for t in self.transforms]}
        (Path(out) / "forecast.json").write_text(json.dumps(info, indent=1) + "\n")



def forecaster(cfg, channels: int, outputs: int, lookback: int) -> SequenceModel:
    """The network of ``cfg`` (its model settings: a recurrent stack, or with --arch a TCN, Transformer
    or window MLP over the look-back window) reading ``channels`` and giving ``outputs`` values."""
    return SequenceModel(outputs, input_size=channels, cell=cfg.cell, hidden_size=cfg.hidden, num_layers=cfg.layers,
                         bidirectional=cfg.bidirectional, pool=cfg.pool, dropout=cfg.dropout,
                         dtype=np.dtype(cfg.dtype), seed=cfg.seed, encoder=encoder_for(cfg, channels, lookback))


def refit_epochs(run: Path, task: ForecastTask) -> int:
    """The epochs a refit of ``run`` trains: those of the run's best validation weights (at least 1)."""
    from ..train import load_weights

    step = load_weights(run, "best")[1].get("step") or 0
    return max(1, -(-step // task.batches_per_epoch))
