"""Side-by-side benchmark of rnnlab and PyTorch (CPU), in one run: python -m benchmarks [--quick].

Each measurement runs in its own process (so peak memory is that workload's alone); repetitions of
rnnlab, PyTorch at its default thread count, PyTorch at one thread and PyTorch without oneDNN
(default threads) are interleaved round by round. rnnlab runs with its own defaults and is compared
with the fastest PyTorch setting. Results go to
benchmarks/results/bench.json and bench.md (bench-quick.* for --quick or --only runs, which leave the
full table alone). Run it on a quiet machine: anything else on the cores distorts both sides, PyTorch's
multi-threaded runs most. Each workload is watched (``benchmarks.quiet``: other processes' CPU time, a
calibration product before and after); a run with a disturbed workload is written to bench-disturbed.*
instead, never over the published table.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import subprocess
import sys
import time
from pathlib import Path

import numpy as np

from .quiet import Watch
from .workloads import SAMPLING, WORKLOADS

RESULTS = Path(__file__).parent / "results"
SIDES = [("rnnlab", 0), ("torch", 0), ("torch", 1), ("torch-nomkldnn", 0)]  # (side, threads; 0 = default)


def matmul_peak() -> dict:
    """Best float32 GFLOP/s of a 2048^3 product, NumPy and PyTorch, at their default threads."""
    import torch

    n = 2048
    a, b = np.random.rand(n, n).astype(np.float32), np.random.rand(n, n).astype(np.float32)
    ta, tb = torch.from_numpy(a), torch.from_numpy(b)
    best = {}
    for name, f in (("numpy", lambda: a @ b), ("torch", lambda: ta @ tb)):
        f()
        times = []
        for _ in range(5):
            t = time.perf_counter()
            f()
            times.append(time.perf_counter() - t)
        best[name] = 2 * n**3 / min(times) / 1e9
    return best


def measure(side: str, threads: int, mode: str, index: int, reps: int) -> dict:
    cmd = [sys.executable, "-m", "benchmarks.worker", side, mode, str(index), str(reps), str(threads)]
    out = subprocess.run(cmd, capture_output=True, text=True, cwd=Path(__file__).parent.parent)
    if out.returncode != 0:
        raise RuntimeError(f"{' '.join(cmd)} failed:\n{out.stderr}")
    return json.loads(out.stdout.strip().splitlines()[-1])


def main() -> None:
    ap = argparse.ArgumentParser(prog="python -m benchmarks")
    ap.add_argument("--quick", action="store_true", help="1 round of 2 repetitions (a smoke test)")
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--reps", type=int, default=5)
    ap.add_argument("--only", help="substring of the workload names to run")
    args = ap.parse_args()
    rounds, reps = (1, 2) if args.quick else (args.rounds, args.reps)
    import torch

    peak = matmul_peak()
    jobs = [(mode, i, w) for i, w in enumerate(WORKLOADS) for mode in ("train", "eval")] + [("sample", 0, SAMPLING)]
    if args.only:
        jobs = [j for j in jobs if args.only.lower() in j[2].name.lower()]
    rows = []
    for mode, index, w in jobs:
        samples = {s: [] for s in SIDES}
        rss = {s: 0.0 for s in SIDES}
        tokens = None
        with Watch() as watch:
            for r in range(rounds):
                order = SIDES[r % len(SIDES):] + SIDES[: r % len(SIDES)]  # rotate who goes first
                for side in order:
                    res = measure(side[0], side[1], mode, index, reps)
                    samples[side] += res["seconds"]
                    rss[side] = max(rss[side], res["peak_rss_mb"])
                    tokens = res["tokens"]
        tps = {s: tokens / statistics.median(v) for s, v in samples.items()}
        ours = tps[("rnnlab", 0)]
        best_torch = max(SIDES[1:], key=lambda s: tps[s])
        row = {"workload": w.name, "mode": mode, "tokens_per_rep": tokens,
               "rnnlab_tokens_per_s": ours, "torch_default_tokens_per_s": tps[("torch", 0)],
               "torch_1thread_tokens_per_s": tps[("torch", 1)],
               "torch_nomkldnn_tokens_per_s": tps[("torch-nomkldnn", 0)],
               "torch_best_tokens_per_s": tps[best_torch],
               "torch_best": ("no oneDNN, " if best_torch[0] == "torch-nomkldnn" else "")
               + ("1 thread" if best_torch[1] == 1 else "default threads"),
               "ratio": ours / tps[best_torch], "rnnlab_peak_rss_mb": rss[("rnnlab", 0)],
               # memory is held against PyTorch's leanest setting, whichever was fastest
               "torch_peak_rss_mb": min(rss[s] for s in SIDES[1:]),
               "quiet": watch.verdict.quiet, "machine_state": watch.verdict.describe()}
        row["rnnlab_spread"], row["torch_spread"] = spread(samples[("rnnlab", 0)]), spread(samples[best_torch])
        if mode == "train":
            t_ours, t_torch = statistics.median(samples[("rnnlab", 0)]), statistics.median(samples[best_torch])
            row["rnnlab_gflops"] = w.executed_train_flops() / t_ours / 1e9
            row["peak_fraction"] = row["rnnlab_gflops"] / max(peak.values())
            row["rnnlab_effective_gflops"] = w.train_flops() / t_ours / 1e9
            row["torch_gflops"] = w.train_flops() / t_torch / 1e9
        rows.append(row)
        print(f"{w.name:<36} {mode:<6} rnnlab {ours:>10,.0f} tok/s  torch {tps[best_torch]:>10,.0f} tok/s "
              f"({row['torch_best']})  ratio {row['ratio']:.2f}", flush=True)
        if not watch.verdict.quiet:
            print(f"  {watch.verdict.describe()}", flush=True)
    train = [r["ratio"] for r in rows if r["mode"] == "train"]
    summary = {"train_geomean_ratio": float(np.exp(np.mean(np.log(train)))) if train else None,
               "train_min_ratio": min(train) if train else None}
    commit = subprocess.run(["git", "rev-parse", "--short", "HEAD"], capture_output=True, text=True,
                            cwd=Path(__file__).parent).stdout.strip() or "unknown"
    meta = {"date": time.strftime("%Y-%m-%d %H:%M"), "commit": commit, "machine": platform.machine(), "cpus": os.cpu_count(),
            "processor": _cpu_name(), "python": platform.python_version(), "numpy": np.__version__,
            "torch": torch.__version__, "torch_default_threads": torch.get_num_threads(),
            "matmul_peak_gflops": peak, "rounds": rounds, "reps": reps,
            "command": " ".join(["python -m benchmarks", *sys.argv[1:]])}
    disturbed = [f"{r['workload']} {r['mode']}" for r in rows if not r["quiet"]]
    meta["disturbed"] = disturbed
    name = "bench-quick" if args.quick or args.only else "bench"  # a partial run keeps the full table
    if disturbed:
        name = "bench-disturbed"
        print(f"the machine was busy during {len(disturbed)} workload(s) ({', '.join(disturbed)}): the results go "
              f"to {RESULTS / name}.*, not to the published table", flush=True)
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / f"{name}.json").write_text(json.dumps({"meta": meta, "summary": summary, "rows": rows}, indent=2) + "\n")
    (RESULTS / f"{name}.md").write_text(markdown(meta, summary, rows))
    print(markdown(meta, summary, rows))


def spread(seconds: list[float]) -> float:
    """Interquartile range of the repetition times relative to their median."""
    q1, _, q3 = statistics.quantiles(seconds, n=4)
    return (q3 - q1) / statistics.median(seconds)


def _cpu_name() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor()


def markdown(meta, summary, rows) -> str:
    lines = [f"Measured {meta['date']} at commit {meta.get('commit', '?')} on {meta['processor']} ({meta['cpus']} cores), Python {meta['python']}, "
             f"NumPy {meta['numpy']}, PyTorch {meta['torch']}; float32 matrix-product peak "
             f"{max(meta['matmul_peak_gflops'].values()):.0f} GFLOP/s. Command: `{meta['command']}`.", "",
             "| workload | mode | rnnlab tok/s (±IQR/2) | PyTorch tok/s (±IQR/2; fastest setting) | ratio | "
             "rnnlab GFLOP/s executed (% of peak) | standard GFLOP/s rnnlab / PyTorch | peak RSS rnnlab / PyTorch's least (MB) |",
             "|---|---|---:|---:|---:|---:|---:|---:|"]
    for r in rows:
        gf = f"{r['rnnlab_gflops']:.1f} ({100 * r['peak_fraction']:.0f}%)" if "rnnlab_gflops" in r else ""
        sf = f"{r['rnnlab_effective_gflops']:.0f} / {r['torch_gflops']:.0f}" if "torch_gflops" in r else ""
        lines.append(f"| {r['workload']} | {r['mode']} | {r['rnnlab_tokens_per_s']:,.0f} (±{50 * r['rnnlab_spread']:.0f}%) | "
                     f"{r['torch_best_tokens_per_s']:,.0f} "
                     f"(±{50 * r['torch_spread']:.0f}%; {r['torch_best']}) | {r['ratio']:.2f} | {gf} | {sf} | "
                     f"{r['rnnlab_peak_rss_mb']:.0f} / {r['torch_peak_rss_mb']:.0f} |")
    if summary["train_geomean_ratio"]:
        lines += ["", f"Training: geometric mean ratio {summary['train_geomean_ratio']:.2f}, "
                      f"lowest {summary['train_min_ratio']:.2f}."]
    return "\n".join(lines) + "\n"


if __name__ == "__main__":
    main()
