"""``Task``: what one kind of problem brings to the trainer.

The trainer (``rnnlab.train.Trainer``) owns what every task shares: the optimiser and its schedule,
clipping, the non-finite guard, the time budget and Ctrl-C, metrics, checkpoints, best weights and exact
resume. A task owns its data, model, loss, metrics, any state it carries from one batch to the next,
and the files it keeps in the run folder besides the trainer's:

    batches_per_epoch          training batches in one pass over the data
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
    group                      the processes training together (``rnnlab.distributed``; Solo alone)
    criterion(measures)        what best.safetensors minimises (the loss, unless the task says)
    describe(measures)         one log line's worth of them
    model_for(cfg)             (optional) a new model of cfg's model settings for this task's data, and
    longest                    the most steps a sequence has (``rnnlab compare`` sizes models with them)
    about()                    a few words on the data for the run's first line
    save_files(out)            what the task keeps in a new run folder (a vocabulary, labels...)
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from pathlib import Path

import numpy as np

from ..distributed import Group, Solo

__all__ = ["Task", "encoder_for"]


class Task(ABC):
    unit = "tokens"  # what a training batch's count is of (the metrics' <unit>_per_s)
    files: tuple[str, ...] = ()  # the names save_files may write in the run folder
    cfg: object
    model: object
    group: Group = Solo()  # stateless: alone, every collective operation is the identity

    @property
    @abstractmethod
    def batches_per_epoch(self) -> int: ...

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


def encoder_for(cfg, input_size: int, max_len: int):
    """The feed-forward sequence encoder ``cfg.arch`` names (``rnnlab.models.encoders``), None for a
    recurrent stack (``--arch rnn``): ``cfg.layers`` layers of ``cfg.hidden``, positions for ``max_len``
    steps (the Transformer's)."""
    if cfg.arch == "rnn":
        return None
    from ..models.encoders import make_encoder

    return make_encoder(cfg.arch, input_size, cfg.hidden, cfg.layers, cfg.dropout, kernel_size=cfg.kernel_size,
                        window=cfg.window, heads=cfg.heads, max_len=max_len, dtype=np.dtype(cfg.dtype), seed=cfg.seed)
