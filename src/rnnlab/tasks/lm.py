"""Language modelling: next-token prediction over N parallel streams, truncated BPTT with the state
carried from batch to batch (data/batching.py), perplexity and bits per token. A recurrent model
carries its state; a TCN, Transformer or window MLP carries the last tokens (``ContextLanguageModel``).

Data parallel: each rank trains its block of the N streams and carries their state; checkpoints hold
all N streams' state, gathered. Evaluation splits the validation streams the same way.

Files in the run folder: ``vocab.json``. ``load_run`` reads a run back for eval and sampling.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from ..data import Vocab, batchify, get_batch, load_corpus, num_batches
from ..evaluate import evaluate, summarise
from ..models import ContextLanguageModel, LanguageModel
from ..nn import SoftmaxCrossEntropy
from ..train.checkpoint import load_weights
from ..train.config import TrainConfig, read_run_config
from .base import Task, encoder_for

__all__ = ["LanguageModelTask", "build_model", "load_run"]


def build_model(cfg: TrainConfig, vocab_size: int) -> LanguageModel | ContextLanguageModel:
    """A recurrent LanguageModel (``--arch rnn``), else a ContextLanguageModel on the named encoder,
    carrying ``--context`` tokens (default: the receptive field - 1; the Transformer's, set by TrainConfig: 0)."""
    if cfg.arch == "rnn":
        return LanguageModel(vocab_size, cfg.cell, cfg.hidden, cfg.layers, cfg.embed, cfg.dropout, cfg.tie_weights,
                             cfg.init_scale, np.dtype(cfg.dtype), seed=cfg.seed)
    encoder = encoder_for(cfg, cfg.embed or cfg.hidden, (cfg.context or 0) + cfg.seq_len)  # the Transformer's positions
    context = encoder.receptive_field - 1 if cfg.context is None else cfg.context
    return ContextLanguageModel(vocab_size, encoder, context, cfg.embed or cfg.hidden, cfg.dropout,
                                np.dtype(cfg.dtype), seed=cfg.seed)


class LanguageModelTask(Task):
    """``cfg`` a TrainConfig; on ``resume`` the vocabulary is the run folder's ``out``; ``group`` the
    processes training together."""

    unit = "tokens"
    files = ("vocab.json",)

    def __init__(self, cfg: TrainConfig, out: Path | None = None, resume: bool = False, group=None) -> None:
        self.cfg, self.group = cfg, group or self.group
        if cfg.batch_size < self.group.size:
            raise ValueError(f"--batch-size {cfg.batch_size} streams cannot be shared by {self.group.size} processes; "
                             f"give at least one stream each")
        self.corpus = load_corpus(cfg.data, cfg.data_dir)
        self.vocab = Vocab.load(Path(out) / "vocab.json") if resume else self.corpus.vocab
        self.streams = self.group.part(cfg.batch_size)  # this rank's streams
        self.train_data = batchify(self.vocab.encode(self.corpus.tokens("train")), cfg.batch_size)[:, self.streams]
        self.valid_ids = self.vocab.encode(self.corpus.tokens("valid"))
        self.model = build_model(cfg, len(self.vocab))
        self.loss_fn = SoftmaxCrossEntropy()
        self.state = None  # carried into the next batch as a constant (truncated BPTT)

    def model_for(self, cfg: TrainConfig) -> LanguageModel | ContextLanguageModel:
        """The model of ``cfg`` (its model settings) over this task's vocabulary."""
        return build_model(cfg, len(self.vocab))

    @property
    def longest(self) -> int:
        return self.cfg.seq_len

    @property
    def batches_per_epoch(self) -> int:
        return num_batches(self.train_data, self.cfg.seq_len)

    def batch(self, epoch: int, index: int):
        """Inputs and targets (T, N): the streams' next T tokens, the same in every epoch."""
        return get_batch(self.train_data, index * self.cfg.seq_len, self.cfg.seq_len)

    def forward_backward(self, batch) -> tuple[float, int]:
        x, y = batch
        logits, self.state = self.model.forward(x, self.state)
        loss = self.loss_fn.forward(logits, y)
        # sum_time: loss summed over the T steps and averaged over the batch = T * mean
        self.model.backward(self.loss_fn.backward(x.shape[0] if self.cfg.loss_scale == "sum_time" else 1.0))
        return loss, x.size

    def end_epoch(self) -> None:
        self.state = None

    def carried(self) -> dict[str, np.ndarray]:
        """Every stream's carried state (layers, N, H) or tokens (K, N), the ranks' joined."""
        if self.state is None:
            return {}
        parts = self.state if isinstance(self.state, tuple) else (self.state,)
        return {f"carry.{i}": self.group.allgather(s, axis=1) for i, s in enumerate(parts)}

    def carry(self, arrays: dict[str, np.ndarray]) -> None:
        n = self.model.rnn.kernel.n_states if isinstance(self.model, LanguageModel) else 1  # (h, c) or the tokens
        parts = [arrays[f"carry.{i}"][:, self.streams] for i in range(n) if f"carry.{i}" in arrays]
        self.state = None if not parts else (tuple(parts) if len(parts) > 1 else parts[0])

    def evaluate(self, split: str = "valid") -> dict[str, float]:
        ids = self.valid_ids if split == "valid" else self.vocab.encode(self.corpus.tokens(split))
        return summarise(*evaluate(self.model, ids, self.cfg.batch_size, self.cfg.seq_len, self.group))

    def describe(self, measures: dict[str, float]) -> str:
        return (f"loss {measures['loss']:.4f}  perplexity {measures['perplexity']:.2f}  bits/token "
                f"{measures['bits_per_token']:.4f}")

    def about(self) -> str:
        return f"{len(self.vocab)} {self.vocab.kind}s"

    def save_files(self, out: Path) -> None:
        self.vocab.save(Path(out) / "vocab.json")


def load_run(run: Path, which: str = "best") -> tuple[TrainConfig, Vocab, LanguageModel, dict]:
    """Config, vocabulary and model of a run folder; ``which`` = "best" (the best validation loss's
    weights, if any were saved) or "last" (the latest checkpoint's)."""
    run = Path(run)
    cfg = read_run_config(run)
    if cfg.task != "lm":
        raise ValueError(f"{run} is a {cfg.task} run; this needs a language-model run (--task lm)")
    vocab = Vocab.load(run / "vocab.json")
    weights, meta = load_weights(run, which)
    model = build_model(cfg, len(vocab))
    model.load_state_dict(weights)
    return cfg, vocab, model, meta


