"""The training loop of any task (``rnnlab.tasks``): optimiser, schedule, clipping, the non-finite
guard, periodic evaluation, metrics, checkpoints, best weights, time budget, Ctrl-C and exact resume.
It knows no task and no model kind: the task brings the data, the model, the loss and its measures.

It writes the run folder (``run_folder.RunFolder``): config, metrics, checkpoints, best weights; the
task writes its own files there.

Data-parallel over the ranks of a ``rnnlab.train.distributed.Group``: each rank computes its share of every
batch (the task takes it), one Allreduce per step sums the shares' gradients weighted by their loss
denominators, and every rank then clips and steps identically. Only the root writes the run folder and
logs; stopping (Ctrl-C, the time budget) is agreed before each step, so no rank waits for another.
"""

from __future__ import annotations

import contextlib
import json
import math
import signal
import sys
import time
from pathlib import Path

import numpy as np

from .distributed import Solo
from ..optim import clip_grad_norm, clip_grad_value, make_optimizer, make_schedule
from .checkpoint import load_checkpoint_or_previous, save_checkpoint
from .run_folder import RunFolder

__all__ = ["Trainer", "NonFiniteError"]


class NonFiniteError(RuntimeError):
    pass


class Trainer:
    """Trains ``task`` (a ``rnnlab.tasks.Task``, its settings in ``task.cfg``) into the run folder ``out``,
    a new one, or on ``resume`` the one it continues."""

    def __init__(self, task, out: Path, resume: bool = False, log=None, progress: bool | None = None, group=None):
        self.task, self.cfg, self.out = task, task.cfg, Path(out)
        self.folder = RunFolder(out)
        cfg = self.cfg
        self.group = group or Solo()
        self.log = log or (lambda msg: print(msg, file=sys.stderr, flush=True))
        self.progress = sys.stderr.isatty() if progress is None else progress
        if not self.group.is_root:  # the root speaks for the group
            self.log, self.progress = (lambda msg: None), False
        self.model = task.model
        self.batches = task.batches_per_epoch
        params = list(self.model.named_parameters())
        self.grads = [g for _, _, g in params]
        if self.group.size > 1:
            # one buffer for the step's Allreduce: [w g (every gradient, flat), w loss, w, count]
            self.bucket = np.empty(sum(g.size for g in self.grads) + 3, self.grads[0].dtype)
            for i, (_, g) in enumerate(self.model.generators()):  # each rank its own dropout masks
                g.bit_generator.state = np.random.default_rng([cfg.seed, 1_000_003, self.group.rank, i]
                                                              ).bit_generator.state
        self.opt = make_optimizer(cfg.optimizer, params, cfg.lr, cfg.momentum, cfg.weight_decay, alpha=cfg.alpha,
                                  nonmono=cfg.nonmono)
        self.schedule = make_schedule(cfg.schedule, cfg.lr, cfg.lr_decay, cfg.decay_after,
                                      cfg.total_steps(self.batches) or 1, cfg.warmup)
        self.step, self.epoch, self.batch = 0, 1, 0
        self.best_valid = math.inf
        self.metrics_bytes = 0
        self.last_valid, self.last_valid_step = math.nan, None
        self.window = {"loss": 0.0, "norm": 0.0, "n": 0, "tokens": 0}  # training metrics since the last log
        if resume:
            self._restore()
        elif self.group.is_root:
            self.folder.create(self.cfg.to_dict(), task.files, self.log)
            self.folder.record_data(getattr(cfg, "data", None))
            task.save_files(self.out)

    def _arrays(self) -> dict[str, np.ndarray]:
        arrays = {f"model.{k}": p for k, p, _ in self.model.named_parameters()}
        opt_arrays, _ = self.opt.state_dict()
        arrays |= {f"optim.{k}": v for k, v in opt_arrays.items()}
        return arrays | self.task.carried()

    def save(self) -> None:
        """Write the checkpoint (the root; every rank takes part: the carried state and the random
        states are gathered from all)."""
        _, opt_meta = self.opt.state_dict()
        rngs = [g.bit_generator.state for _, g in self.model.generators()]
        arrays = self._arrays()
        meta = {"step": self.step, "epoch": self.epoch, "batch": self.batch, "best_valid": self.best_valid
                if math.isfinite(self.best_valid) else None, "optimizer": opt_meta,
                "schedule": self.schedule.state_dict(), "metrics_bytes": self.metrics_bytes,
                "window": {k: v for k, v in self.window.items() if k not in ("t", "tokens")}, "rng": rngs}
        if self.group.size > 1:
            ranks = self.group.allgather_json({"rng": rngs, "weights": self._fingerprint()})
            if len({r["weights"] for r in ranks}) > 1:
                raise RuntimeError(f"step {self.step}: the ranks' weights differ (a bug: please report it); "
                                   f"the last checkpoint is kept")
            meta |= {"ranks": self.group.size, "rank_rng": [r["rng"] for r in ranks[1:]]}
        if self.group.is_root:
            save_checkpoint(self.folder.checkpoint, arrays, meta, keep_previous=True)

    def _fingerprint(self) -> str:
        """A hash of the weights and the optimiser's state: equal on every rank, bit for bit."""
        import hashlib

        h = hashlib.blake2b(digest_size=16)
        for _, p, _ in self.model.named_parameters():
            h.update(np.ascontiguousarray(p).data)
        return h.hexdigest()

    def _restore(self) -> None:
        arrays, meta = load_checkpoint_or_previous(self.folder.checkpoint, warn=self.log)
        self.model.load_state_dict({k[6:]: v for k, v in arrays.items() if k.startswith("model.")})
        self.opt.load_state_dict({k[6:]: v for k, v in arrays.items() if k.startswith("optim.")}, meta["optimizer"])
        self.schedule.load_state_dict(meta["schedule"])
        self.task.carry(arrays)
        self.step, self.epoch, self.batch = meta["step"], meta["epoch"], meta["batch"]
        self.best_valid = math.inf if meta["best_valid"] is None else meta["best_valid"]
        ranks = meta.get("ranks", 1)
        if ranks != self.group.size:
            raise ValueError(f"{self.out} was trained by {ranks} process{'es' if ranks > 1 else ''} and each one's "
                             f"random state is saved; resume it with {ranks} (now {self.group.size})"
                             + ("" if ranks == 1 else f": mpiexec -n {ranks} rnnlab train --resume {self.out}"))
        rngs = meta["rng"] if self.group.rank == 0 else meta["rank_rng"][self.group.rank - 1]
        for (_, g), s in zip(self.model.generators(), rngs, strict=True):
            g.bit_generator.state = s
        self.metrics_bytes = meta["metrics_bytes"]
        self.window.update({k: v for k, v in meta["window"].items() if k != "tokens"})  # tokens/s: from now on
        if self.finished():
            return  # nothing to continue: the run folder stays as it is
        if self.group.is_root:
            with open(self.folder.metrics, "r+b") as f:  # drop lines logged after that checkpoint
                f.truncate(self.metrics_bytes)
        self._note_changes()

    def _note_changes(self) -> None:
        """Settings a resume changed (the learning rate, clipping, the run's length: the CLI allows no
        others) go into the metrics log and config.json; a plateau schedule keeps its reductions,
        scaled to the new rate."""
        saved = self.folder.read_config()
        changed = {k: [saved[k], v] for k, v in self.cfg.to_dict().items()
                   if k in saved and saved[k] != v and k not in ("data_dir", "time_budget")}
        if not changed:
            return
        if "lr" in changed:
            self.schedule.rescale(self.cfg.lr / changed["lr"][0])
        if not self.group.is_root:
            return
        self._record({"step": self.step, "epoch": self.epoch, "resumed_with": changed})
        self.folder.write_config(saved | {k: v for k, (_, v) in changed.items()})

    def _record(self, row: dict) -> None:
        line = (json.dumps(row) + "\n").encode()
        self.metrics_bytes += len(line)  # on every rank: the checkpoint's count is the root's
        if not self.group.is_root:
            return
        with open(self.folder.metrics, "ab") as f:
            f.write(line)

    # -- training -----------------------------------------------------------------------------
    def train_step(self, batch) -> tuple[float, float, int]:
        """One optimiser step on a batch of the task; returns (loss, grad norm before clipping, the
        batch's count of the task's unit)."""
        cfg = self.cfg
        self.opt.lr = self.schedule.lr(self.step + 1, self.epoch) * self.task.lr_scale(self.epoch, self.batch)
        self.model.zero_grad()
        with np.errstate(over="ignore", invalid="ignore"):  # a diverging run is caught just below
            loss, count = (0.0, 0) if batch is None else self.task.forward_backward(batch)  # None: no share here
            if self.group.size > 1:
                loss, count = self._reduce(loss, count, 0.0 if batch is None else self.task.weight(batch, count))
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
        return loss, norm, count

    def _reduce(self, loss: float, count: int, weight: float) -> tuple[float, int]:
        """The whole batch's gradient, loss and count from every rank's share: one Allreduce.

            g = sum_r w_r g_r / sum_r w_r       L = sum_r w_r L_r / sum_r w_r
        (g_r, L_r: rank r's mean gradient and loss over w_r, its share's loss denominator)."""
        buf, at = self.bucket, 0
        for g in self.grads:
            np.multiply(g.reshape(-1), weight, out=buf[at:at + g.size])
            at += g.size
        buf[at:] = weight * loss, weight, count
        self.group.allreduce(buf)
        total = buf[at + 1]
        at = 0
        for g in self.grads:
            np.divide(buf[at:at + g.size], total, out=g.reshape(-1))
            at += g.size
        return float(buf[at]) / float(total), int(round(float(buf[at + 2])))

    def validate(self) -> dict[str, float]:
        """The task's validation measures now; the weights go to best.safetensors when the task's
        criterion (the loss, unless the task says) is the best so far; with NT-ASGD averaging, those of
        the averaged weights."""
        with getattr(self.opt, "averaged", contextlib.nullcontext)():
            return self._validate()

    def _validate(self) -> dict[str, float]:
        with np.errstate(over="ignore", invalid="ignore"):  # diverged weights: caught just below
            measures = self.task.evaluate("valid")
        if not math.isfinite(measures["loss"]):
            raise NonFiniteError(f"step {self.step}: the validation loss is not finite (the weights have diverged); "
                                 f"stopped, and the last good checkpoint is kept. Try a lower --lr (now {self.cfg.lr:g})"
                                 + ("" if self.cfg.clip > 0 else " or enable clipping, e.g. --clip 5"))
        criterion = self.task.criterion(measures)
        if criterion < self.best_valid:
            self.best_valid = criterion
            if self.group.is_root:
                save_checkpoint(self.folder.best,
                                {f"model.{k}": p for k, p, _ in self.model.named_parameters()},
                                {"step": self.step, "valid_loss": measures["loss"]})
        return measures

    def run(self) -> dict:
        """Train to the run's end (or Ctrl-C, a time budget, a non-finite loss); with --flush-subnormals
        in the backend's subnormal mode (``rnnlab.backends.flush_subnormals``)."""
        if not self.cfg.flush_subnormals:
            return self._run()
        from ..backends import flush_subnormals

        with flush_subnormals():
            return self._run()

    def _run(self) -> dict:
        cfg = self.cfg
        stop = {"flag": False}
        old_handler = signal.signal(signal.SIGINT, lambda *_: stop.update(flag=True))
        start = time.perf_counter()
        bar = None
        if self.progress:
            from tqdm import tqdm

            total = cfg.total_steps(self.batches)
            if total is not None and cfg.stop_epoch:
                total = min(total, cfg.stop_epoch * self.batches)
            bar = tqdm(total=total, initial=self.step, unit="step", dynamic_ncols=True)
        window = self.window
        window["t"] = time.perf_counter()
        reason = "finished"
        try:
            last_epoch = cfg.last_epoch()
            while self.epoch <= last_epoch:
                while self.batch < self.task.batches_in(self.epoch):
                    if cfg.max_steps and self.step >= cfg.max_steps:
                        reason = "max steps"
                        break
                    over = bool(cfg.time_budget) and time.perf_counter() - start >= cfg.time_budget
                    over, interrupted = self.group.any(over, stop["flag"])  # every rank stops at the same step
                    if over:
                        reason = "time budget"
                        break
                    if interrupted:
                        reason = "interrupted"
                        break
                    loss, norm, count = self.train_step(self.task.batch(self.epoch, self.batch))
                    self.step += 1
                    self.batch += 1
                    window["loss"] += loss
                    window["norm"] += norm
                    window["n"] += 1
                    window["tokens"] += count
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
                    if getattr(self.opt, "on_validation", None) and self.opt.on_validation(valid):
                        self.log(f"epoch {self.epoch}: validation loss {valid:.4f} is above the best before the last "
                                 f"{cfg.nonmono} epochs: averaging the weights from now on (NT-ASGD)")
                    self.epoch += 1
                    self.batch = 0
                    self.task.end_epoch()
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
               "grad_norm": w["norm"] / w["n"], f"{self.task.unit}_per_s": w["tokens"] / max(now - w["t"], 1e-9)}
        self._record(row)
        if not self.progress:
            self.log(f"step {row['step']:>7}  epoch {self.epoch}  lr {row['lr']:.3g}  train loss "
                     f"{row['train_loss']:.4f}  grad norm {row['grad_norm']:.3g}  "
                     f"{row[f'{self.task.unit}_per_s']:,.0f} {self.task.unit}/s")
        w.update(loss=0.0, norm=0.0, n=0, tokens=0, t=now)

    def _log_valid(self, epoch_end: bool = False) -> float:
        return self._record_valid(self.validate(), epoch_end)

    def _record_valid(self, measures: dict[str, float], epoch_end: bool = False) -> float:
        """Log the task's validation measures (but the count of what they cover); returns the loss."""
        self.last_valid, self.last_valid_step = measures["loss"], self.step
        row = {"step": self.step, "epoch": self.epoch, "lr": self.opt.lr}
        row |= {f"valid_{k}": v for k, v in measures.items() if k != self.task.unit and isinstance(v, (int, float))}
        self._record(row)
        msg = f"step {self.step:>7}  epoch {self.epoch}{' end' if epoch_end else ''}  valid {self.task.describe(measures)}"
        if self.progress:
            from tqdm import tqdm

            tqdm.write(msg, file=sys.stderr)
        else:
            self.log(msg)
        return measures["loss"]
