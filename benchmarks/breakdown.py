"""Where a training step's time goes: python -m benchmarks.breakdown [--steps S] [--only NAME].

Runs rnnlab's training step of each workload under cProfile (the same step as the benchmark worker)
and sums the functions' own time into the parts below; writes benchmarks/results/breakdown.md.
A function's own time includes the NumPy and BLAS calls it makes directly, so:
    in-loop products    forward_direction / backward_direction: h W_hh^T and dA W_hh, one step at a time
    gate element-wise   the cell kernels' forward_step / backward_step, sigmoid, the compiled kernels' calls
    split time loops    the loops split over threads (rnnlab/backends/cpu/split.py), packing their weights and running
                        their compiled loops (products, gates, barrier waits) as the main thread sees them
                        (it runs one block itself)
    big products        project_inputs (X W_ih^T), RNNBase.backward (dX = dXP W_ih), weight_gradients
    embedding, decoder  Embedding, Linear; the fused embedding's lookup and per-token sums
    loss                softmax cross-entropy forward / backward
    optimiser, clip     SGD step, global-norm clipping, zeroing gradients
cProfile adds a little per call; the parts are meant as shares, the benchmark gives the speed.
"""

from __future__ import annotations

import argparse
import cProfile
import pstats
import time
from pathlib import Path

from .worker import rnnlab_side
from .workloads import WORKLOADS

PARTS = {
    "in-loop products": ["forward_loop", "backward_direction"],
    "split time loops": ["split.py", "native.py:pack"],
    "gate element-wise": ["forward_step", "backward_step", "sigmoid", "native.py"],
    "big products": ["project_inputs", "weight_gradients", "recurrent.py:backward"],
    "embedding, decoder": ["layers.py:forward", "layers.py:backward", "sum_rows_by_index", "take",
                           "language_model.py"],
    "loss": ["loss.py:forward", "loss.py:backward"],
    "optimiser, clip": ["optimizers.py", "clip.py", "zero_grad"],
}


def part_of(key) -> str:
    filename, _, func = key
    where = f"{Path(filename).name}:{func}"
    for part, names in PARTS.items():
        if any(n == func or n in where for n in names):
            return part
    return "other"


def profile(w, steps: int) -> tuple[float, dict[str, float]]:
    run, _ = rnnlab_side(w, "train")
    run()
    t = time.perf_counter()
    for _ in range(steps):
        run()
    seconds = (time.perf_counter() - t) / steps
    prof = cProfile.Profile()
    prof.enable()
    for _ in range(steps):
        run()
    prof.disable()
    parts: dict[str, float] = {}
    for key, (_, _, tottime, _, _) in pstats.Stats(prof).stats.items():
        parts[part_of(key)] = parts.get(part_of(key), 0.0) + tottime / steps
    return seconds, parts


def main() -> None:
    ap = argparse.ArgumentParser(prog="python -m benchmarks.breakdown")
    ap.add_argument("--steps", type=int, default=5)
    ap.add_argument("--only", help="substring of the workload names")
    args = ap.parse_args()
    names = list(PARTS) + ["other"]
    lines = [("Share of a training step's time (cProfile, own time of each function; "
              "`python -m benchmarks.breakdown`)."), "",
             "| workload | ms/step | " + " | ".join(names) + " |", "|---|---:|" + "---:|" * len(names)]
    for w in WORKLOADS:
        if args.only and args.only.lower() not in w.name.lower():
            continue
        seconds, parts = profile(w, args.steps)
        total = sum(parts.values())
        lines.append(f"| {w.name} | {1e3 * seconds:.1f} | "
                     + " | ".join(f"{100 * parts.get(n, 0.0) / total:.0f}%" for n in names) + " |")
        print(lines[-1], flush=True)
    out = Path(__file__).parent / "results" / "breakdown.md"
    out.write_text("\n".join(lines) + "\n")
    print(f"wrote {out}")


if __name__ == "__main__":
    main()
