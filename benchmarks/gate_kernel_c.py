"""An experiment, not part of rnnlab: what a compiled, fused LSTM gate kernel would buy.
python -m benchmarks.gate_kernel_c [--hidden H] [--batch N]

Compiles a small C function for one LSTM step's forward gate work (the arithmetic of
rnnlab.nn.cells.lstm.LSTMKernel.forward_step: add the two pre-activations, three sigmoids, two
tanh, the cell update) with the machine's gcc (-O3 -march=native -ffast-math -fopenmp; with
-ffast-math glibc's SIMD expf/tanhf variants vectorise the loop), checks that it agrees with the
NumPy kernel and times both, the C one on one thread and on OpenMP's default. Needs gcc; nothing is
installed or kept.
"""

from __future__ import annotations

import argparse
import ctypes
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

from rnnlab.nn.cells.lstm import LSTMKernel

SOURCE = r"""
#include <math.h>
#include <stddef.h>
#include <omp.h>
static inline float sig(float x) { return 1.0f / (1.0f + expf(-x)); }
/* xp (N, 4H) and hpT (4H, N) row-major pre-activations, c_prev (N, H);
   out: act (4, N, H) = i, f, g, o; c, tc = tanh(c), h (N, H). */
void lstm_forward_gates(int threads, int N, int H, const float *xp, const float *hpT, const float *c_prev,
                        float *act, float *c, float *tc, float *h) {
    const size_t GH = 4 * (size_t)H;
    #pragma omp parallel for schedule(static) num_threads(threads)
    for (int n = 0; n < N; n++) {
        const float *x = xp + n * GH;
        float *ai = act + (size_t)n * H, *af = ai + (size_t)N * H, *ag = af + (size_t)N * H, *ao = ag + (size_t)N * H;
        #pragma omp simd
        for (int j = 0; j < H; j++) {
            float i = sig(x[j] + hpT[(size_t)j * N + n]);
            float f = sig(x[H + j] + hpT[(size_t)(H + j) * N + n]);
            float g = tanhf(x[2 * H + j] + hpT[(size_t)(2 * H + j) * N + n]);
            float o = sig(x[3 * H + j] + hpT[(size_t)(3 * H + j) * N + n]);
            size_t k = (size_t)n * H + j;
            float cc = f * c_prev[k] + i * g, t = tanhf(cc);
            ai[j] = i; af[j] = f; ag[j] = g; ao[j] = o; c[k] = cc; tc[k] = t; h[k] = o * t;
        }
    }
}
"""


def best_us(f, calls: int = 2000) -> float:
    f()
    best = float("inf")
    for _ in range(5):
        t = time.perf_counter()
        for _ in range(calls):
            f()
        best = min(best, (time.perf_counter() - t) / calls)
    return best * 1e6


def main() -> None:
    ap = argparse.ArgumentParser(prog="python -m benchmarks.gate_kernel_c")
    ap.add_argument("--hidden", type=int, default=512)
    ap.add_argument("--batch", type=int, default=32)
    args = ap.parse_args()
    if shutil.which("gcc") is None:
        sys.exit("gate_kernel_c: needs gcc on PATH")
    N, H = args.batch, args.hidden
    with tempfile.TemporaryDirectory() as tmp:
        src, lib = Path(tmp) / "gates.c", Path(tmp) / "gates.so"
        src.write_text(SOURCE)
        subprocess.run(["gcc", "-O3", "-march=native", "-ffast-math", "-fopenmp", "-shared", "-fPIC",
                        str(src), "-o", str(lib), "-lm"], check=True)
        gates = ctypes.CDLL(str(lib))
    f32, ptr = np.float32, ctypes.POINTER(ctypes.c_float)
    rng = np.random.default_rng(0)
    xp = rng.standard_normal((N, 4 * H), dtype=f32)
    hpT = rng.standard_normal((4 * H, N), dtype=f32)
    c_prev = rng.standard_normal((N, H), dtype=f32)
    act, c, tc, h = np.empty((4, N, H), f32), *(np.empty((N, H), f32) for _ in range(3))
    arrays = [a.ctypes.data_as(ptr) for a in (xp, hpT, c_prev, act, c, tc, h)]
    kernel, h_prev = LSTMKernel(), np.zeros((N, H), f32)
    ws = kernel.workspace(1, N, H, f32)

    def numpy_step():
        return kernel.forward_step(ws, 0, xp, hpT.T, (h_prev, c_prev))

    h_np, c_np = numpy_step()
    gates.lstm_forward_gates(1, N, H, *arrays)
    err = max(np.abs(h - h_np).max(), np.abs(c - c_np).max(), np.abs(act - ws["act"][0]).max())
    threads = os.cpu_count() or 1
    print(f"LSTM forward gate work, N={N}, H={H}: largest difference C vs NumPy {err:.1e}")
    print(f"  NumPy (rnnlab's kernel) {best_us(numpy_step):6.1f} us")
    for t in sorted({1, threads}):
        print(f"  C, {t} thread{'s' if t > 1 else ''}           {best_us(lambda t=t: gates.lstm_forward_gates(t, N, H, *arrays)):6.1f} us")


if __name__ == "__main__":
    main()
