"""Data-parallel throughput on this machine: one process with 2 threads against 2 MPI ranks with 1 thread
each (and one process on one thread, for scale), end to end through ``rnnlab train``; the cost of each
step's Allreduce alone; and how far 2 ranks drift from one process (float32 and float64).

    python -m benchmarks.mpi_scaling [--steps 150]

Needs the mpi extra (``pip install -e ".[mpi]"``) and PTB in $RNNLAB_DATA. Run it with nothing else on
the machine. Writes benchmarks/results/mpi-scaling.md and .json.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

WORKLOADS = {  # name: rnnlab train flags (no dropout: the same work in every setup)
    "PTB words, Zaremba small (2x200 LSTM, batch 20 x 35)": [
        "--preset", "zaremba-small", "--dropout", "0"],
    "PTB characters, 2x256 LSTM, batch 32 x 50": [
        "--data", "ptb-char", "--cell", "lstm", "--hidden", "256", "--layers", "2", "--batch-size", "32",
        "--seq-len", "50", "--dropout", "0"],
}
SETUPS = {  # name: (ranks, OPENBLAS_NUM_THREADS or None for rnnlab's own choice)
    "1 process x 1 thread": (1, "1"),
    "1 process x 2 threads": (1, None),
    "2 processes x 1 thread": (2, None),  # rnnlab gives each rank its share of the cores: 1
}
MPIEXEC = shutil.which("mpiexec", path=f"{Path(sys.executable).parent}{os.pathsep}{os.environ.get('PATH', '')}")


def _env(threads):
    env = {k: v for k, v in os.environ.items() if k not in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS")}
    return env | ({"OPENBLAS_NUM_THREADS": threads} if threads else {})


def train(flags, ranks, threads, out, steps):
    cmd = [sys.executable, "-m", "rnnlab", "train", *flags, "--max-steps", str(steps), "--log-every", "25",
           "--eval-every", "0", "--checkpoint-every", "100000", "--sample-length", "0", "--out", str(out)]
    if ranks > 1:
        cmd = [MPIEXEC, "-n", str(ranks), *cmd]
    p = subprocess.run(cmd, env=_env(threads), capture_output=True, text=True)
    if p.returncode:
        raise SystemExit(p.stderr)
    rows = [json.loads(line) for line in (out / "metrics.jsonl").read_text().splitlines()]
    params = int(re.search(r"([\d,]+) parameters", p.stderr).group(1).replace(",", ""))
    return [r for r in rows if "tokens_per_s" in r], params


def allreduce_seconds(elements: int, dtype: str, reps: int = 30) -> float:
    """(run on each rank) the mean time of one in-place Allreduce of ``elements`` numbers."""
    from mpi4py import MPI

    from rnnlab.train.distributed import MPIGroup

    group = MPIGroup(MPI.COMM_WORLD)
    buf = np.ones(elements, dtype)
    for _ in range(3):
        group.allreduce(buf)
    MPI.COMM_WORLD.Barrier()
    t = time.perf_counter()
    for _ in range(reps):
        group.allreduce(buf)
    return (time.perf_counter() - t) / reps


def drift(steps: int) -> dict:
    """Zaremba small, float32 and float64: how far 2 ranks (each 1 thread) and one process on 2 threads
    end from one process on 1 thread after ``steps`` steps: relative train-loss differences at the
    logged steps, and the weights' largest difference relative to each tensor's largest entry."""
    from safetensors.numpy import load_file

    flags = WORKLOADS[next(iter(WORKLOADS))]
    out = {}
    with tempfile.TemporaryDirectory() as tmp:
        for dtype in ("float32", "float64"):
            runs = {}
            for name, ranks, threads in (("1x1", 1, "1"), ("1x2", 1, "2"), ("2x1", 2, None)):
                run = Path(tmp) / f"{dtype}-{name}"
                rows, _ = train(flags + ["--dtype", dtype], ranks, threads, run, steps)
                runs[name] = ({r["step"]: r["train_loss"] for r in rows}, load_file(str(run / "checkpoint.safetensors")))
            losses, weights = runs["1x1"]
            for name in ("1x2", "2x1"):
                other, w = runs[name]
                out[f"{dtype}, {name} against 1x1"] = {
                    "loss_rel_diff": {step: abs(other[step] - v) / v for step, v in losses.items()},
                    "weights_rel_diff": max(float(np.abs(w[k] - weights[k]).max() / np.abs(weights[k]).max())
                                            for k in weights if k.startswith("model."))}
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--steps", type=int, default=150)
    ap.add_argument("--allreduce", type=int, help=argparse.SUPPRESS)  # (internal) time Allreduce of N floats
    args = ap.parse_args()
    if args.allreduce:
        s = allreduce_seconds(args.allreduce, "float32")
        from mpi4py import MPI

        if MPI.COMM_WORLD.Get_rank() == 0:
            print(json.dumps({"seconds": s}))
        return
    cpu = next((line.split(":", 1)[1].strip() for line in Path("/proc/cpuinfo").read_text().splitlines()
                if line.startswith("model name")), platform.processor())
    results = {"machine": f"{cpu}, {os.cpu_count()} cores", "workloads": {}}
    for name, flags in WORKLOADS.items():
        entry = {"setups": {}}
        with tempfile.TemporaryDirectory() as tmp:
            for setup, (ranks, threads) in SETUPS.items():
                rows, n = train(flags, ranks, threads, Path(tmp) / setup.replace(" ", "_"), args.steps)
                entry["parameters"] = n
                rate = statistics.median(r["tokens_per_s"] for r in rows[1:])  # the first window warms up
                entry["setups"][setup] = rate
                print(f"{name}: {setup}: {rate:,.0f} tokens/s", flush=True)
        p = subprocess.run([MPIEXEC, "-n", "2", sys.executable, "-m", "benchmarks.mpi_scaling", "--allreduce",
                            str(n + 3)], env=_env("1"), capture_output=True, text=True, check=True)
        entry["allreduce_seconds"] = json.loads(p.stdout)["seconds"]
        entry["allreduce_bytes"] = 4 * (n + 3)
        print(f"{name}: Allreduce of {entry['allreduce_bytes'] / 1e6:.1f} MB: {1e3 * entry['allreduce_seconds']:.2f} ms",
              flush=True)
        results["workloads"][name] = entry
    results["drift"] = drift(200)
    write(results)


def write(results: dict) -> None:
    folder = Path(__file__).parent / "results"
    (folder / "mpi-scaling.json").write_text(json.dumps(results, indent=1) + "\n")
    lines = [f"# Data-parallel throughput ({results['machine']})", "",
             "Tokens per second through `rnnlab train` (median of the logged windows after the first), float32, "
             "no dropout; the Allreduce alone is the mean of 30 on 2 ranks of the step's whole buffer.", "",
             "| workload | parameters | " + " | ".join(SETUPS) + " | 2 ranks / 1x2 threads | Allreduce per step |",
             "|---|---:|" + "---:|" * len(SETUPS) + "---:|---:|"]
    for name, e in results["workloads"].items():
        s = e["setups"]
        ratio = s["2 processes x 1 thread"] / s["1 process x 2 threads"]
        lines.append(f"| {name} | {e['parameters']:,} | " + " | ".join(f"{v:,.0f}" for v in s.values())
                     + f" | {ratio:.2f} | {e['allreduce_bytes'] / 1e6:.1f} MB, {1e3 * e['allreduce_seconds']:.2f} ms |")
    drift = results["drift"]
    steps = list(next(iter(drift.values()))["loss_rel_diff"])
    lines += ["", "How far a run ends from one process on one thread (Zaremba small, SGD at lr 1, no dropout): the "
              "relative difference of the logged train loss at each step, and of the final weights. Two ranks sum "
              "the batch in another order, and so does one process on two threads.", "",
              "| run | " + " | ".join(f"step {s}" for s in steps) + " | weights |", "|---|" + "---:|" * (len(steps) + 1)]
    for name, d in drift.items():
        lines.append(f"| {name} | " + " | ".join(f"{d['loss_rel_diff'][s]:.0e}" for s in steps)
                     + f" | {d['weights_rel_diff']:.0e} |")
    (folder / "mpi-scaling.md").write_text("\n".join(lines) + "\n")
    print("\n".join(lines))


if __name__ == "__main__":
    main()
