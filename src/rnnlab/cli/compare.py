"""``rnnlab compare``: model families side by side on one task (``rnnlab.runs.compare``)."""

from __future__ import annotations

import dataclasses
import json
import sys
import time
from pathlib import Path

from .args import UsageError, absolute_paths, check_png, settings_given

__all__ = ["cmd_compare"]


def cmd_compare(args) -> int:
    from ..runs.compare import FAMILIES, compare, plot, table
    from ..forecast.training import TRANSFORM_KEYS
    from ..tasks import TASKS, resolve_config

    families = [m.strip().lower() for m in args.models.split(",") if m.strip()]
    unknown = [m for m in families if m not in FAMILIES]
    if unknown or not families:
        raise UsageError(f"--models: unknown {', '.join(unknown) or 'empty list'}; expected some of {', '.join(FAMILIES)}")
    if not args.budget > 0:
        raise UsageError(f"--budget must be a positive number of seconds, got {args.budget:g}")
    check_png("--plot", args.plot)
    given = absolute_paths(settings_given(args))
    fit = [t for t, c in TASKS.items() if "arch" in c.config_class().field_names()]
    if (given.get("task") or "lm") not in fit:
        raise UsageError(f"--task {given['task']}: compare takes {', '.join(fit)} (the others' models are recurrent "
                         f"only)")
    try:
        cfg = resolve_config(flags=given)
    except (ValueError, FileNotFoundError) as e:
        raise UsageError(str(e)) from e
    out = Path(args.out or time.strftime("runs/compare-%Y%m%d-%H%M%S"))
    if out.exists() and any(out.iterdir()):
        raise ValueError(f"{out} is not empty; choose a new or empty folder for --out")
    try:  # each run is bounded by the budget alone
        dataclasses.replace(cfg, time_budget=args.budget, epochs=None, max_steps=None).check()
    except ValueError as e:
        raise UsageError(str(e)) from e
    if cfg.eval_every == 0:
        cfg = dataclasses.replace(cfg, eval_every=100)  # points for the curve against time
    what = getattr(cfg, "data", None) or cfg.task
    if TRANSFORM_KEYS <= cfg.field_names() and not TRANSFORM_KEYS & {k for k, v in settings_given(args).items()
                                                                   if v is not None}:
        print("no transform given: every family reads the series in levels, which cannot follow a trend past "
              "them; rnnlab forecast chooses one on validation (RUN/transforms.json), give it here (--diff 1, "
              "--window-norm last)", file=sys.stderr)
    print(f"comparing {', '.join(families)} on {what}: about "
          f"{args.params:,} non-embedding parameters each, {args.budget:g} s per run, {args.seeds} seed(s), "
          f"into {out}", file=sys.stderr)
    rows = compare(cfg, families, args.params, args.budget, args.seeds, out,
                   say=lambda msg: print(msg, file=sys.stderr, flush=True))
    (out / "results.json").write_text(json.dumps({"config": cfg.to_dict(), "rows": rows}, indent=1) + "\n")
    if args.json:
        print(json.dumps([{k: v for k, v in r.items() if k != "runs"} | {"per_seed": [x["value"] for x in r["runs"]]}
                          for r in rows]))
    else:
        print(table(rows))
    if args.plot:
        plot(rows, Path(args.plot), f"{what}: {args.budget:g} s per run")
        print(f"plot written to {args.plot}", file=sys.stderr)
    return 0
