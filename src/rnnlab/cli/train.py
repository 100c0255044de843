"""``rnnlab train``: one run; an ensemble (--ensemble K: OUT/member-k, seeds seed..seed+K-1); K-fold
cross-validation (a task with folds, --folds K: OUT/fold-k); resuming any of them; and data-parallel
training under an MPI launcher."""

from __future__ import annotations

import sys
from pathlib import Path

from .args import UsageError, absolute_paths, settings_given

__all__ = ["cmd_train", "train_one", "resumed_config"]

# A resumed run keeps its model and data; it may change where the data lives, how long it runs, the
# learning rate and clipping (users lower them after a blow-up), the subnormal mode (a speed option)
# and what it prints at its end; the changes go into its metrics log.
RESUMABLE = {"data_dir", "epochs", "max_steps", "time_budget", "eval_every", "checkpoint_every", "log_every",
             "lr", "clip", "clip_mode", "flush_subnormals", "sample_length"}


def _say(msg: str) -> None:
    print(msg, file=sys.stderr, flush=True)


def cmd_train(args) -> int:
    """Train; under an MPI launcher, data-parallel over its processes (rnnlab.train.distributed), the root
    (rank 0) printing and writing for all."""
    from ..train.distributed import world

    group = world()
    error = setup = None
    try:
        setup = _setup_train(args, group)
    except Exception as e:  # every rank sets up; if one fails, all stop with its message, printed once
        error = e
    group.agree(error)
    if isinstance(setup, int):
        return setup
    cfg, out, trainer = setup
    if group.size == 1:
        return train_one(cfg, out, trainer, resumed=bool(args.resume))
    try:
        run = lambda: train_one(cfg, out, trainer, resumed=bool(args.resume))  # noqa: E731
        return run() if group.is_root else _quiet(run)
    except Exception as e:  # this rank alone: the others may wait in a collective call, so end them all
        if args.debug:
            import traceback

            traceback.print_exc()
        print(f"rnnlab train: error on rank {group.rank} of {group.size}: {e}", file=sys.stderr, flush=True)
        group.abort(1)
        raise


def _quiet(fn):
    """``fn()`` with this process's stdout and stderr discarded (a data-parallel rank other than the root)."""
    import contextlib
    import os

    with open(os.devnull, "w") as null, contextlib.redirect_stdout(null), contextlib.redirect_stderr(null):
        return fn()


def _setup_train(args, group):
    """(config, run folder, Trainer) of ``rnnlab train``'s flags, or an exit code when there is nothing
    more to train (an ensemble, cross-validation and a finished run are done here)."""
    import time

    from ..heap import keep_heap
    from ..runs.folds import cross_validate
    from ..runs.members import train_members
    from ..tasks import make_trainer, read_run_config, resolve_config, task_class
    from ..train import RunFolder

    flags = absolute_paths(settings_given(args))
    ensemble = args.ensemble
    if args.resume:
        folder = RunFolder(args.resume)
        if args.out:
            raise UsageError(f"--out cannot go with --resume: the run continues in {folder.path}; to branch it, copy "
                             f"the folder and resume the copy")
        if args.preset or args.config:
            raise UsageError("--resume continues a run with its saved config; drop --preset and --config")
        if ensemble != 1:
            raise UsageError("--resume continues a run with its own number of members; drop --ensemble")
        if folder.ensemble.is_file():
            import json

            info = json.loads(folder.ensemble.read_text())
            cfg, ensemble = resumed_config(info["config"], flags), info["members"]
        elif not folder.is_run() or not folder.checkpoint.is_file():
            raise UsageError(f"--resume {folder.path}: not a run folder with a checkpoint (config.json, "
                             f"checkpoint.safetensors)")
        else:
            cfg = resumed_config(read_run_config(folder.path).to_dict(), flags)
        out = folder.path
    else:
        try:
            cfg = resolve_config(args.preset, args.config, flags)
        except (ValueError, FileNotFoundError) as e:
            raise UsageError(str(e)) from e
        out = Path(args.out or time.strftime("runs/run-%Y%m%d-%H%M%S"))
    if ensemble > 1 and not task_class(cfg.task).ensembles:
        from ..tasks import TASKS

        raise UsageError(f"--ensemble applies to --task {', '.join(t for t, c in TASKS.items() if c.ensembles)} "
                         f"(here --task {cfg.task})")
    cross = "fold" in cfg.field_names() and bool(cfg.folds) and cfg.fold is None  # K-fold, every fold
    if (ensemble > 1 or cross) and group.size > 1:
        raise UsageError(f"an ensemble or a cross-validation trains its runs one after another in one process, not "
                         f"on {group.size}; train one at a time (--fold K, or each member alone)")
    keep_heap()  # this process only trains: let malloc reuse the steps' large temporaries (rnnlab.heap)

    def run_one(member_cfg, run, trainer):
        if ensemble > 1:
            _say(f"member {run.name[7:]} of {ensemble}, seed {member_cfg.seed}:")
        return train_one(member_cfg, run, trainer, resumed=bool(args.resume))

    if cross:
        result = cross_validate(cfg, out, ensemble, run_one, say=_say)
        return result if isinstance(result, int) else 0
    if ensemble > 1:
        tasks = train_members(cfg, out, ensemble, resume=bool(args.resume), run_one=run_one,
                              resumed=lambda saved: resumed_config(saved, flags))
        if isinstance(tasks, int):
            return tasks
        _ensemble_line(tasks, out)
        return 0
    if group.size > 1:
        _share_cores(group)
    trainer = make_trainer(cfg, out, resume=bool(args.resume), group=group)
    if args.resume and trainer.finished():
        if group.is_root:
            _say(f"{out} has finished ({trainer.step} steps); to train on, resume with a larger --epochs or "
                 f"--max-steps, or a --time-budget without --epochs")
        return 0
    return cfg, out, trainer


def _ensemble_line(tasks, out) -> None:
    """The ensemble and its members measured on validation, where the task can combine them."""
    from ..runs.members import evaluate_members

    key = tasks[0].measure.key
    try:
        whole = evaluate_members(tasks, "valid")
        each = [t.evaluate("valid")[key] for t in tasks]
    except (ValueError, KeyError):  # measured on its test split only (a forecaster), or not combined
        _say(f"ensemble of {len(tasks)} in {out}; rnnlab eval {out} measures it")
        return
    _say(f"ensemble of {len(tasks)}: valid {key} {whole[key]:.4f} (its members {min(each):.4f} to {max(each):.4f}); "
         f"rnnlab eval {out} measures it")


def resumed_config(saved: dict, flags: dict):
    """The config of a resumed run: its ``saved`` settings with the RESUMABLE ones of ``flags`` changed; a
    UsageError naming any other flag that differs."""
    from ..tasks import resolve_config
    from ..tasks.registry import upgraded

    saved = upgraded(saved)
    conflicts = [k for k in saved if k not in RESUMABLE and flags.get(k) is not None and flags[k] != saved[k]]
    if conflicts:
        raise UsageError("--resume cannot change " + ", ".join(
            f"--{k.replace('_', '-')} (run has {saved[k]!r}, got {flags[k]!r})" for k in conflicts)
            + "; it may change --lr, --clip, --clip-mode, --flush-subnormals and the run's length")
    try:
        return resolve_config(flags=saved | {k: v for k, v in flags.items() if v is not None})
    except ValueError as e:
        raise UsageError(str(e)) from e


def _share_cores(group) -> None:
    """Limit this process's threads to its share of the cores (``distributed.thread_share``), unless the
    user set a count (OMP_NUM_THREADS, OPENBLAS_NUM_THREADS)."""
    import os

    from threadpoolctl import threadpool_limits

    from ..train.distributed import thread_share

    if not any(os.environ.get(v) for v in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS")):
        threadpool_limits(thread_share(group))


def train_one(cfg, out, trainer, resumed: bool = False) -> int:
    """Run ``trainer`` with a line before and after; a resumed run then retrains the runs that derive
    from it (a forecaster's refit) and the task does what follows a run (a language model's sample)."""
    from ..runs.retrain import retrain
    from ..tasks.shared import model_name
    from ..train import NonFiniteError

    task = trainer.task
    data = getattr(cfg, "data", None) or cfg.task
    on = "" if trainer.group.size == 1 else f" on {trainer.group.describe()}"
    _say(f"training a {cfg.layers}x{cfg.hidden} {model_name(cfg)} {task.noun} on {data} ({task.about()}, "
         f"{trainer.model.num_parameters():,} parameters){on} into {out}")
    try:
        summary = trainer.run()
    except NonFiniteError as e:
        _say(f"rnnlab train: error: {e}")
        return 1
    _say(f"stopped ({summary['reason']}) after {summary['step']} steps in {summary['seconds']:.0f} s; "
         f"{task.stop_line(summary)}; run saved in {out}")
    if summary["reason"] == "interrupted":
        return 130
    for follower_cfg, folder in (task.followers(out) if resumed else []):
        if trainer.group.size > 1:
            _say(f"{folder} was made before this run went on; retrain it on one process: rnnlab train --resume {out}")
        else:
            _say(f"training {folder} again: it derives from this run")
            if retrain(follower_cfg, folder, _say) is None:
                return 130
    return task.after_run(trainer, resumed, _say) if trainer.group.is_root else 0
