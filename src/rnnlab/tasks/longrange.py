"""The classic long-range dependency problems as tasks (``--task adding|copy|temporal-order|reber``),
generated as ``rnnlab.data.longrange`` describes, with T = ``--seq-len``.

Every training batch is fresh, drawn from the problem's distribution by (seed, epoch, batch index), as
Hochreiter & Schmidhuber trained (an epoch is ``--examples`` sequences); the validation set is fixed by
the seed, the test set by the problem and T alone, so runs with different seeds, cells or settings are
measured on the same test sequences.

The network is ``SequenceModel``'s stack (or, with ``--arch``, a TCN, Transformer or window MLP), read at each sequence's last step (adding: one output,
MSE; temporal order: 4 classes) or at every step (copy memory: 10 symbols over all T + 20 steps; Reber:
the next of 7 symbols, masked past each string's end). Measures (``evaluate``), each task's published one:

    adding          loss (MSE), solved (fraction with |error| < 0.04), baseline (MSE of answering the
                    mean target 1 / the 1997 target's mean 0.5)
    copy            loss (cross-entropy per step), digit_accuracy (the 10 recalled digits), baseline
                    (10 ln 8 / (T + 20))
    temporal-order  loss, accuracy (fraction of sequences classified right)
    reber           loss, solved (fraction of strings whose every most-probable next symbol is legal),
                    long_range_accuracy (the second to last symbol: T or P, set at the start)
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from .. import init
from ..data import longrange as lr
from ..models import SequenceModel
from ..nn import SoftmaxCrossEntropy
from ..nn.regression import MSELoss
from ..train.settings import Setting
from .base import Measure, Task
from .shared import EMBED, FEEDFORWARD, RECURRENT, check_model, encoder_for

__all__ = ["LongRangeTask", "AddingTask", "CopyTask", "TemporalOrderTask", "ReberTask", "PROBLEMS"]

PROBLEMS = ("adding", "copy", "temporal-order", "reber")
_TEST_SEED = 20_180_301  # the test sets' seed, with the problem and T: the same for every run
_HELD_OUT = 1000  # validation and test sequences


_SETTINGS = (
    Setting("seq_len", 64, "the length T of the sequences", int, low=1),
    Setting("examples", 10_000, "fresh training sequences an epoch", int, low=1),
    *RECURRENT, *FEEDFORWARD,
    Setting("init", "default", "recurrent weights: default | orthogonal | identity (IRNN, rnn cells)",
            choices=("default", "orthogonal", "identity")),
    Setting("forget_bias", None, "LSTM: the forget gate's initial bias (1: Gers et al.)", float),
)


class LongRangeTask(Task):
    """One of ``PROBLEMS`` (the subclasses below, one a problem); ``cfg`` its config."""

    settings = _SETTINGS + (EMBED,)
    # one small gated layer: GRU solves adding at T = 100 to 200 in a few thousand steps (benchmarks/longrange.py)
    defaults = dict(cell="gru", layers=1, hidden=64)
    noun = "network"
    unit = "sequences"

    @classmethod
    def check_config(cls, cfg) -> None:
        check_model(cfg, recurrent_only=("init", "forget_bias"))
        if cfg.forget_bias is not None and cfg.cell != "lstm":
            raise ValueError(f"--forget-bias is for LSTM cells, got --cell {cfg.cell}")
        if cfg.init == "identity" and cfg.cell not in ("rnn", "rnn_relu"):
            raise ValueError(f"--init identity (IRNN) is for plain RNN cells (rnn, rnn_relu), not {cfg.cell}")

    def __init__(self, cfg, out: Path | None = None, resume: bool = False, group=None) -> None:
        self.cfg, self.T, self.group = cfg, cfg.seq_len, group or self.group
        self.problem = cfg.task
        self.dtype = np.dtype(cfg.dtype)
        self.held_out = {"valid": self._make(np.random.default_rng([cfg.seed, 1]), _HELD_OUT),
                         "test": self._make(np.random.default_rng([_TEST_SEED, PROBLEMS.index(self.problem), self.T]),
                                            _HELD_OUT)}
        self.model = self.model_for(cfg)
        self.loss_fn = MSELoss() if self.problem == "adding" else SoftmaxCrossEntropy()

    @property
    def longest(self) -> int:
        """The most steps any sequence of the problem can have."""
        return 100 if self.problem == "reber" else self.T + self.T // 10 + 20  # Reber: 53 in 100,000 strings

    def model_for(self, cfg) -> SequenceModel:
        """The network of ``cfg`` (its model settings; the problem is this task's)."""
        kw = dict(cell=cfg.cell, hidden_size=cfg.hidden, num_layers=cfg.layers, dropout=cfg.dropout,
                  dtype=self.dtype, seed=cfg.seed)
        if self.problem == "adding":
            model = SequenceModel(1, input_size=2, encoder=encoder_for(cfg, 2, self.longest), **kw)
        else:
            symbols = {"copy": 10, "temporal-order": len(lr.TEMPORAL_SYMBOLS), "reber": len(lr.REBER_SYMBOLS)}
            classes = {"copy": 10, "temporal-order": 4, "reber": len(lr.REBER_SYMBOLS)}[self.problem]
            pool = "last" if self.problem == "temporal-order" else "each"
            model = SequenceModel(classes, vocab_size=symbols[self.problem], embed_size=cfg.embed, pool=pool,
                                       encoder=encoder_for(cfg, cfg.embed or cfg.hidden, self.longest), **kw)
        if cfg.arch == "rnn":
            init.recurrent(model.rnn, cfg.init, np.random.default_rng([cfg.seed, 2]))
        if cfg.forget_bias is not None:
            init.forget_bias(model.rnn, cfg.forget_bias)
        return model

    @classmethod
    def onnx_models(cls, run: Path, which: str = "best") -> dict:
        """The network's graph (``rnnlab.export.sequence``): ``features`` (T, N, 2) for the adding
        problem, ``tokens`` (T, N) otherwise, and ``lengths`` (N,)."""
        from ..export.sequence import sequence_model_graph
        from ..train import load_weights
        from .registry import read_run_config

        cfg = read_run_config(run)
        model = cls(cfg).model
        model.load_state_dict(load_weights(run, which)[0])
        model.eval()
        return {"": sequence_model_graph(model, name=f"rnnlab {cfg.task} network")}

    def _make(self, rng: np.random.Generator, n: int) -> dict[str, np.ndarray]:
        """n sequences: x, lengths, y and (reber) legal and the mask of scored steps."""
        if self.problem == "adding":
            x, y, lengths = lr.adding(rng, n, self.T, self.cfg.definition)
            return {"x": x.astype(self.dtype), "lengths": lengths, "y": y[:, None].astype(self.dtype)}
        if self.problem == "copy":
            x, y = lr.copy_memory(rng, n, self.T)
            return {"x": x, "lengths": np.full(n, len(x)), "y": y}
        if self.problem == "temporal-order":
            x, y, lengths = lr.temporal_order(rng, n, self.T)
            return {"x": x, "lengths": lengths, "y": y}
        x, y, legal, lengths = lr.embedded_reber(rng, n)
        return {"x": x, "lengths": lengths, "y": y, "legal": legal, "mask": np.arange(len(x))[:, None] < lengths}

    def first(self, split: str, n: int) -> dict[str, np.ndarray]:
        """The first n sequences of ``split`` (valid or test) as a batch."""
        return self._select(self.held_out[split], slice(0, n))

    def _select(self, b: dict[str, np.ndarray], which: slice) -> dict[str, np.ndarray]:
        """The sequences ``which`` of the batch ``b`` (x, legal, mask, and copy's and Reber's y are (T, n, ...))."""
        time_major = {"x", "legal", "mask"} | ({"y"} if self.problem in ("copy", "reber") else set())
        return {k: v[:, which] if k in time_major else v[which] for k, v in b.items()}

    def _output_axis(self) -> int:
        """The batch axis of the network's output: 1 for the outputs at every step (copy, Reber)."""
        return 1 if self.problem in ("copy", "reber") else 0

    @property
    def batches_per_epoch(self) -> int:
        return max(1, self.cfg.examples // self.cfg.batch_size)

    def batch(self, epoch: int, index: int) -> dict[str, np.ndarray] | None:
        b = self._make(np.random.default_rng([self.cfg.seed, 0, epoch, index]), self.cfg.batch_size)
        mine = self.group.part(self.cfg.batch_size)
        return self._select(b, mine) if mine.stop > mine.start else None

    def weight(self, batch, count: int) -> float:
        return float(batch["mask"].sum()) if "mask" in batch else float(count)

    def _loss(self, out: np.ndarray, b: dict[str, np.ndarray]) -> float:
        if "mask" in b:
            return self.loss_fn(out, b["y"], b["mask"])
        return self.loss_fn(out, b["y"])

    def forward_backward(self, batch) -> tuple[float, int]:
        loss = self._loss(self.model(batch["x"], batch["lengths"]), batch)
        self.model.backward(self.loss_fn.backward())
        return loss, len(batch["lengths"])

    def evaluate(self, split: str = "valid") -> dict[str, float]:
        if split not in self.held_out:
            raise ValueError(f"unknown split {split!r}; the {self.problem} task has valid and test")
        b = self.held_out[split]
        mine = self._select(b, self.group.part(len(b["lengths"])))  # each rank its share; outputs joined
        with self.model.inference():
            out = self.group.allgather(self.model(mine["x"], mine["lengths"]), self._output_axis())
            measures = {"loss": self._loss(out, b)}
        if self.problem == "adding":
            measures["solved"] = float(np.mean(np.abs(out[:, 0] - b["y"][:, 0]) < 0.04))
            measures["baseline"] = lr.ADDING_BASELINE if self.cfg.definition == "modern" else float(
                np.mean((b["y"] - 0.5) ** 2))
        elif self.problem == "copy":
            recalled = out[-10:].argmax(-1) == b["y"][-10:]
            measures["digit_accuracy"] = float(recalled.mean())
            measures["baseline"] = float(lr.copy_baseline(self.T))
        elif self.problem == "temporal-order":
            measures["accuracy"] = float(np.mean(out.argmax(-1) == b["y"]))
        else:
            best = out.argmax(-1)  # (L, n)
            legal = np.take_along_axis(b["legal"], best[..., None], axis=-1)[..., 0] | ~b["mask"]
            measures["solved"] = float(legal.all(axis=0).mean())
            last = b["lengths"] - 2  # the step that predicts the closing T or P
            cols = np.arange(len(last))
            measures["long_range_accuracy"] = float(np.mean(best[last, cols] == b["y"][last, cols]))
        measures["n"] = len(b["lengths"])
        return measures

    def inspection_input(self, text: str | None = None):
        """The first test sequences (up to 100: the flow averages them); the first is the one shown, its
        symbols (adding: its values, a marked step in brackets)."""
        if text is not None:
            raise ValueError(f"--text is for language-model runs; this is a {self.problem} run (it shows its test "
                             f"sequences)")
        b = self.first("test", 100)
        x0 = b["x"][:b["lengths"][0], 0]
        if self.problem == "adding":
            shown = [f"[{v:.2f}] " if m == 1 else f"{v:.2f} " for v, m in x0]
        else:
            alphabet = {"copy": "_12345678:", "temporal-order": lr.TEMPORAL_SYMBOLS, "reber": lr.REBER_SYMBOLS}
            shown = [alphabet[self.problem][i] for i in x0]
        return (lambda: self.forward_backward(b), shown,
                f"{self.about()}; the first of {len(b['lengths'])} test sequences shown, the flow averaged over all")

    def describe(self, measures: dict[str, float]) -> str:
        return "  ".join(f"{k} {v:.4f}" if isinstance(v, float) else f"{k} {v}" for k, v in measures.items())

    def about(self) -> str:
        what = {"adding": lambda: f"the adding problem ({self.cfg.definition} definition)", "copy": lambda: "copy memory",
                "temporal-order": lambda: "the temporal order problem", "reber": lambda: "the embedded Reber grammar"}
        length = "" if self.problem == "reber" else f", T = {self.T}"
        return f"{what[self.problem]()}{length}, {self.batches_per_epoch * self.cfg.batch_size:,} fresh sequences an epoch"


class AddingTask(LongRangeTask):
    """The adding problem: two marked values among T to add (MSE)."""

    settings = _SETTINGS + (
        Setting("definition", "modern", "modern (values in [0, 1], target the sum) | 1997 (Hochreiter & "
                                        "Schmidhuber)", choices=("modern", "1997")),)
    measure = Measure("loss", lower_is_better=True, split="test")
    # the 1997 problem at T = 100: an LSTM whose forget gate starts near 1, 8,000 steps (at 4,000 one
    # seed's validation was still at the baseline; benchmarks/README.md)
    presets = {"adding-1997": dict(definition="1997", seq_len=100, cell="lstm", layers=1, hidden=64,
                                   forget_bias=5.0, optimizer="adam", lr=2e-3, batch_size=32, max_steps=8000,
                                   eval_every=250)}


class CopyTask(LongRangeTask):
    """Copy memory: recall 10 digits after T blanks (cross-entropy per step)."""

    measure = Measure("loss", lower_is_better=True, split="test")


class TemporalOrderTask(LongRangeTask):
    """The temporal order problem: the order of two marked symbols among T (4 classes)."""

    measure = Measure("accuracy", lower_is_better=False, split="test")


class ReberTask(LongRangeTask):
    """The embedded Reber grammar: predict the legal next symbols."""

    measure = Measure("solved", lower_is_better=False, split="test")
