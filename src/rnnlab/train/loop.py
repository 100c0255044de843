"""The training loop: truncated BPTT over N parallel streams with carried state, optimiser, clipping,
schedule, periodic evaluation, metrics, checkpoints and exact resume.

A run folder holds:
    config.json          the resolved TrainConfig
    vocab.json           the vocabulary
    metrics.jsonl        one JSON object per log / evaluation
    checkpoint.safetensors   the latest checkpoint (weights, optimiser, carried state, counters, RNGs)
    best.safetensors     the weights with the best validation loss so far
"""

from __future__ import annotations

import json
import math
import signal
import sys
import time
from pathlib import Path

import numpy as np

from ..data import Vocab, batchify, get_batch, load_corpus, num_batches
from ..evaluate import evaluate
from ..models import LanguageModel
from ..nn import SoftmaxCrossEntropy
from ..optim import clip_grad_norm, clip_grad_value, make_optimizer, make_schedule
from .checkpoint import load_checkpoint, load_checkpoint_or_previous, save_checkpoint
from .config import TrainConfig

__all__ = ["Trainer", "NonFiniteError", "build_model", "load_run"]


class NonFiniteError(RuntimeError):
    pass


def build_model(cfg: TrainConfig, vocab_size: int) -> LanguageModel:
    return LanguageModel(vocab_size, cfg.cell, cfg.hidden, cfg.layers, cfg.embed, cfg.dropout, cfg.tie_weights,
                         cfg.init_scale, np.dtype(cfg.dtype), seed=cfg.seed)


def _generators(module, prefix: str = "") -> list[tuple[str, np.random.Generator]]:
    """Every random generator a training step may draw from (dropout masks), in the module tree at any
    depth, with its module's path, in a fixed order (by path)."""
    found = [(prefix, module.rng)] if isinstance(getattr(module, "rng", None), np.random.Generator) else []
    for name, child in sorted(module.children.items()):
        found += _generators(child, f"{prefix}{name}.")
    return found


def load_run(run: Path, which: str = "best") -> tuple[TrainConfig, Vocab, LanguageModel, dict]:
    """Config, vocabulary and model of a run folder; ``which`` = "best" (the best validation loss's
    weights, if any were saved) or "last" (the latest checkpoint's)."""
    run = Path(run)
    if not (run / "config.json").is_file():
        raise FileNotFoundError(f"{run} is not a run folder (no config.json); train one with `rnnlab train --out {run}`")
    try:
        cfg = TrainConfig(**json.loads((run / "config.json").read_text())).validate()
    except (json.JSONDecodeError, TypeError) as e:
        raise ValueError(f"{run / 'config.json'} is not a valid run config: {e}") from e
    vocab = Vocab.load(run / "vocab.json")
    path = run / ("best.safetensors" if which == "best" and (run / "best.safetensors").is_file() else "checkpoint.safetensors")
    arrays, meta = load_checkpoint(path)
    model = build_model(cfg, len(vocab))
    model.load_state_dict({k[6:]: v for k, v in arrays.items() if k.startswith("model.")})
    return cfg, vocab, model, meta


class Trainer:
    def __init__(self, cfg: TrainConfig, out: Path, resume: bool = False, log=None, progress: bool | None = None):
        self.cfg, self.out = cfg, Path(out)
        self.log = log or (lambda msg: print(msg, file=sys.stderr, flush=True))
        self.progress = sys.stderr.isatty() if progress is None else progress
        corpus = load_corpus(cfg.data, cfg.data_dir)
        self.vocab = Vocab.load(self.out / "vocab.json") if resume else corpus.vocab
        N, T = cfg.batch_size, cfg.seq_len
        self.train_data = batchify(self.vocab.encode(corpus.tokens("train")), N)  # (S, N)
        self.valid_ids = self.vocab.encode(corpus.tokens("valid"))
        self.batches = num_batches(self.train_data, T)
        self.model = build_model(cfg, len(self.vocab))
        params = list(self.model.named_parameters())
        self.grads = [g for _, _, g in params]
        self.opt = make_optimizer(cfg.optimizer, params, cfg.lr, cfg.momentum, cfg.weight_decay, alpha=cfg.alpha)
        self.schedule = make_schedule(cfg.schedule, cfg.lr, cfg.lr_decay, cfg.decay_after,
                                      cfg.total_steps(self.batches) or 1, cfg.warmup)
        self.loss_fn = SoftmaxCrossEntropy()
        self.step, self.epoch, self.batch = 0, 1, 0
        self.carry = None
        self.best_valid = math.inf
        self.metrics_bytes = 0
        self.last_valid, self.last_valid_step = math.nan, None
        self.window = {"loss": 0.0, "norm": 0.0, "n": 0, "tokens": 0}  # training metrics since the last log
        if resume:
            self._restore()
        else:
            self._create_run_folder(corpus)

    # -- run folder ---------------------------------------------------------------------------
    def _create_run_folder(self, corpus) -> None:
        out = self.out
        if out.exists() and not out.is_dir():
            raise ValueError(f"--out {out} is a file; expected a folder for the run")
        if (out / "config.json").exists():
            if any((out / name).exists() for name in ("checkpoint.safetensors", "checkpoint.safetensors.prev")):
                raise ValueError(f"{out} already holds a run; continue it with --resume {out} or choose another --out")
            left = {p.name for p in out.iterdir()} - {"config.json", "vocab.json", "metrics.jsonl", "best.safetensors"}
            if left:
                raise ValueError(f"{out} holds a run that never saved a checkpoint, and other files too "
                                 f"({', '.join(sorted(left))}); choose another --out")
            self.log(f"{out} holds a start that stopped before its first checkpoint: starting it again")
            for name in ("best.safetensors", "metrics.jsonl", "vocab.json", "config.json"):
                (out / name).unlink(missing_ok=True)
        if out.is_dir() and any(out.iterdir()):
            raise ValueError(f"{out} is not empty; choose a new or empty folder for --out")
        try:
            out.mkdir(parents=True, exist_ok=True)
            (out / "config.json").write_text(json.dumps(self.cfg.to_dict(), indent=2) + "\n")
        except OSError as e:
            raise OSError(f"cannot write the run folder {out}: {e.strerror or e}") from e
        self.vocab.save(out / "vocab.json")
        (out / "metrics.jsonl").write_text("")

    def _arrays(self) -> dict[str, np.ndarray]:
        arrays = {f"model.{k}": p for k, p, _ in self.model.named_parameters()}
        opt_arrays, _ = self.opt.state_dict()
        arrays |= {f"optim.{k}": v for k, v in opt_arrays.items()}
        if self.carry is not None:
            parts = self.carry if isinstance(self.carry, tuple) else (self.carry,)
            arrays |= {f"carry.{i}": s for i, s in enumerate(parts)}
        return arrays

    def save(self) -> None:
        _, opt_meta = self.opt.state_dict()
        meta = {"step": self.step, "epoch": self.epoch, "batch": self.batch, "best_valid": self.best_valid
                if math.isfinite(self.best_valid) else None, "optimizer": opt_meta,
                "schedule": self.schedule.state_dict(), "metrics_bytes": self.metrics_bytes,
                "window": {k: v for k, v in self.window.items() if k not in ("t", "tokens")},
                "rng": [g.bit_generator.state for _, g in _generators(self.model)]}
        save_checkpoint(self.out / "checkpoint.safetensors", self._arrays(), meta, keep_previous=True)

    def _restore(self) -> None:
        arrays, meta = load_checkpoint_or_previous(self.out / "checkpoint.safetensors", warn=self.log)
        self.model.load_state_dict({k[6:]: v for k, v in arrays.items() if k.startswith("model.")})
        self.opt.load_state_dict({k[6:]: v for k, v in arrays.items() if k.startswith("optim.")}, meta["optimizer"])
        self.schedule.load_state_dict(meta["schedule"])
        carry = [arrays[f"carry.{i}"] for i in range(self.model.rnn.kernel.n_states) if f"carry.{i}" in arrays]
        self.carry = None if not carry else (tuple(carry) if len(carry) > 1 else carry[0])
        self.step, self.epoch, self.batch = meta["step"], meta["epoch"], meta["batch"]
        self.best_valid = math.inf if meta["best_valid"] is None else meta["best_valid"]
        for (_, g), s in zip(_generators(self.model), meta["rng"], strict=True):
            g.bit_generator.state = s
        self.metrics_bytes = meta["metrics_bytes"]
        self.window.update({k: v for k, v in meta["window"].items() if k != "tokens"})  # tokens/s: from now on
        if self.finished():
            return  # nothing to continue: the run folder stays as it is
        with open(self.out / "metrics.jsonl", "r+b") as f:  # drop lines logged after that checkpoint
            f.truncate(self.metrics_bytes)
        self._note_changes()

    def _note_changes(self) -> None:
        """Settings a resume changed (the learning rate, clipping, the run's length: the CLI allows no
        others) go into the metrics log and config.json; a plateau schedule keeps its reductions,
        scaled to the new rate."""
        path = self.out / "config.json"
        saved = json.loads(path.read_text())
        changed = {k: [saved.get(k), v] for k, v in self.cfg.to_dict().items()
                   if saved.get(k) != v and k not in ("data_dir", "time_budget")}
        if not changed:
            return
        if "lr" in changed:
            self.schedule.rescale(self.cfg.lr / changed["lr"][0])
        self._record({"step": self.step, "epoch": self.epoch, "resumed_with": changed})
        tmp = path.with_suffix(".json.tmp")
        tmp.write_text(json.dumps(saved | {k: v for k, (_, v) in changed.items()}, indent=2) + "\n")
        tmp.replace(path)

    def _record(self, row: dict) -> None:
        line = (json.dumps(row) + "\n").encode()
        with open(self.out / "metrics.jsonl", "ab") as f:
            f.write(line)
        self.metrics_bytes += len(line)

    # -- training -----------------------------------------------------------------------------
    def train_step(self, x: np.ndarray, y: np.ndarray) -> tuple[float, float]:
        """One optimiser step on inputs x and targets y (T, N); returns (loss, grad norm before clipping)."""
        cfg = self.cfg
        self.opt.lr = self.schedule.lr(self.step + 1, self.epoch)
        self.model.zero_grad()
        with np.errstate(over="ignore", invalid="ignore"):  # a diverging run is caught just below
            logits, state = self.model.forward(x, self.carry)
            loss = self.loss_fn.forward(logits, y)
            # sum_time: loss summed over the T steps and averaged over the batch = T * mean
            self.model.backward(self.loss_fn.backward(x.shape[0] if cfg.loss_scale == "sum_time" else 1.0))
            if cfg.clip_mode == "value" and cfg.clip > 0:
                clip_grad_value(self.grads, cfg.clip)
            limit = cfg.clip if cfg.clip_mode == "norm" and cfg.clip > 0 else math.inf
            norm = clip_grad_norm(self.grads, limit)
        if not (math.isfinite(loss) and math.isfinite(norm)):
            what = "loss" if not math.isfinite(loss) else "gradient norm"
            advice = f"lower --lr (now {cfg.lr:g})" + (
                f" or --clip (now {cfg.clip:g})" if cfg.clip > 0 else " or enable clipping, e.g. --clip 5")
            raise NonFiniteError(f"step {self.step + 1}: the {what} is not finite; stopped, and the last good "
                                 f"checkpoint is kept. Try a {advice}")
        self.opt.step()
        self.carry = state  # carried into the next batch as a constant (truncated BPTT)
        return loss, norm

    def validate(self) -> float:
        """The validation loss now; the weights go to best.safetensors when it is the best so far."""
        loss, _ = evaluate(self.model, self.valid_ids, self.cfg.batch_size, self.cfg.seq_len)
        if loss < self.best_valid:
            self.best_valid = loss
            save_checkpoint(self.out / "best.safetensors",
                            {f"model.{k}": p for k, p, _ in self.model.named_parameters()},
                            {"step": self.step, "valid_loss": loss})
        return loss

    def run(self) -> dict:
        cfg = self.cfg
        stop = {"flag": False}
        old_handler = signal.signal(signal.SIGINT, lambda *_: stop.update(flag=True))
        start = time.perf_counter()
        bar = None
        if self.progress:
            from tqdm import tqdm

            bar = tqdm(total=cfg.total_steps(self.batches), initial=self.step, unit="step", dynamic_ncols=True)
        window = self.window
        window["t"] = time.perf_counter()
        reason = "finished"
        try:
            last_epoch = cfg.last_epoch()
            while self.epoch <= last_epoch:
                while self.batch < self.batches:
                    if cfg.max_steps and self.step >= cfg.max_steps:
                        reason = "max steps"
                        break
                    if cfg.time_budget and time.perf_counter() - start >= cfg.time_budget:
                        reason = "time budget"
                        break
                    if stop["flag"]:
                        reason = "interrupted"
                        break
                    x, y = get_batch(self.train_data, self.batch * cfg.seq_len, cfg.seq_len)
                    loss, norm = self.train_step(x, y)
                    self.step += 1
                    self.batch += 1
                    window["loss"] += loss
                    window["norm"] += norm
                    window["n"] += 1
                    window["tokens"] += x.size
                    if bar is not None:
                        bar.update(1)
                        bar.set_postfix(loss=f"{loss:.3f}", epoch=self.epoch)
                    if self.step % cfg.log_every == 0:
                        self._log_train(window)
                    if cfg.eval_every and self.step % cfg.eval_every == 0:
                        self._log_valid()
                    if self.step % cfg.checkpoint_every == 0:
                        self.save()
                else:  # the epoch ran to its end
                    if window["n"]:
                        self._log_train(window)
                    valid = self._log_valid(epoch_end=True)
                    self.schedule.on_validation(valid)
                    self.epoch += 1
                    self.batch = 0
                    self.carry = None
                    self.save()
                    continue
                break
            final = None
            if reason not in ("finished", "interrupted") and not (cfg.eval_every and self.step % cfg.eval_every == 0):
                final = self.validate()  # the stopping weights count for best.safetensors too
            self.save()
            if reason != "finished":
                # Provisional end-of-run rows: written after the checkpoint, so a resume drops them
                # and continues exactly as if the run had not stopped.
                if window["n"]:
                    self._log_train(window)
                if final is not None:
                    self._record_valid(final)
        finally:
            signal.signal(signal.SIGINT, old_handler)
            if bar is not None:
                bar.close()
        return {"reason": reason, "step": self.step, "epoch": self.epoch if reason != "finished" else self.epoch - 1,
                "best_valid": self.best_valid, "last_valid": self.last_valid, "last_valid_step": self.last_valid_step,
                "seconds": time.perf_counter() - start}

    def finished(self) -> bool:
        """Whether the run has reached its end (a resume would have nothing to do)."""
        return self.epoch > self.cfg.last_epoch() or bool(self.cfg.max_steps and self.step >= self.cfg.max_steps)

    def _log_train(self, w: dict) -> None:
        now = time.perf_counter()
        row = {"step": self.step, "epoch": self.epoch, "lr": self.opt.lr, "train_loss": w["loss"] / w["n"],
               "grad_norm": w["norm"] / w["n"], "tokens_per_s": w["tokens"] / max(now - w["t"], 1e-9)}
        self._record(row)
        if not self.progress:
            self.log(f"step {row['step']:>7}  epoch {self.epoch}  lr {row['lr']:.3g}  train loss "
                     f"{row['train_loss']:.4f}  grad norm {row['grad_norm']:.3g}  {row['tokens_per_s']:,.0f} tok/s")
        w.update(loss=0.0, norm=0.0, n=0, tokens=0, t=now)

    def _log_valid(self, epoch_end: bool = False) -> float:
        return self._record_valid(self.validate(), epoch_end)

    def _record_valid(self, loss: float, epoch_end: bool = False) -> float:
        self.last_valid, self.last_valid_step = loss, self.step
        row = {"step": self.step, "epoch": self.epoch, "lr": self.opt.lr, "valid_loss": loss,
               "valid_perplexity": math.exp(min(loss, 700)), "valid_bits_per_token": loss / math.log(2)}
        self._record(row)
        msg = (f"step {self.step:>7}  epoch {self.epoch}{' end' if epoch_end else ''}  valid loss {loss:.4f}  "
               f"perplexity {row['valid_perplexity']:.2f}  bits/token {row['valid_bits_per_token']:.4f}")
        if self.progress:
            from tqdm import tqdm

            tqdm.write(msg, file=sys.stderr)
        else:
            self.log(msg)
        return loss
