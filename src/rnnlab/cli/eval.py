"""``rnnlab eval``: a run (or an ensemble) measured on a split of its data or on a file of its kind,
by its task's own measures and report."""

from __future__ import annotations

import json
from pathlib import Path

from .args import UsageError

__all__ = ["cmd_eval"]


def cmd_eval(args) -> int:
    from ..runs.members import evaluate_members, run_members
    from ..tasks import load_task

    if args.data and args.split:
        raise UsageError("--data measures a file instead of a split; give one of --data and --split")
    split = args.split or "valid"
    changes = {k: v for k, v in (("data_dir", args.data_dir), ("beam", args.beam)) if v is not None}
    members = run_members(args.run)
    try:
        tasks = [load_task(member, args.weights, **changes)[1] for member in members]
    except AttributeError as e:  # a setting the run's task does not have
        raise UsageError(f"{e} ({args.run} is a {json.loads((members[0] / 'config.json').read_text())['task']} "
                         f"run)") from None
    if args.data:
        path = Path(args.data).expanduser()
        if not path.exists():
            raise FileNotFoundError(f"--data {path}: no such file or folder")
        measures, where = tasks[0].evaluate_file(path, tasks), str(path)
    else:
        measures, where = evaluate_members(tasks, split), split
    if args.json:
        print(json.dumps(measures))
    else:
        print(tasks[0].report(measures, where) + (f" (an ensemble of {len(tasks)})" if len(tasks) > 1 else ""))
    return 0
