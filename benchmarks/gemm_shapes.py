"""BLAS rates of the products a training step runs, by shape and orientation:
python -m benchmarks.gemm_shapes [--threads K].

For each workload's hidden size H, batch N and gates G (benchmarks/workloads.py), one step's products
in the orientations NumPy can hand to OpenBLAS, and the big T*N-row products, against a 2048^3
product (the peak the benchmark reports):

    forward   W_hh h^T   (G*H, H) @ (H, N)      rnnlab's choice: output (G*H, N), read transposed
              h W_hh^T   (N, H) @ (H, G*H)      output (N, G*H), as the gate arithmetic wants it
    backward  da W_hh    (N, G*H) @ (G*H, H)    rnnlab's choice: output (N, H)
              W_hh^T da^T with W_hh^T and da^T contiguous: output (H, N), the feature-major layout
    big       X W^T, dA^T X, dA W   with T*N rows
Best of 5 timings of a batch of calls; GFLOP/s = 2 * multiply-adds / time.
"""

from __future__ import annotations

import argparse

import numpy as np

from .timing import best_seconds
from .workloads import WORKLOADS


def rate(f, flops: float, calls: int) -> float:
    return flops / best_seconds(f, calls) / 1e9


def main() -> None:
    ap = argparse.ArgumentParser(prog="python -m benchmarks.gemm_shapes")
    ap.add_argument("--threads", type=int, help="BLAS threads (default: OpenBLAS's own)")
    args = ap.parse_args()
    if args.threads:
        from threadpoolctl import threadpool_limits

        threadpool_limits(args.threads, user_api="blas")
    rng = np.random.default_rng(0)
    f32 = np.float32
    n = 2048
    a, b = rng.random((n, n), dtype=f32), rng.random((n, n), dtype=f32)
    print(f"peak (2048^3): {rate(lambda: a @ b, 2 * n**3, 3):.0f} GFLOP/s")
    print("| workload | W_hh h^T | h W_hh^T | da W_hh | W_hh^T da^T | X W^T | dA^T X | dA W |")
    print("|---|---:|---:|---:|---:|---:|---:|---:|")
    seen = set()
    for w in WORKLOADS:
        G, H, N, TN = {"rnn": 1, "lstm": 4, "gru": 3}[w.cell], w.hidden, w.batch, w.tokens
        if (G, H, N) in seen:
            continue
        seen.add((G, H, N))
        W = rng.standard_normal((G * H, H), dtype=f32)
        WT = np.ascontiguousarray(W.T)
        h = rng.standard_normal((N, H), dtype=f32)
        da = rng.standard_normal((N, G * H), dtype=f32)
        daT = np.ascontiguousarray(da.T)
        hp, hpT = np.empty((N, G * H), f32), np.empty((G * H, N), f32)
        dh, dhT = np.empty((N, H), f32), np.empty((H, N), f32)
        X = rng.standard_normal((TN, H), dtype=f32)
        dA = rng.standard_normal((TN, G * H), dtype=f32)
        step, big = 2 * G * H * H * N, 2 * G * H * H * TN
        rates = [rate(lambda: np.dot(W, h.T, out=hpT), step, 200), rate(lambda: np.dot(h, W.T, out=hp), step, 200),
                 rate(lambda: np.dot(da, W, out=dh), step, 200), rate(lambda: np.dot(WT, daT, out=dhT), step, 200),
                 rate(lambda: X @ W.T, big, 3), rate(lambda: dA.T @ X, big, 3), rate(lambda: dA @ W, big, 3)]
        print(f"| {w.cell} H={H} N={N} | " + " | ".join(f"{r:.0f}" for r in rates) + " |", flush=True)


if __name__ == "__main__":
    main()
