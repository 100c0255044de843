"""The compiled kernels of the CPU backend: one library built from ``_gates.c``, ``_gemm.c`` and
``_loops.c`` by ``pip install`` when a C compiler is there, loaded with ctypes on first use.

``lstm_forward``, ``lstm_backward``, ``gru_forward`` and ``gru_backward`` run one step's gate
arithmetic in one pass, for float32 and float64, and return False when they cannot take the arrays
given (the caller then runs the NumPy reference step). For the split time loops (split.py), which pass
addresses and strides directly: ``function(name, dtype)`` hands out a C function itself
(``split_forward`` and ``split_backward`` run one thread's share of a loop), ``gemm_packed(dtype)`` the
product C = A B with B packed once by ``pack`` (AVX-512 or AVX2).
"""

from __future__ import annotations

import ctypes
import functools
from pathlib import Path

import numpy as np

__all__ = ["available", "function", "gemm_isa", "gemm_packed", "gru_backward", "gru_forward", "lstm_backward",
           "lstm_forward", "pack"]

# after the first two integers (N and H, N and J, N and K; kind and relu for split_*), each C function's
# arguments: P a pointer, L an integer (size, stride or flag)
_SIGNATURES = {"lstm_forward": "PLLLPLLLPLPLPPP", "lstm_backward": "LPLPPPLLLLPPPPP", "gru_forward": "PLLLPLLLPLPLPP",
               "gru_backward": "LPLPPPLLLLPPPPPP", "gemm_packed": "LPLPPL",
               "rnn_forward": "PLLPLLPLPL", "rnn_backward": "LPPLLLLPPPL",
               "split_forward": "LLLLLLPPPPLPLPPLPLPLP", "split_backward": "LLLLLLLPPPLPLPLPPPPLPPPLP"}
_SUFFIX = {np.dtype(np.float32): "f32", np.dtype(np.float64): "f64"}


@functools.cache
def _library():
    """(the library, {(name, dtype): C function}), or (None, {}) when it was not built."""
    for path in sorted(Path(__file__).parent.glob("_native*.so")):
        try:
            lib = ctypes.CDLL(str(path))
        except OSError:
            continue
        arg = {"L": ctypes.c_long, "P": ctypes.c_void_p}
        functions = {}
        for name, sig in _SIGNATURES.items():
            for dtype, sfx in _SUFFIX.items():
                f = getattr(lib, f"{name}_{sfx}")
                f.argtypes = [ctypes.c_long, ctypes.c_long] + [arg[k] for k in sig]
                functions[name, dtype] = f
        lib.gemm_packed_isa.argtypes = [ctypes.c_long]
        return lib, functions
    return None, {}


def available() -> bool:
    """Whether the compiled library was built and loads."""
    return _library()[0] is not None


def function(name: str, dtype):
    """The C function ``name`` for ``dtype``, or None (not built, or no such dtype)."""
    return _library()[1].get((name, np.dtype(dtype)))


def gemm_packed(dtype):
    """The compiled C = A B (``_gemm.c``) for ``dtype``, or None where it cannot run (not built, turned
    neither AVX-512 nor AVX2 with FMA). Called as f(N, K, M, A, lda, pack(B), C, ldc) with
    addresses; A (N, K) and C (N, M) row-major with row strides lda and ldc."""
    f = function("gemm_packed", dtype)
    return f if f is not None and f(0, 0, 0, None, 0, None, None, 0) else None  # returns 0 on such a CPU


def gemm_isa(limit: int = 2) -> int:
    """Cap the instruction set the packed product uses (2 AVX-512, 1 AVX2 with FMA, 0 none: the split
    loops then decline); returns the level now in use (at most what the CPU has). For tests."""
    lib = _library()[0]
    return 0 if lib is None else lib.gemm_packed_isa(limit)


def pack(B: np.ndarray) -> np.ndarray:
    """B (K, M) in the layout ``gemm_packed`` reads: panels of 2W columns (2W = 128 bytes of floats),
    Bp[p, k, c] = B[k, 2W p + c], zero past M; (ceil(M / 2W), K, 2W), 64-byte aligned."""
    K, M = B.shape
    w = 128 // B.itemsize
    P = -(-M // w)
    buf = np.empty(P * K * w + 64 // B.itemsize, B.dtype)
    start = (-buf.ctypes.data % 64) // B.itemsize
    Bp = buf[start:start + P * K * w].reshape(P, K, w)
    full = M // w  # whole panels; the last one, if narrower, is zero-padded
    Bp[:full] = B[:, :full * w].reshape(K, full, w).transpose(1, 0, 2)
    if full < P:
        Bp[full, :, M - full * w:] = 0
        Bp[full, :, :M - full * w] = B[:, full * w:]
    return Bp


def _run(name, arrays, contiguous, args) -> bool:
    """Call the C function ``name`` with ``args()`` if it can take the arrays: all of one float dtype,
    those in ``contiguous`` C-contiguous (the others are passed with their strides)."""
    f = function(name, arrays[0].dtype)
    if (f is None or any(a.dtype != arrays[0].dtype for a in arrays)
            or not all(a.flags.c_contiguous for a in contiguous)):
        return False
    f(*args())
    return True


def _pre_activations(xp, hp, H):
    """The forward kernels' xp and hp arguments: address and (row, gate, column) strides of each."""
    (xr, xc), (hr, hc) = (tuple(st // a.itemsize for st in a.strides) for a in (xp, hp))
    return xp.ctypes.data, xr, H * xc, xc, hp.ctypes.data, hr, H * hc, hc


def _backward_head(act, aux, prev, dh):
    """The backward kernels' arguments up to dh, for the whole of contiguous (N, H) arrays: N, J = H,
    row stride H, act with gate stride N H, aux (LSTM tc, GRU hn), the previous state, dh (one array,
    strides (H, 1)), and no dy."""
    N, H = prev.shape
    return (N, H, H, act.ctypes.data, N * H, aux.ctypes.data, prev.ctypes.data, dh.ctypes.data, H, 1, 1, 0, None)


def lstm_forward(xp, hp, c_prev, act, c, tc, h) -> bool:
    """xp, hp (N, 4H), any strides; c_prev, c, tc, h (N, H) and act (4, N, H) C-contiguous."""
    N, H = c_prev.shape
    return _run("lstm_forward", (xp, hp, c_prev, act, c, tc, h), (c_prev, act, c, tc, h), lambda: (
        N, H, *_pre_activations(xp, hp, H), c_prev.ctypes.data, H, act.ctypes.data, N * H, c.ctypes.data,
        tc.ctypes.data, h.ctypes.data))


def lstm_backward(act, tc, c_prev, dh, dc_next, da, dc_prev) -> bool:
    arrays = (act, tc, c_prev, dh, dc_next, da, dc_prev)
    return _run("lstm_backward", arrays, arrays, lambda: (
        *_backward_head(act, tc, c_prev, dh), dc_next.ctypes.data, da.ctypes.data, dc_prev.ctypes.data, None))


def gru_forward(xp, hp, h_prev, act, hn, h) -> bool:
    """xp, hp (N, 3H), any strides; h_prev, hn, h (N, H) and act (3, N, H) C-contiguous."""
    N, H = h_prev.shape
    return _run("gru_forward", (xp, hp, h_prev, act, hn, h), (h_prev, act, hn, h), lambda: (
        N, H, *_pre_activations(xp, hp, H), h_prev.ctypes.data, H, act.ctypes.data, N * H, hn.ctypes.data,
        h.ctypes.data))


def gru_backward(act, hn, h_prev, dh, dxp, dhp, dh_prev) -> bool:
    arrays = (act, hn, h_prev, dh, dxp, dhp, dh_prev)
    return _run("gru_backward", arrays, arrays, lambda: (
        *_backward_head(act, hn, h_prev, dh), None, dxp.ctypes.data, dhp.ctypes.data, dh_prev.ctypes.data, None))
