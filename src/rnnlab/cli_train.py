"""``rnnlab train``: one run; K-fold cross-validation (classify, --folds K: OUT/fold-k); an ensemble of
classifiers (--ensemble K: OUT/member-k, the same split, seeds seed..seed+K-1); resuming any of them;
and data-parallel training under an MPI launcher."""

from __future__ import annotations

import sys

from .cli_args import UsageError, train_flags

__all__ = ["cmd_train"]


# A resumed run keeps its model and data; it may change where the data lives, how long it runs, the
# learning rate and clipping (users lower them after a blow-up), and the subnormal mode (a speed option);
# the changes go into its metrics log.
RESUMABLE = {"data_dir", "epochs", "max_steps", "time_budget", "eval_every", "checkpoint_every", "log_every",
             "lr", "clip", "clip_mode", "flush_subnormals"}


def cmd_train(args) -> int:
    """Train; under an MPI launcher, data-parallel over its processes (rnnlab.distributed), the root
    (rank 0) printing and writing for all."""
    from .distributed import world

    group = world()
    error = None
    try:
        setup = _setup_train(args, group)
    except Exception as e:  # every rank sets up; if one fails, all stop with its message, printed once
        error = e
    group.agree(error)
    if isinstance(setup, int):
        return setup
    cfg, out, trainer = setup
    if group.size == 1:
        return _train(args, cfg, out, trainer)
    try:
        return _train(args, cfg, out, trainer) if group.is_root else _quiet(lambda: _train(args, cfg, out, trainer))
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
    to train."""
    import json
    import time
    from pathlib import Path

    from .heap import keep_heap
    from .tasks import make_trainer
    from .train import resolve_config
    from .train.config import read_run_config

    flags = train_flags(args)
    ensemble = getattr(args, "ensemble", 1)
    if args.resume:
        run = Path(args.resume)
        if args.out:
            raise UsageError(f"--out cannot go with --resume: the run continues in {run}; to branch it, copy the "
                             f"folder and resume the copy")
        if args.preset or args.config:
            raise UsageError("--resume continues a run with its saved config; drop --preset and --config")
        if ensemble != 1:
            raise UsageError("--resume continues a run with its own number of members; drop --ensemble")
        if (run / "ensemble.json").is_file():
            info = json.loads((run / "ensemble.json").read_text())
            cfg, ensemble = _resumed(info["config"], flags), info["members"]
        elif not (run / "config.json").is_file() or not (run / "checkpoint.safetensors").is_file():
            raise UsageError(f"--resume {run}: not a run folder with a checkpoint (config.json, checkpoint.safetensors)")
        else:
            cfg = _resumed(read_run_config(run).to_dict(), flags)
        out = run
    else:
        try:
            cfg = resolve_config(args.preset, args.config, flags)
        except (ValueError, FileNotFoundError) as e:
            raise UsageError(str(e)) from e
        out = Path(args.out or time.strftime("runs/run-%Y%m%d-%H%M%S"))
        if ensemble > 1 and cfg.task != "classify":
            raise UsageError(f"--ensemble is for --task classify (forecasters: rnnlab forecast --ensemble K), "
                             f"got --task {cfg.task}")
    if ensemble > 1 and group.size > 1:
        raise UsageError(f"an ensemble trains its members one after another in one process, not on {group.size}")
    keep_heap()  # this process only trains: let malloc reuse the steps' large temporaries (rnnlab.heap)
    if cfg.task == "classify" and cfg.folds and cfg.fold is None:
        if group.size > 1:
            raise UsageError(f"--folds without --fold trains the folds one after another in one process; on "
                             f"{group.size} processes train one fold at a time (--fold 1 ... --fold {cfg.folds})")
        return _cross_validate(args, cfg, out, ensemble)
    if ensemble > 1:
        return _ensemble(args, cfg, out, ensemble, resume=bool(args.resume))
    if group.size > 1:
        _share_cores(group)
    trainer = make_trainer(cfg, out, resume=bool(args.resume), group=group)
    if args.resume and trainer.finished():
        if group.is_root:
            print(f"{out} has finished ({trainer.step} steps); to train on, resume with a larger --epochs or "
                  f"--max-steps, or a --time-budget without --epochs", file=sys.stderr)
        return 0
    return cfg, out, trainer


def _resumed(saved: dict, flags: dict):
    """The config of a resumed run: its ``saved`` settings with the RESUMABLE ones of ``flags`` changed; a
    UsageError naming any other flag that differs."""
    from .train import resolve_config

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

    from .distributed import thread_share

    if not any(os.environ.get(v) for v in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS")):
        threadpool_limits(thread_share(group))


def _train(args, cfg, out, trainer) -> int:
    from .train import NonFiniteError

    what = {"lm": "language model", "classify": "classifier", "forecast": "forecaster",
            "seq2seq": "encoder-decoder"}.get(cfg.task, "network")
    data = cfg.data if cfg.task in ("lm", "classify", "forecast", "seq2seq") else cfg.task
    model = cfg.cell if cfg.arch == "rnn" else cfg.arch
    on = "" if trainer.group.size == 1 else f" on {trainer.group.describe()}"
    print(f"training a {cfg.layers}x{cfg.hidden} {model} {what} on {data} ({trainer.task.about()}, "
          f"{trainer.model.num_parameters():,} parameters){on} into {out}",
          file=sys.stderr)
    try:
        summary = trainer.run()
    except NonFiniteError as e:
        print(f"rnnlab train: error: {e}", file=sys.stderr)
        return 1
    import math

    best, last, at = summary["best_valid"], summary["last_valid"], summary["last_valid_step"]
    if math.isfinite(last):
        val = (f"valid loss {last:.4f}" + (f" (perplexity {math.exp(min(last, 700)):.2f})" if cfg.task == "lm" else "")
               + ("" if at == summary["step"] else f" at step {at}"))
    else:
        val = "no validation"
    if math.isfinite(best) and best != last and cfg.task == "lm":
        val += f", best {best:.4f}"
    elif math.isfinite(best) and cfg.task == "classify":
        val += f", best accuracy {1 - best:.4f}"
    print(f"stopped ({summary['reason']}) after {summary['step']} steps in {summary['seconds']:.0f} s; {val}; "
          f"run saved in {out}", file=sys.stderr)
    if summary["reason"] == "interrupted":
        return 130
    if cfg.task == "forecast" and args.resume and (out / "refit").is_dir():  # rnnlab forecast's --refit
        if trainer.group.size > 1:
            print(f"{out / 'refit'} was made before this run went on; retrain it on one process: rnnlab train "
                  f"--resume {out}", file=sys.stderr)
        else:
            from .tasks.forecast import refit_forecaster

            if refit_forecaster(cfg, out, trainer.task) is None:
                return 130
    if args.sample_length and cfg.task == "lm":
        from .generate import sample

        text = sample(trainer.model, trainer.task.vocab, length=args.sample_length, temperature=0.8, seed=cfg.seed)
        if "\n" in text.rstrip("\n"):
            text = text[: text.rstrip("\n").rindex("\n")]  # whole lines only
        print(f"sample ({args.sample_length} {trainer.task.vocab.kind}s at most, temperature 0.8; more with rnnlab "
              f"sample {out}):", file=sys.stderr)
        print(text.rstrip("\n"), flush=True)
    return 0


def _cross_validate(args, cfg, out, ensemble: int = 1) -> int:
    """--folds K without --fold: one run a fold into OUT/fold-1 .. OUT/fold-K (each a run folder of its
    own, resumable alone; with --ensemble, an ensemble folder), each measured on its test fold with its
    best weights; a summary line and OUT/folds.json."""
    import dataclasses
    import json
    import statistics

    from .tasks.classify import ensemble_logits

    if out.exists() and any(out.iterdir()):
        raise ValueError(f"{out} is not empty; choose a new or empty folder for --out")
    created = not out.exists()
    results = []
    for fold in range(1, cfg.folds + 1):
        run = out / f"fold-{fold}"
        print(f"fold {fold} of {cfg.folds} into {run}", file=sys.stderr)
        try:
            tasks = _train_members(args, dataclasses.replace(cfg, fold=fold), run, ensemble)
        finally:
            if created and out.is_dir() and not any(out.iterdir()):  # bad input leaves no empty folder behind
                out.rmdir()
        if isinstance(tasks, int):
            return tasks
        measures = tasks[0].evaluate("test", ensemble_logits([t.predict("test") for t in tasks]))
        results.append({"fold": fold, "accuracy": measures["accuracy"], "macro_f1": measures["macro_f1"],
                        "n": measures["examples"]})
        print(f"fold {fold}: test accuracy {measures['accuracy']:.4f}, macro-F1 {measures['macro_f1']:.4f}",
              file=sys.stderr)
    acc, f1 = [r["accuracy"] for r in results], [r["macro_f1"] for r in results]
    (out / "folds.json").write_text(json.dumps({"folds": results, "accuracy": statistics.mean(acc),
                                                "macro_f1": statistics.mean(f1)}, indent=1) + "\n")
    print(f"{cfg.folds}-fold cross-validation: accuracy {statistics.mean(acc):.4f} +- {statistics.stdev(acc):.4f} "
          f"(folds {min(acc):.4f} to {max(acc):.4f}), macro-F1 {statistics.mean(f1):.4f}; {out / 'folds.json'}")
    return 0


def _ensemble(args, cfg, out, k: int, resume: bool = False) -> int:
    """--ensemble K: K classifiers (``_train_members``), then the ensemble measured on the validation
    split."""
    from .tasks.classify import ensemble_logits

    tasks = _train_members(args, cfg, out, k, resume)
    if isinstance(tasks, int):
        return tasks
    logits = [t.predict("valid") for t in tasks]
    measures = tasks[0].evaluate("valid", ensemble_logits(logits))
    each = [tasks[0].evaluate("valid", z)["accuracy"] for z in logits]
    print(f"ensemble of {k}: valid accuracy {measures['accuracy']:.4f} (its members {min(each):.4f} to "
          f"{max(each):.4f}), macro-F1 {measures['macro_f1']:.4f}; rnnlab eval and predict {out} average their "
          f"probabilities", file=sys.stderr)
    return 0


def _train_members(args, cfg, out, k: int, resume: bool = False):
    """The classifiers of an ensemble, each holding its best weights, or an exit code (interrupted, or a
    non-finite loss). k = 1: one run into ``out``. Else K runs into OUT/member-1 .. OUT/member-K, member
    j with seed (--seed + j - 1) and the first one's split (--split-seed, else --seed), trained one after
    another; each is a run folder, resumable alone, and ``--resume OUT`` (OUT/ensemble.json: K and the
    settings) resumes the unfinished ones and trains those not begun."""
    import dataclasses
    import json

    from .tasks import make_trainer
    from .train import load_weights
    from .train.config import read_run_config

    if k > 1 and not resume:
        if out.exists() and any(out.iterdir()):
            raise ValueError(f"{out} is not empty; choose a new or empty folder for --out")
        cfg = dataclasses.replace(cfg, split_seed=cfg.seed if cfg.split_seed is None else cfg.split_seed)
    created = not out.exists()
    tasks = []
    for j in range(1, k + 1):
        run = out if k == 1 else out / f"member-{j}"
        again = resume and (run / "checkpoint.safetensors").is_file()
        try:
            member = (_resumed(read_run_config(run).to_dict(), train_flags(args)) if again
                      else dataclasses.replace(cfg, seed=cfg.seed + j - 1))
            trainer = make_trainer(member, run, resume=again)
        except Exception:
            for d in (run, out if created else None):  # bad input leaves no empty folder behind
                if d is not None and d.is_dir() and not any(d.iterdir()):
                    d.rmdir()
            raise
        if k > 1 and not (out / "ensemble.json").is_file():
            (out / "ensemble.json").write_text(json.dumps({"members": k, "config": cfg.to_dict()}, indent=1) + "\n")
        if again and trainer.finished():
            print(f"member {j} of {k}: {run} has finished ({trainer.step} steps)", file=sys.stderr)
        else:
            if k > 1:
                print(f"member {j} of {k}, seed {member.seed}:", file=sys.stderr)
            code = _train(args, member, run, trainer)
            if code:
                return code
        trainer.model.load_state_dict(load_weights(run, "best")[0])  # the task has its data already
        tasks.append(trainer.task)
    return tasks
