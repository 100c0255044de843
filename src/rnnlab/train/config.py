"""The training configuration: one typed record, resolved as preset (``presets.py``) < TOML file <
command-line flags, and saved with every run as ``config.json``.
"""

from __future__ import annotations

import json
import math
import tomllib
from dataclasses import asdict, dataclass, fields
from pathlib import Path

from ..nn import cell_kind
from .presets import PRESETS

__all__ = ["TrainConfig", "resolve_config", "load_toml", "read_run_config"]


@dataclass
class TrainConfig:
    task: str = "lm"  # lm | classify | forecast | seq2seq | adding | copy | temporal-order | reber
    # data
    data: str = "default"  # default | ptb-word | ptb-char | shakespeare | a text file | a folder
    data_dir: str | None = None
    tokens: str = "word"  # classify, text: word | char
    min_count: int = 1  # classify, text: words seen fewer times in training become <unk>
    # model
    arch: str = "rnn"  # rnn (a recurrent stack of --cell) | tcn | transformer | mlp (rnnlab.models.encoders)
    cell: str = "lstm"  # a registered cell kind: rnn | rnn_relu | lstm | gru (rnnlab.nn.cell_names())
    kernel_size: int = 7  # tcn: each convolution's taps
    window: int = 16  # mlp: the inputs it sees
    heads: int = 4  # transformer: attention heads (--hidden must be a multiple)
    context: int | None = None  # lm, non-recurrent: tokens carried from batch to batch (default: the receptive
    #                             field - 1 for tcn and mlp, 0 for the transformer)
    layers: int = 2
    hidden: int = 256
    embed: int | None = None  # default: hidden
    dropout: float = 0.0
    tie_weights: bool = False
    init_scale: float = 0.1  # lm: every weight ~ U(-s, s); classify keeps PyTorch's initialisation
    bidirectional: bool = False  # classify
    pool: str = "last"  # classify: last | mean | max over each sequence's valid steps
    class_weights: str = "none"  # classify: none | balanced (each class weighs n / (classes * its count))
    folds: int | None = None  # classify: K-fold cross-validation; forecast: rolling-origin test windows K
    fold: int | None = None  # classify: which fold is the test split (1..folds); None: all, one run each
    split_seed: int | None = None  # classify: the seed of the split and the folds (None: --seed)
    # seq2seq (rnnlab.tasks.seq2seq)
    attention: str = "additive"  # none | additive | general | dot
    input_feeding: bool = True
    teacher_forcing: float = 1.0  # the probability of feeding the reference token, not the model's own
    beam: int = 1  # beam width of the decoding that measures a run (1: greedy)
    source_tokens: str = "char"  # char | space (a table's source column)
    target_tokens: str = "char"  # char | space
    reverse_source: bool = False  # addition: read the question backwards
    # long-range problems (rnnlab.tasks.longrange): T is seq_len
    definition: str = "modern"  # adding: modern (Le et al. 2015, Bai et al. 2018) | 1997 (Hochreiter & Schmidhuber)
    examples: int = 10_000  # fresh training sequences an epoch
    init: str = "default"  # recurrent weights: default | orthogonal | identity (IRNN; rnn cells)
    forget_bias: float | None = None  # LSTM: the forget gate's bias (None: as initialised)
    # forecast (rnnlab.tasks.forecast)
    column: str | None = None  # CSV: the column to forecast, then any input-only columns, comma-separated
    date_column: str | None = None
    horizon: int | None = None  # default: the named data's own
    lookback: int | None = None  # input window; default max(2 horizon, 2 season)
    season: int | None = None  # season length m; default: the data's own (1 when none)
    log: bool = False
    diff: int = 0  # 0 | 1 | 2 differences
    seasonal_diff: bool = False  # a difference at lag m
    window_norm: str = "none"  # none | last: subtract each input window's last value
    output: str = "direct"  # direct: one output per horizon step | recursive: one step, fed back
    loss: str = "mse"  # mse | mae
    level: float = 0.8  # prediction interval's nominal coverage
    refit: bool = False  # forecast: train through the validation windows too (rnnlab forecast's second run)
    dtype: str = "float32"
    flush_subnormals: bool = False  # write and read subnormal floats as 0 (FTZ and DAZ; faster on Intel)
    # optimisation
    seq_len: int = 64
    batch_size: int = 32
    optimizer: str = "adam"
    lr: float = 2e-3
    momentum: float = 0.0
    alpha: float = 0.99  # RMSprop smoothing constant
    weight_decay: float = 0.0
    clip: float = 5.0  # 0 = no clipping
    clip_mode: str = "norm"  # norm (global norm) | value (char-rnn)
    schedule: str = "constant"  # constant | step | plateau | cosine
    lr_decay: float = 1.0  # step: lr * lr_decay ** max(0, epoch - decay_after)
    decay_after: int = 0
    warmup: int = 0  # cosine only
    loss_scale: str = "mean"  # mean over tokens | sum_time (summed over time, mean over batch: Zaremba)
    # length of the run
    epochs: int | None = None  # None: 1, or unbounded when max_steps or time_budget bounds the run
    max_steps: int | None = None  # if set, overrides epochs: train for exactly this many steps
    stop_epoch: int | None = None  # end after this epoch, the schedule still spanning --epochs (a forecaster's refit)
    time_budget: float | None = None  # seconds
    eval_every: int = 0  # steps; 0 = only at epoch ends
    checkpoint_every: int = 200  # steps
    log_every: int = 50
    seed: int = 1234

    def __post_init__(self) -> None:
        # the Transformer language model's default context, set here so that every config has it, saved or
        # built by dataclasses.replace: windows of --seq-len, as nanoGPT (better and cheaper than carrying
        # them, benchmarks/README.md, session 12)
        if self.arch == "transformer" and self.task == "lm" and self.context is None:
            self.context = 0

    def validate(self) -> TrainConfig:
        def positive(name):
            v = getattr(self, name)
            if isinstance(v, bool) or not isinstance(v, (int, float)) or not math.isfinite(v) or v <= 0:
                raise ValueError(f"{name.replace('_', '-')} must be a positive number, got {v!r}")

        for name in ("layers", "hidden", "seq_len", "batch_size", "lr", "init_scale",
                     "checkpoint_every", "log_every"):
            positive(name)
        for name in ("layers", "hidden", "seq_len", "batch_size", "checkpoint_every", "log_every", "kernel_size",
                     "window", "heads"):
            positive(name)
            if not isinstance(getattr(self, name), int):
                raise ValueError(f"{name.replace('_', '-')} must be an integer, got {getattr(self, name)!r}")
        for name in ("embed", "epochs", "max_steps", "stop_epoch", "time_budget"):
            if getattr(self, name) is not None:
                positive(name)
        for name in ("epochs", "stop_epoch"):
            if getattr(self, name) is not None and not isinstance(getattr(self, name), int):
                raise ValueError(f"{name.replace('_', '-')} must be an integer, got {getattr(self, name)!r}")
        for name in ("momentum", "weight_decay", "clip", "eval_every", "decay_after", "warmup"):
            v = getattr(self, name)
            if not isinstance(v, (int, float)) or not math.isfinite(v) or v < 0:
                raise ValueError(f"{name.replace('_', '-')} must be a number >= 0, got {v!r}")
        if not (0 <= self.dropout < 1):
            raise ValueError(f"dropout must be in [0, 1), got {self.dropout!r}")
        if not (0 < self.alpha < 1):
            raise ValueError(f"alpha must be in (0, 1), got {self.alpha!r}")
        if not (0 < self.lr_decay <= 1):
            raise ValueError(f"lr-decay must be in (0, 1], got {self.lr_decay!r}")
        self.cell = cell_kind(self.cell).name  # ValueError naming the registered kinds
        choices = {"task": ("lm", "classify", "forecast", "seq2seq", "adding", "copy", "temporal-order", "reber"),
                   "arch": ("rnn", "tcn", "transformer", "mlp"),
                   "definition": ("modern", "1997"), "init": ("default", "orthogonal", "identity"),
                   "attention": ("none", "additive", "general", "dot"), "source_tokens": ("char", "space"),
                   "target_tokens": ("char", "space"), "window_norm": ("none", "last"),
                   "output": ("direct", "recursive"), "loss": ("mse", "mae"), "class_weights": ("none", "balanced"),
                   "tokens": ("word", "char"), "pool": ("last", "mean", "max"), "dtype": ("float32", "float64"),
                   "optimizer": ("sgd", "adam", "adamw", "rmsprop", "adagrad"),
                   "clip_mode": ("norm", "value"), "schedule": ("constant", "step", "plateau", "cosine"),
                   "loss_scale": ("mean", "sum_time")}
        for name, allowed in choices.items():
            if getattr(self, name) not in allowed:
                raise ValueError(f"unknown {name.replace('_', ' ')} {getattr(self, name)!r}; expected one of "
                                 f"{', '.join(allowed)}")
        if not (isinstance(self.min_count, int) and self.min_count >= 1):
            raise ValueError(f"min-count must be a positive integer, got {self.min_count!r}")
        least = 1 if self.task == "forecast" else 2
        if self.folds is not None and not (isinstance(self.folds, int) and self.folds >= least):
            raise ValueError(f"folds must be an integer >= {least}, got {self.folds!r}")
        for name in ("horizon", "lookback", "season"):
            v = getattr(self, name)
            if v is not None and not (isinstance(v, int) and not isinstance(v, bool) and v >= 1):
                raise ValueError(f"{name} must be a positive integer, got {v!r}")
        if self.diff not in (0, 1, 2):
            raise ValueError(f"diff must be 0, 1 or 2, got {self.diff!r}")
        if not (0 < self.level < 1):
            raise ValueError(f"level must be in (0, 1), got {self.level!r}")
        if self.fold is not None and not (self.folds and isinstance(self.fold, int) and 1 <= self.fold <= self.folds):
            raise ValueError(f"fold must be an integer from 1 to --folds, got {self.fold!r} (folds {self.folds})")
        if not (0 <= self.teacher_forcing <= 1):
            raise ValueError(f"teacher-forcing must be in [0, 1], got {self.teacher_forcing!r}")
        if not (isinstance(self.beam, int) and self.beam >= 1):
            raise ValueError(f"beam must be a positive integer, got {self.beam!r}")
        if not (isinstance(self.examples, int) and self.examples >= 1):
            raise ValueError(f"examples must be a positive integer, got {self.examples!r}")
        if self.forget_bias is not None and (self.cell != "lstm" or not math.isfinite(self.forget_bias)):
            raise ValueError(f"--forget-bias is a finite number for LSTM cells, got {self.forget_bias!r} with "
                             f"--cell {self.cell}")
        if self.init == "identity" and self.cell not in ("rnn", "rnn_relu"):
            raise ValueError(f"--init identity (IRNN) is for plain RNN cells (rnn, rnn_relu), not {self.cell}")
        self._check_arch()
        if self.flush_subnormals:
            from ..backends.cpu import native

            if native.flush_mode() is None:
                raise ValueError("--flush-subnormals needs the compiled CPU library on an x86-64 CPU, which this "
                                 "machine lacks; drop it")
        lm = self.task == "lm"
        forecast = self.task == "forecast"
        longrange = self.task in ("adding", "copy", "temporal-order", "reber")
        defaults = TrainConfig.__dataclass_fields__
        seq2seq_only = [f"--{k.replace('_', '-')}" for k in ("attention", "input_feeding", "teacher_forcing", "beam",
                                                              "source_tokens", "target_tokens", "reverse_source")
                        if getattr(self, k) != defaults[k].default]
        changed = [f"--{k.replace('_', '-')}" for k in ("column", "date_column", "horizon", "lookback", "season",
                                                         "log", "diff", "seasonal_diff", "window_norm", "output",
                                                         "loss", "level", "refit")
                   if getattr(self, k) != defaults[k].default]
        classify_only = [f"--{k.replace('_', '-')}" for k in ("class_weights", "tokens", "min_count", "fold")
                         if getattr(self, k) != defaults[k].default]
        longrange_only = [f"--{k.replace('_', '-')}" for k in ("examples", "init", "forget_bias")
                          if getattr(self, k) != defaults[k].default]
        ignored = [(not forecast and bool(changed), " and ".join(changed), "--task forecast"),
                   (not longrange and bool(longrange_only), " and ".join(longrange_only),
                    "--task adding, copy, temporal-order or reber"),
                   (self.task != "adding" and self.definition != "modern", "--definition", "--task adding"),
                   (longrange and self.data != "default", "--data", "--task lm, classify, forecast or seq2seq "
                    "(the long-range problems generate their own)"),
                   (longrange and (self.bidirectional or self.pool != "last"), "--bidirectional and --pool",
                    "--task classify or forecast"),
                   (self.task != "seq2seq" and bool(seq2seq_only), " and ".join(seq2seq_only), "--task seq2seq"),
                   (forecast and bool(classify_only), " and ".join(classify_only), "--task classify"),
                   (lm and self.bidirectional, "--bidirectional", "--task classify or forecast"),
                   (lm and self.pool != "last", "--pool", "--task classify or forecast"),
                   (lm and (self.tokens != "word" or self.min_count != 1), "--tokens and --min-count",
                    "--task classify"),
                   (lm and self.folds is not None, "--folds", "--task classify or forecast"),
                   (lm and self.class_weights != "none", "--class-weights", "--task classify"),
                   (self.task != "classify" and self.split_seed is not None, "--split-seed", "--task classify"),
                   (not lm and self.tie_weights, "--tie-weights", "--task lm"),
                   (not lm and self.loss_scale != "mean", "--loss-scale", "--task lm"),
                   (self.warmup != 0 and self.schedule != "cosine", "--warmup", "--schedule cosine"),
                   (self.lr_decay != 1.0 and self.schedule != "step", "--lr-decay", "--schedule step"),
                   (self.decay_after != 0 and self.schedule != "step", "--decay-after", "--schedule step"),
                   (self.momentum != 0 and self.optimizer not in ("sgd", "rmsprop"), "--momentum",
                    "--optimizer sgd or rmsprop"),
                   (self.alpha != 0.99 and self.optimizer != "rmsprop", "--alpha", "--optimizer rmsprop")]
        for wrong, flag, needs in ignored:
            if wrong:
                raise ValueError(f"{flag} applies to {needs} only (here --task {self.task}, --schedule "
                                 f"{self.schedule}, --optimizer {self.optimizer}); drop it or change those")
        if self.schedule == "cosine" and self.max_steps is None and self.epochs is None and self.time_budget:
            raise ValueError("--schedule cosine needs the run's length in steps: give --epochs or --max-steps "
                             "with --time-budget")
        if self.tie_weights and (self.embed or self.hidden) != self.hidden:
            raise ValueError(f"--tie-weights needs --embed equal to --hidden, got {self.embed} and {self.hidden}")
        return self

    def _check_arch(self) -> None:
        """The non-recurrent models' flags against --arch and the task."""
        defaults = TrainConfig.__dataclass_fields__
        own = {"kernel_size": "tcn", "window": "mlp", "heads": "transformer"}
        for name, arch in own.items():
            if getattr(self, name) != defaults[name].default and self.arch != arch:
                raise ValueError(f"--{name.replace('_', '-')} applies to --arch {arch} only (here --arch {self.arch})")
        if self.arch == "rnn":
            if self.context is not None:
                raise ValueError("--context applies to --arch tcn, transformer or mlp (a recurrent model carries "
                                 "its state instead)")
            return
        if self.task == "seq2seq":
            raise ValueError(f"--arch {self.arch} applies to --task lm, classify, forecast, adding, copy, "
                             f"temporal-order or reber (here --task {self.task}: use --arch rnn)")
        recurrent_only = [flag for flag, on in (("--bidirectional", self.bidirectional), ("--tie-weights", self.tie_weights),
                                                ("--init", self.init != "default"),
                                                ("--forget-bias", self.forget_bias is not None)) if on]
        if recurrent_only:
            raise ValueError(f"{' and '.join(recurrent_only)} appl{'y' if len(recurrent_only) > 1 else 'ies'} to "
                             f"--arch rnn only (here --arch {self.arch})")
        if self.context is not None and (self.task != "lm" or not isinstance(self.context, int) or self.context < 0):
            raise ValueError(f"--context is a number of tokens >= 0 for --task lm, got {self.context!r} with "
                             f"--task {self.task}")
        if self.arch == "transformer" and self.hidden % self.heads:
            raise ValueError(f"--hidden {self.hidden} must be a multiple of --heads {self.heads}")

    def last_epoch(self) -> float:
        """The epoch the run ends with: stop_epoch if given and sooner; else unbounded under --max-steps
        (which decides alone) or under --time-budget without --epochs; else --epochs, 1 by default."""
        end = math.inf if self.max_steps or (self.epochs is None and self.time_budget) else self.epochs or 1
        return min(end, self.stop_epoch or math.inf)

    def total_steps(self, batches_per_epoch: int) -> int | None:
        """Optimiser steps the schedule spans (the whole run, but for stop_epoch), None when only a time
        budget bounds it."""
        if self.max_steps:
            return self.max_steps
        if self.epochs is None and self.time_budget:
            return None
        return (self.epochs or 1) * batches_per_epoch

    def to_dict(self) -> dict:
        return asdict(self)


FIELDS = {f.name for f in fields(TrainConfig)}


def load_toml(path: str | Path) -> dict:
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"no such config file: {path}")
    try:
        d = tomllib.loads(path.read_text(encoding="utf-8"))
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as e:
        raise ValueError(f"{path} is not valid TOML: {e}") from e
    d = {k.replace("-", "_"): v for k, v in d.items()}
    unknown = sorted(set(d) - FIELDS)
    if unknown:
        raise ValueError(f"{path}: unknown key(s) {', '.join(unknown)}; known keys are {', '.join(sorted(FIELDS))}")
    return d


def read_run_config(run: str | Path) -> TrainConfig:
    """The config.json of a run folder, checked; a clear error when it is not a run folder."""
    path = Path(run) / "config.json"
    if not path.is_file():
        raise FileNotFoundError(f"{run} is not a run folder (no config.json); train one with `rnnlab train --out {run}`")
    try:
        saved = json.loads(path.read_text())
        if saved.get("arch") == "transformer" and saved.get("task") == "lm" and saved.get("context") is None:
            saved["context"] = saved.get("seq_len")  # a run from before session 12, when that was the default
        return TrainConfig(**saved).validate()
    except (json.JSONDecodeError, TypeError) as e:
        raise ValueError(f"{path} is not a valid run config: {e}") from e


def resolve_config(preset: str | None = None, toml: str | Path | None = None, flags: dict | None = None
                   ) -> TrainConfig:
    """Defaults < preset < TOML file < flags (flags given as None are ignored)."""
    values: dict = {}
    if preset is not None:
        if preset not in PRESETS:
            raise ValueError(f"unknown preset {preset!r}; expected one of {', '.join(PRESETS)}")
        values |= PRESETS[preset]
    if toml is not None:
        values |= load_toml(toml)
    values |= {k: v for k, v in (flags or {}).items() if v is not None}
    return TrainConfig(**values).validate()
