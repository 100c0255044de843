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
and then a split loop's per-thread products (backends/cpu/split.py: half the units, J = H/2, on one thread),
OpenBLAS's against the packed product of cells/_gemm.c (each variant the CPU has):
    forward   W_b h^T (OpenBLAS's better orientation)    h W_b^T packed      W_b (G*J, H)
    backward  W_b^T da_b^T (OpenBLAS's better one)        da_b W_b packed     da_b (N, G*J)
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
        if (G, H, N) not in seen:
            seen.add((G, H, N))
            print(f"| {w.cell} H={H} N={N} | " + " | ".join(f"{r:.0f}" for r in _rates(rng, G, H, N, TN)) + " |",
                  flush=True)
    per_thread(rng)


def per_thread(rng) -> None:
    from rnnlab.backends.cpu import native

    levels = [lv for lv in (2, 1) if native.gemm_isa(lv) == lv]
    native.gemm_isa(2)
    names = {2: "AVX-512", 1: "AVX2"}
    print("\nA split loop's per-thread products, one thread (J = H/2 units), GFLOP/s:")
    print("| workload | fwd OpenBLAS | " + " | ".join(f"fwd packed {names[lv]}" for lv in levels)
          + " | bwd OpenBLAS | " + " | ".join(f"bwd packed {names[lv]}" for lv in levels) + " |")
    print("|---|" + "---:|" * (2 + 2 * len(levels)))
    seen = set()
    for w in WORKLOADS:
        G, H, N = {"rnn": 1, "lstm": 4, "gru": 3}[w.cell], w.hidden, w.batch
        if (G, H, N) not in seen:
            seen.add((G, H, N))
            cells = _per_thread_rates(rng, G, H, N, levels)
            print(f"| {w.cell} H={H} N={N} | " + " | ".join(f"{r:.0f}" for r in cells) + " |", flush=True)


def _per_thread_rates(rng, G: int, H: int, N: int, levels) -> list[float]:
    """OpenBLAS forward, packed forward per variant, OpenBLAS backward, packed backward per variant."""
    from threadpoolctl import threadpool_limits

    from rnnlab.backends.cpu import native

    f32, J = np.float32, H // 2
    Wb = rng.standard_normal((G * J, H), dtype=f32)
    WbT = np.ascontiguousarray(Wb.T)
    h, da = rng.standard_normal((N, H), dtype=f32), rng.standard_normal((N, G * J), dtype=f32)
    hpT, hp, dhT, dh = (np.empty(shape, f32) for shape in ((G * J, N), (N, G * J), (H, N), (N, H)))
    fwd_pack, bwd_pack = native.pack(WbT), native.pack(Wb)
    gemm, flops = native.gemm_packed(f32), 2 * G * J * H * N
    with threadpool_limits(1, user_api="blas"):
        fwd = rate(lambda: np.dot(Wb, h.T, out=hpT), flops, 200)
        bwd = rate(lambda: np.dot(WbT, da.T, out=dhT), flops, 200)
    packed_f, packed_b = [], []
    for lv in levels:
        native.gemm_isa(lv)
        packed_f.append(rate(lambda: gemm(N=N, K=H, M=G * J, A=h.ctypes.data, lda=H, Bp=fwd_pack.ctypes.data,
                                          C=hp.ctypes.data, ldc=G * J), flops, 200))
        packed_b.append(rate(lambda: gemm(N=N, K=G * J, M=H, A=da.ctypes.data, lda=G * J, Bp=bwd_pack.ctypes.data,
                                          C=dh.ctypes.data, ldc=H), flops, 200))
    native.gemm_isa(2)
    return [fwd, *packed_f, bwd, *packed_b]


def _rates(rng, G: int, H: int, N: int, TN: int) -> list[float]:
    """The seven rates of one row of the first table."""
    f32 = np.float32
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
    return [rate(lambda: np.dot(W, h.T, out=hpT), step, 200), rate(lambda: np.dot(h, W.T, out=hp), step, 200),
            rate(lambda: np.dot(da, W, out=dh), step, 200), rate(lambda: np.dot(WT, daT, out=dhT), step, 200),
            rate(lambda: X @ W.T, big, 3), rate(lambda: dA.T @ X, big, 3), rate(lambda: dA @ W, big, 3)]


if __name__ == "__main__":
    main()
