"""``Task``: what one kind of problem brings to the trainer.

The trainer (``rnnlab.train.Trainer``) owns what every task shares: the optimiser and its schedule,
clipping, the non-finite guard, the time budget and Ctrl-C, metrics, checkpoints, best weights and exact
resume. A task owns its data, model, loss, metrics, any state it carries from one batch to the next,
and the files it keeps in the run folder besides the trainer's. It declares, as class attributes:

    settings                   its own settings (``rnnlab.train.Setting``), beside the general ones;
                               ``config_class()`` is the record of both, ``rnnlab train`` its flags
    defaults                   general or own settings whose default differs for this task
    presets                    named recipes (--preset): settings of this task
    check_config(cfg)          rules across its settings (a ValueError in one line)
    noun                       what it trains ("language model"), for the line that starts a run
    measure                    its headline measure: key in evaluate's result, lower is better, split
    curve                      the validation measure ``rnnlab compare`` draws against time
    streams                    it reads continuous streams in --seq-len pieces (a language model)
    ensembles                  whether --ensemble K applies (its members' outputs combine)
    combine(outputs)           one output from an ensemble's members' (``outputs``, the members')

and it does:

    batches_per_epoch          training batches in one pass over the data (nominal, for schedules)
    batches_in(epoch)          those of a given epoch (a language model with --bptt-jitter: varies)
    lr_scale(epoch, i)         the factor of that batch's learning rate (1; --bptt-jitter: T_i / T)
    batch(epoch, i)            the i-th training batch of that epoch, a function of (epoch, i) and the
                               seed only, so a resumed run sees the same batches; under data
                               parallelism this rank's share of it (``group.part``), None if empty
    forward_backward(batch)    forward, loss, backward (gradients added into the model's grads);
                               returns (mean loss, examples or tokens it covered: ``unit``)
    weight(batch, count)       the denominator of that mean loss (tokens, sequences, a mask's sum):
                               how much this share weighs in the whole batch's mean
    end_epoch()                an epoch ended (a language model drops its carried state)
    carried() / carry(arrays)  arrays carried between batches, saved in checkpoints, and put back
    evaluate(split)            {"loss": ..., other measures...} over a whole split, in eval mode; under
                               data parallelism every rank computes its share and joins the others'
    group                      the processes training together (``rnnlab.train.distributed``; Solo alone)
    criterion(measures)        what best.safetensors minimises (the loss, unless the task says)
    describe(measures)         one log line's worth of them
    model_for(cfg)             (optional) a new model of cfg's model settings for this task's data, and
    longest                    the most steps a sequence has (``rnnlab compare`` sizes models with them)
    about()                    a few words on the data for the run's first line
    save_files(out)            what the task keeps in a new run folder (a vocabulary, labels...)
    report(measures, split)    what rnnlab eval prints; stop_line(summary): the end of a run's last line
    evaluate_members(split, members), evaluate_file(path, members)
                               an ensemble's measures; the measures on a file of the task's kind
    inspection_input(text)     what rnnlab inspect traces (language models, long-range problems)
    followers(out)             the runs derived from this one (a forecaster's refit), retrained on resume
    after_run(...)             what follows a run (a language model's sample)
"""

from __future__ import annotations

import math
from abc import ABC, abstractmethod
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from ..train.config import config_class
from ..train.distributed import Group, Solo
from ..train.settings import Setting
from .shared import encoder_for

__all__ = ["Task", "Measure", "encoder_for"]


@dataclass(frozen=True)
class Measure:
    """A task's headline measure: ``key`` in its evaluate's result, on ``split``."""

    key: str
    lower_is_better: bool = True
    split: str = "valid"


class Task(ABC):
    name = ""  # set by ``register_task``
    settings: tuple[Setting, ...] = ()
    defaults: dict = {}
    presets: dict[str, dict] = {}  # --preset NAME: published recipes, as settings of this task
    noun = "network"
    measure = Measure("loss")
    curve: str | None = None  # None: the measure itself
    unit = "tokens"  # what a training batch's count is of (the metrics' <unit>_per_s)
    ensembles = False  # True: --ensemble K trains K members whose outputs ``combine`` joins
    streams = False  # True: continuous streams cut in --seq-len steps (a language model), not whole sequences
    files: tuple[str, ...] = ()  # the names save_files may write in the run folder
    cfg: object
    model: object
    group: Group = Solo()  # stateless: alone, every collective operation is the identity

    @classmethod
    def config_class(cls) -> type:
        """The config record of this task: the general settings and its own (one class per task)."""
        if "_config" not in cls.__dict__:
            cls._config = config_class(f"{cls.__name__}Config", cls.settings, {"task": cls.name} | cls.defaults,
                                       cls.check_config)
        return cls._config

    @classmethod
    def check_config(cls, cfg) -> None:
        """Rules across the task's settings; ValueError in one line."""

    @classmethod
    def upgrade_saved(cls, saved: dict) -> None:
        """Bring a config.json written by an older rnnlab up to date, in place (a default that changed)."""

    @staticmethod
    def combine(outputs: list):
        """An ensemble's output from its members' (each what ``predict`` returns): their mean."""
        return np.mean(outputs, axis=0)

    def evaluate_members(self, split: str, members: list[Task]) -> dict:
        """The measures of an ensemble (``members``, this task first) on ``split``: each member's
        outputs (``predict(split)``), combined (``combine``), measured (``evaluate(split, outputs)``)."""
        if not hasattr(self, "predict"):
            raise ValueError(f"ensembles of {self.name} runs cannot be measured together; measure a member")
        return self.evaluate(split, self.combine([m.predict(split) for m in members]))

    def evaluate_file(self, path: Path, members: list[Task]) -> dict:
        """The measures on the data of the file ``path`` (of the kind the task reads), as ``evaluate``'s
        of a split; ``members``: an ensemble's tasks, this one first."""
        raise ValueError(f"rnnlab eval --data is not available for {self.name} runs; measure a split")

    def report(self, measures: dict, split: str) -> str:
        """What ``rnnlab eval`` prints of ``measures`` on ``split``."""
        return f"{split}: {self.describe(measures)}"

    def stop_line(self, summary: dict) -> str:
        """The validation part of the line that ends a run (``summary``: ``Trainer.run``'s)."""
        last, at = summary["last_valid"], summary["last_valid_step"]
        if not math.isfinite(last):
            return "no validation"
        return f"valid loss {last:.4f}" + ("" if at == summary["step"] else f" at step {at}")

    def inspection_input(self, text: str | None = None):
        """(run_batch, shown, about) for ``rnnlab inspect``: a function that runs one batch forward and
        backward through the model, the tokens (T,) of its first sequence as shown, a line on it."""
        raise ValueError(f"inspect reads language-model and long-range runs; this is a {self.name} run")

    @classmethod
    def onnx_models(cls, run: Path, which: str = "best") -> dict:
        """The run's model as ONNX graphs for inference (``rnnlab export``), read from its folder alone:
        {"": the one ``onnx.ModelProto``}, or {part: graph} for a model used in parts (an
        encoder-decoder's encoder and decoder step)."""
        raise ValueError(f"--task {cls.name} has no ONNX form (its task class does not define onnx_models)")

    def followers(self, out: Path) -> list[tuple[object, Path]]:
        """(config, folder) of the runs that derive from the run in ``out`` (a forecaster's refit): a
        resumed run trains them again after it."""
        return []

    def after_run(self, trainer, resumed: bool, say) -> int:
        """What follows a finished run (a language model's sample): an exit code, 0 when all is well.
        ``say`` prints a line on stderr."""
        return 0

    @property
    @abstractmethod
    def batches_per_epoch(self) -> int: ...

    def batches_in(self, epoch: int) -> int:
        """Training batches in epoch ``epoch``: ``batches_per_epoch``, unless a task's vary."""
        return self.batches_per_epoch

    def lr_scale(self, epoch: int, index: int) -> float:
        """The factor of the learning rate for batch ``index`` of ``epoch`` (1 unless a task says)."""
        return 1.0

    @abstractmethod
    def batch(self, epoch: int, index: int): ...

    @abstractmethod
    def forward_backward(self, batch) -> tuple[float, int]: ...

    def weight(self, batch, count: int) -> float:
        """The denominator of ``forward_backward``'s mean loss on ``batch``: its count, unless the task
        says (a mask's sum, class weights' sum)."""
        return float(count)

    def end_epoch(self) -> None:
        """An epoch ended."""

    def carried(self) -> dict[str, np.ndarray]:
        """Arrays carried from one batch to the next (saved in checkpoints)."""
        return {}

    def carry(self, arrays: dict[str, np.ndarray]) -> None:
        """Put back what ``carried`` gave (from a checkpoint's arrays; others may be present)."""

    @abstractmethod
    def evaluate(self, split: str = "valid") -> dict[str, float]: ...

    def criterion(self, measures: dict[str, float]) -> float:
        """What picks the best weights (lower is better): the validation loss, unless a task says."""
        return measures["loss"]

    def describe(self, measures: dict[str, float]) -> str:
        return "  ".join(f"{k} {v:.4f}" for k, v in measures.items())

    def about(self) -> str:
        """A few words on the data, for the line that starts a run."""
        return ""

    def save_files(self, out: Path) -> None:
        """Write the task's own files into a new run folder."""

