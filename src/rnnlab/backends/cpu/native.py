"""The compiled kernels of the CPU backend: one library built from ``_gates.c``, ``_gemm.c``, ``_loops.c``
and ``_fpmode.c`` by ``pip install`` when a C compiler is there, loaded with ctypes on first use.

``lstm_forward``, ``lstm_backward``, ``gru_forward`` and ``gru_backward`` run one step's gate
arithmetic in one pass, for float32 and float64, and return False when they cannot take the arrays
given (the caller then runs the NumPy reference step). For the split time loops (split.py), which pass
addresses and strides directly: ``function(name, dtype)`` hands out a C function itself
(``split_forward`` and ``split_backward`` run one thread's share of a loop), ``gemm_packed(dtype)`` the
product C = A B with B packed once by ``pack`` (AVX-512 or AVX2). ``flush_mode`` and
``set_flush_mode`` read and set the calling thread's subnormal mode (FTZ and DAZ on x86-64).
"""

from __future__ import annotations

import ctypes
import functools
from pathlib import Path

import numpy as np

__all__ = ["available", "flush_mode", "function", "gemm_isa", "gemm_packed", "gru_backward", "gru_forward",
           "lstm_backward", "lstm_forward", "pack", "set_flush_mode"]

# Each C function's parameters, named as in its definition (_gates.c, _gemm.c, _loops.c); a leading *
# marks a pointer (an array's address, or None), the others are integers (sizes, strides, flags); the
# split loops' step count is T_ in C, where T names the float type.
# Python calls them by these names (``_CFunction``), so no call depends on counting positions.
_PARAMS = {
    "lstm_forward": "N J *xp xr xg xc *hp hr hg hc *c_prev sr *act ag *c *tc *h",
    "lstm_backward": "N J H *act ag *tc *c_prev *dh dr dk nq dq *dy *dc_next *da *dc_prev *dac",
    "gru_forward": "N J *xp xr xg xc *hp hr hg hc *h_prev sr *act ag *hn *h",
    "gru_backward": "N J H *act ag *hn *h_prev *dh dr dk nq dq *dy *dd *dxp *dhp *dh_prev *dhpc",
    "rnn_forward": "N J *xp xr xc *hp hr hc *h sr *cand relu",
    "rnn_backward": "N J H *h *dh dr dk nq dq *dy *da *dac relu",
    "gemm_packed": "N K M *A lda *Bp *C ldc",
    "split_forward": "kind relu T N J H G j0 *Bp *hp *S0 *S1 ss *XP xs *bn *act as_ *aux xs_ *counter B *abort",
    "split_backward": "kind relu T N J H G j0 b *Bp *dhpc *act as_ *aux xs *prev ss *P *dY *DXP *DHP ds *carry0 "
                      "*carry1 *counter B *abort",
}
_SUFFIX = {np.dtype(np.float32): "f32", np.dtype(np.float64): "f64"}


class _CFunction:
    """A C function called with keyword arguments named as its parameters, all of them, in any order."""

    def __init__(self, cfunc, params: str) -> None:
        self.names = tuple(p.lstrip("*") for p in params.split())
        cfunc.argtypes = [ctypes.c_void_p if p.startswith("*") else ctypes.c_long for p in params.split()]
        self._f, self._known = cfunc, frozenset(self.names)

    def __call__(self, **args):
        if args.keys() != self._known:
            raise TypeError(f"missing {sorted(self._known - args.keys())}, unknown {sorted(args.keys() - self._known)}")
        return self._f(*[args[n] for n in self.names])


@functools.cache
def _library():
    """(the library, {(name, dtype): _CFunction}), or (None, {}) when it was not built."""
    for path in sorted(Path(__file__).parent.glob("_native*.so")):
        try:
            lib = ctypes.CDLL(str(path))
        except OSError:
            continue
        functions = {(name, dtype): _CFunction(getattr(lib, f"{name}_{sfx}"), params)
                     for name, params in _PARAMS.items() for dtype, sfx in _SUFFIX.items()}
        lib.gemm_packed_isa.argtypes = [ctypes.c_long]
        lib.fp_flush_get.restype = lib.fp_flush_set.restype = ctypes.c_long
        lib.fp_flush_set.argtypes = [ctypes.c_long]
        return lib, functions
    return None, {}


def available() -> bool:
    """Whether the compiled library was built and loads."""
    return _library()[0] is not None


def flush_mode() -> bool | None:
    """Whether this thread writes and reads subnormal floats as 0 (FTZ and DAZ); None when that mode
    cannot be set here (the library was not built, or the CPU is not x86-64)."""
    lib = _library()[0]
    mode = -1 if lib is None else lib.fp_flush_get()
    return None if mode < 0 else bool(mode)


def set_flush_mode(on: bool) -> bool:
    """Set this thread's FTZ and DAZ (on) or clear them; returns the mode before. ValueError where
    ``flush_mode()`` is None."""
    if flush_mode() is None:
        raise ValueError("flushing subnormals needs the compiled CPU library on an x86-64 CPU, which this "
                         "machine lacks")
    return bool(_library()[0].fp_flush_set(int(on)))


def function(name: str, dtype):
    """The C function ``name`` for ``dtype``, called with keyword arguments named as in ``_PARAMS``, or
    None (not built, or no such dtype)."""
    return _library()[1].get((name, np.dtype(dtype)))


def gemm_packed(dtype):
    """The compiled C = A B (``_gemm.c``) for ``dtype``, or None where it cannot run (not built, or
    neither AVX-512 nor AVX2 with FMA). Called as f(N=, K=, M=, A=, lda=, Bp=pack(B), C=, ldc=) with
    addresses; A (N, K) and C (N, M) row-major with row strides lda and ldc."""
    f = function("gemm_packed", dtype)
    works = f is not None and f(N=0, K=0, M=0, A=None, lda=0, Bp=None, C=None, ldc=0)  # 0 on such a CPU
    return f if works else None


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
    f(**args())
    return True


def _pre_activations(xp, hp, H) -> dict:
    """The forward kernels' xp and hp arguments: address and (row, gate, column) strides of each."""
    (xr, xc), (hr, hc) = (tuple(st // a.itemsize for st in a.strides) for a in (xp, hp))
    return dict(xp=xp.ctypes.data, xr=xr, xg=H * xc, xc=xc, hp=hp.ctypes.data, hr=hr, hg=H * hc, hc=hc)


def _whole_block(act, prev, dh) -> dict:
    """The backward kernels' arguments for the whole of contiguous (N, H) arrays: all J = H units, act
    with gate stride N H, dh one array with strides (H, 1) (nq = 1 partial, dq unused), no dy."""
    N, H = prev.shape
    return dict(N=N, J=H, H=H, act=act.ctypes.data, ag=N * H, dh=dh.ctypes.data, dr=H, dk=1, nq=1, dq=0, dy=None)


def lstm_forward(xp, hp, c_prev, act, c, tc, h) -> bool:
    """xp, hp (N, 4H), any strides; c_prev, c, tc, h (N, H) and act (4, N, H) C-contiguous."""
    N, H = c_prev.shape
    return _run("lstm_forward", (xp, hp, c_prev, act, c, tc, h), (c_prev, act, c, tc, h), lambda: dict(
        N=N, J=H, **_pre_activations(xp, hp, H), c_prev=c_prev.ctypes.data, sr=H, act=act.ctypes.data, ag=N * H,
        c=c.ctypes.data, tc=tc.ctypes.data, h=h.ctypes.data))


def lstm_backward(act, tc, c_prev, dh, dc_next, da, dc_prev) -> bool:
    arrays = (act, tc, c_prev, dh, dc_next, da, dc_prev)
    return _run("lstm_backward", arrays, arrays, lambda: dict(
        **_whole_block(act, c_prev, dh), tc=tc.ctypes.data, c_prev=c_prev.ctypes.data, dc_next=dc_next.ctypes.data,
        da=da.ctypes.data, dc_prev=dc_prev.ctypes.data, dac=None))


def gru_forward(xp, hp, h_prev, act, hn, h) -> bool:
    """xp, hp (N, 3H), any strides; h_prev, hn, h (N, H) and act (3, N, H) C-contiguous."""
    N, H = h_prev.shape
    return _run("gru_forward", (xp, hp, h_prev, act, hn, h), (h_prev, act, hn, h), lambda: dict(
        N=N, J=H, **_pre_activations(xp, hp, H), h_prev=h_prev.ctypes.data, sr=H, act=act.ctypes.data, ag=N * H,
        hn=hn.ctypes.data, h=h.ctypes.data))


def gru_backward(act, hn, h_prev, dh, dxp, dhp, dh_prev) -> bool:
    arrays = (act, hn, h_prev, dh, dxp, dhp, dh_prev)
    return _run("gru_backward", arrays, arrays, lambda: dict(
        **_whole_block(act, h_prev, dh), hn=hn.ctypes.data, h_prev=h_prev.ctypes.data, dd=None,
        dxp=dxp.ctypes.data, dhp=dhp.ctypes.data, dh_prev=dh_prev.ctypes.data, dhpc=None))
