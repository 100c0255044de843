"""An experiment, not part of rnnlab: what compiled, fused LSTM gate kernels would buy.
python -m benchmarks.gate_kernel_c [--hidden H] [--batch N]

Compiles two small C functions with the machine's gcc, one LSTM step's forward and backward gate
arithmetic (what rnnlab.nn.cells.lstm.LSTMKernel.forward_step and backward_step do in NumPy, including
the sum of the two pre-activations), checks that they agree with the NumPy kernel in float32 and
float64, and times both on one thread. The functions are built for AVX-512, AVX2 and plain x86-64
(gcc's target_clones) and vectorise exp and tanh through glibc's SIMD variants (glibc >= 2.35 for
tanh), without -ffast-math. Nothing is installed or kept.
"""

from __future__ import annotations

import argparse
import ctypes
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

from rnnlab.nn.cells.lstm import LSTMKernel

SOURCE = r"""/* Fused LSTM gate arithmetic for one time step, float32 and float64.

   The equations, and the NumPy code these must agree with, are in rnnlab/nn/cells/lstm.py. Plain C with
   no Python API, loaded with ctypes. Shapes, all row-major; strides are in elements:
     forward   xp, hp (N, 4H) given with strides (row, column); c_prev (N, H)
               -> act (4, N, H) = i, f, g, o;  c, tc = tanh(c), h (N, H)
     backward  act (4, N, H), tc, c_prev, dh, dc_next (N, H) -> da (N, 4H), dc_prev (N, H)
   Each function is compiled for AVX-512, AVX2 and plain x86-64 (target_clones; the loader picks one per
   CPU), and exp and tanh vectorise through glibc's SIMD variants (libmvec), declared below as glibc's
   math.h does under -ffast-math, so that no other fast-math liberty is taken. */
#include <math.h>
#include <stddef.h>

#if defined(__x86_64__) && defined(__GNUC__)
#define SIMD_DECL __attribute__((__simd__("notinbranch")))
SIMD_DECL float expf(float);
SIMD_DECL float tanhf(float);
SIMD_DECL double exp(double);
SIMD_DECL double tanh(double);
#define CLONES __attribute__((target_clones("avx512f", "avx2", "default")))
#else
#define CLONES
#endif

#define KERNELS(T, SUF, EXP, TANH)                                                                        \
    CLONES void lstm_forward_##SUF(long N, long H, const T *xp, long xr, long xc, const T *hp, long hr,    \
                                   long hc, const T *c_prev, T *act, T *c, T *tc, T *h) {                 \
        const long NH = N * H;                                                                            \
        for (long n = 0; n < N; n++) {                                                                    \
            const T *x = xp + n * xr, *p = hp + n * hr;                                                   \
            T *ai = act + n * H, *af = ai + NH, *ag = af + NH, *ao = ag + NH;                            \
            const T *cp = c_prev + n * H;                                                                 \
            T *cn = c + n * H, *tn = tc + n * H, *hn = h + n * H;                                        \
            _Pragma("omp simd")                                                                           \
            for (long j = 0; j < H; j++) {                                                                \
                T i = 1 / (1 + EXP(-(x[j * xc] + p[j * hc])));                                            \
                T f = 1 / (1 + EXP(-(x[(H + j) * xc] + p[(H + j) * hc])));                                \
                T g = TANH(x[(2 * H + j) * xc] + p[(2 * H + j) * hc]);                                    \
                T o = 1 / (1 + EXP(-(x[(3 * H + j) * xc] + p[(3 * H + j) * hc])));                        \
                T cc = f * cp[j] + i * g, t = TANH(cc);                                                   \
                ai[j] = i; af[j] = f; ag[j] = g; ao[j] = o;                                               \
                cn[j] = cc; tn[j] = t; hn[j] = o * t;                                                     \
            }                                                                                             \
        }                                                                                                 \
    }                                                                                                     \
    CLONES void lstm_backward_##SUF(long N, long H, const T *act, const T *tc, const T *c_prev,           \
                                    const T *dh, const T *dc_next, T *da, T *dc_prev) {                   \
        const long NH = N * H;                                                                            \
        for (long n = 0; n < N; n++) {                                                                    \
            const T *ai = act + n * H, *af = ai + NH, *ag = af + NH, *ao = ag + NH;                      \
            const long r = n * H;                                                                         \
            T *d = da + 4 * r;                                                                            \
            _Pragma("omp simd")                                                                           \
            for (long j = 0; j < H; j++) {                                                                \
                T i = ai[j], f = af[j], g = ag[j], o = ao[j], t = tc[r + j], h = dh[r + j];               \
                T dc = dc_next[r + j] + h * o * (1 - t * t);                                              \
                d[j] = dc * g * i * (1 - i);                                                              \
                d[H + j] = dc * c_prev[r + j] * f * (1 - f);                                              \
                d[2 * H + j] = dc * i * (1 - g * g);                                                      \
                d[3 * H + j] = h * t * o * (1 - o);                                                       \
                dc_prev[r + j] = dc * f;                                                                  \
            }                                                                                             \
        }                                                                                                 \
    }

KERNELS(float, f32, expf, tanhf)
KERNELS(double, f64, exp, tanh)
"""
FLAGS = ["-O3", "-fno-math-errno", "-fno-trapping-math", "-fopenmp-simd", "-shared", "-fPIC"]


def best_us(f, calls: int = 2000) -> float:
    f()
    best = float("inf")
    for _ in range(5):
        t = time.perf_counter()
        for _ in range(calls):
            f()
        best = min(best, (time.perf_counter() - t) / calls)
    return best * 1e6


def compile_library() -> ctypes.CDLL:
    if shutil.which("gcc") is None:
        sys.exit("gate_kernel_c: needs gcc on PATH")
    with tempfile.TemporaryDirectory() as tmp:
        src, lib = Path(tmp) / "gates.c", Path(tmp) / "gates.so"
        src.write_text(SOURCE)
        subprocess.run(["gcc", *FLAGS, str(src), "-o", str(lib), "-lm"], check=True)
        return ctypes.CDLL(str(lib))  # stays mapped after the file is gone


def main() -> None:
    ap = argparse.ArgumentParser(prog="python -m benchmarks.gate_kernel_c")
    ap.add_argument("--hidden", type=int, default=512)
    ap.add_argument("--batch", type=int, default=32)
    args = ap.parse_args()
    gates = compile_library()
    N, H = args.batch, args.hidden
    rng = np.random.default_rng(0)
    L, ptr = ctypes.c_long, lambda a: ctypes.c_void_p(a.ctypes.data)
    for dtype in (np.float32, np.float64):
        sfx = "f32" if dtype == np.float32 else "f64"
        xp = 3 * rng.standard_normal((N, 4 * H)).astype(dtype)
        hp = (3 * rng.standard_normal((4 * H, N)).astype(dtype)).T  # as the time loop hands it over
        c_prev, h_prev = rng.standard_normal((N, H)).astype(dtype), np.zeros((N, H), dtype)
        dh, dc_next = rng.standard_normal((N, H)).astype(dtype), rng.standard_normal((N, H)).astype(dtype)
        act, c, tc, h = np.empty((4, N, H), dtype), *(np.empty((N, H), dtype) for _ in range(3))
        da, dc_prev = np.empty((N, 4 * H), dtype), np.empty((N, H), dtype)
        it = xp.itemsize
        fwd_args = (L(N), L(H), ptr(xp), L(xp.strides[0] // it), L(xp.strides[1] // it), ptr(hp),
                    L(hp.strides[0] // it), L(hp.strides[1] // it), ptr(c_prev), ptr(act), ptr(c), ptr(tc), ptr(h))
        bwd_args = (L(N), L(H), ptr(act), ptr(tc), ptr(c_prev), ptr(dh), ptr(dc_next), ptr(da), ptr(dc_prev))
        c_fwd, c_bwd = getattr(gates, f"lstm_forward_{sfx}"), getattr(gates, f"lstm_backward_{sfx}")
        kernel = LSTMKernel()
        ws = kernel.workspace(1, N, H, dtype)

        def np_fwd():
            return kernel.forward_step(ws, 0, xp, hp, (h_prev, c_prev))

        def np_bwd():
            return kernel.backward_step(ws, 0, (dh, dc_next), (h_prev, c_prev))

        h_np, c_np = np_fwd()
        da_np, _, (_, dc_np) = np_bwd()
        c_fwd(*fwd_args)
        c_bwd(*bwd_args)
        err = max(float(np.abs(a - b).max()) for a, b in
                  ((act, ws["act"][0]), (c, c_np), (tc, ws["tc"][0]), (h, h_np), (da, da_np), (dc_prev, dc_np)))
        print(f"LSTM gate work, {np.dtype(dtype).name}, N={N}, H={H}: largest difference C vs NumPy {err:.1e}")
        if dtype == np.float32:
            print(f"  forward   NumPy {best_us(np_fwd):6.1f} us   C {best_us(lambda: c_fwd(*fwd_args)):6.1f} us")
            print(f"  backward  NumPy {best_us(np_bwd):6.1f} us   C {best_us(lambda: c_bwd(*bwd_args)):6.1f} us")


if __name__ == "__main__":
    main()
