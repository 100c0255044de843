"""Two versions of rnnlab's training step, measured as pairs: python -m benchmarks.paired A B INDEX.

A and B are source trees (checkouts or `git worktree add` directories, their compiled kernels built
with `python setup.py build_ext --inplace`). Each round runs the benchmark worker once for A and once
for B, in fresh processes, alternating, with PYTHONPATH set to that tree's src so that each side
imports its own rnnlab (an editable install would otherwise hand both the same one). Prints each
side's median step time and the median over rounds of B's step time over A's: the machine's drift
cancels within a pair, so a few percent show after ten rounds where unpaired runs move by 10%.
INDEX indexes benchmarks.workloads.WORKLOADS (0 word LSTM, 1 char LSTM 2x512, 2 GRU, 3 tanh RNN,
4 LSTM 1x1024).
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
from pathlib import Path


def _run(tree: Path, *args: str) -> str:
    env = dict(os.environ, PYTHONPATH=str(tree / "src"))
    return subprocess.run([sys.executable, *args], cwd=tree, env=env, check=True, capture_output=True, text=True).stdout


def step_time(tree: Path, index: int, reps: int) -> float:
    """Median seconds of one training step of workload ``index`` with the rnnlab in ``tree``."""
    out = _run(tree, "-m", "benchmarks.worker", "rnnlab", "train", str(index), str(reps))
    return statistics.median(json.loads(out)["seconds"])


def main() -> None:
    ap = argparse.ArgumentParser(prog="python -m benchmarks.paired")
    ap.add_argument("a", type=Path, help="source tree A (the reference)")
    ap.add_argument("b", type=Path, help="source tree B")
    ap.add_argument("index", type=int, help="workload index")
    ap.add_argument("--rounds", type=int, default=10)
    ap.add_argument("--reps", type=int, default=8, help="steps per measurement")
    args = ap.parse_args()
    for tree in (args.a, args.b):
        if not (tree / "src" / "rnnlab").is_dir():
            sys.exit(f"error: {tree} is not an rnnlab source tree (expected {tree / 'src' / 'rnnlab'})")
        imported = Path(_run(tree.resolve(), "-c", "import rnnlab; print(rnnlab.__file__)").strip())
        if not imported.is_relative_to(tree.resolve()):
            sys.exit(f"error: in {tree}, rnnlab is imported from {imported}, not from the tree itself")
    a, b = [], []
    for r in range(args.rounds):
        a.append(step_time(args.a.resolve(), args.index, args.reps))
        b.append(step_time(args.b.resolve(), args.index, args.reps))
        print(f"round {r + 1}: A {1e3 * a[-1]:.1f} ms  B {1e3 * b[-1]:.1f} ms  B/A {b[-1] / a[-1]:.3f}", flush=True)
    ratios = [y / x for x, y in zip(a, b)]
    print(f"A {1e3 * statistics.median(a):.1f} ms  B {1e3 * statistics.median(b):.1f} ms  "
          f"B/A median of {len(ratios)} pairs {statistics.median(ratios):.3f} "
          f"(range {min(ratios):.2f}-{max(ratios):.2f})")


if __name__ == "__main__":
    main()
