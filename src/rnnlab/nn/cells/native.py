"""The compiled gate kernels (``_gates.c``), if they were built: ``lstm_forward``, ``lstm_backward``,
``gru_forward`` and ``gru_backward`` run one step's gate arithmetic in one pass, for float32 and
float64, and return False when they cannot take the arrays given (the NumPy kernel then runs).
``RNNLAB_NATIVE=0`` turns them off.
"""

from __future__ import annotations

import ctypes
import os
from pathlib import Path

import numpy as np

__all__ = ["available", "lstm_forward", "lstm_backward", "gru_forward", "gru_backward"]


def _load():
    if os.environ.get("RNNLAB_NATIVE", "1") == "0":
        return None
    here = Path(__file__).parent
    for path in sorted(here.glob("_gates*.so")):
        try:
            return ctypes.CDLL(str(path))
        except OSError:
            continue
    return None


_lib = _load()
_L, _P = ctypes.c_long, ctypes.c_void_p
if _lib is not None:
    for _sfx in ("f32", "f64"):
        getattr(_lib, f"lstm_forward_{_sfx}").argtypes = [_L, _L, _P, _L, _L, _P, _L, _L, _P, _P, _P, _P, _P]
        getattr(_lib, f"lstm_backward_{_sfx}").argtypes = [_L, _L, _P, _P, _P, _P, _P, _P, _P]
        getattr(_lib, f"gru_forward_{_sfx}").argtypes = [_L, _L, _P, _L, _L, _P, _L, _L, _P, _P, _P, _P]
        getattr(_lib, f"gru_backward_{_sfx}").argtypes = [_L, _L, _P, _P, _P, _P, _P, _P, _P]
_SUFFIX = {np.dtype(np.float32): "f32", np.dtype(np.float64): "f64"}


def available() -> bool:
    return _lib is not None


def _fits(dtype, strided, contiguous) -> bool:
    """All arrays of ``dtype``; those in ``contiguous`` C-contiguous (``strided`` ones go by strides)."""
    return (all(a.dtype == dtype for a in (*strided, *contiguous))
            and all(a.flags.c_contiguous for a in contiguous))


def lstm_forward(xp, hp, c_prev, act, c, tc, h) -> bool:
    sfx = _SUFFIX.get(xp.dtype)
    if _lib is None or sfx is None or not _fits(xp.dtype, (hp,), (c_prev, act, c, tc, h)):
        return False
    N, H = c_prev.shape
    it = xp.itemsize
    getattr(_lib, f"lstm_forward_{sfx}")(N, H, xp.ctypes.data, xp.strides[0] // it, xp.strides[1] // it,
                                         hp.ctypes.data, hp.strides[0] // it, hp.strides[1] // it,
                                         c_prev.ctypes.data, act.ctypes.data, c.ctypes.data, tc.ctypes.data,
                                         h.ctypes.data)
    return True


def lstm_backward(act, tc, c_prev, dh, dc_next, da, dc_prev) -> bool:
    sfx = _SUFFIX.get(tc.dtype)
    if _lib is None or sfx is None or not _fits(tc.dtype, (), (act, tc, c_prev, dh, dc_next, da, dc_prev)):
        return False
    N, H = tc.shape
    getattr(_lib, f"lstm_backward_{sfx}")(N, H, act.ctypes.data, tc.ctypes.data, c_prev.ctypes.data,
                                          dh.ctypes.data, dc_next.ctypes.data, da.ctypes.data, dc_prev.ctypes.data)
    return True


def gru_forward(xp, hp, h_prev, act, hn, h) -> bool:
    sfx = _SUFFIX.get(xp.dtype)
    if _lib is None or sfx is None or not _fits(xp.dtype, (hp,), (h_prev, act, hn, h)):
        return False
    N, H = h_prev.shape
    it = xp.itemsize
    getattr(_lib, f"gru_forward_{sfx}")(N, H, xp.ctypes.data, xp.strides[0] // it, xp.strides[1] // it,
                                        hp.ctypes.data, hp.strides[0] // it, hp.strides[1] // it,
                                        h_prev.ctypes.data, act.ctypes.data, hn.ctypes.data, h.ctypes.data)
    return True


def gru_backward(act, hn, h_prev, dh, dxp, dhp, dh_prev) -> bool:
    sfx = _SUFFIX.get(h_prev.dtype)
    if _lib is None or sfx is None or not _fits(h_prev.dtype, (), (act, hn, h_prev, dh, dxp, dhp, dh_prev)):
        return False
    N, H = h_prev.shape
    getattr(_lib, f"gru_backward_{sfx}")(N, H, act.ctypes.data, hn.ctypes.data, h_prev.ctypes.data,
                                         dh.ctypes.data, dxp.ctypes.data, dhp.ctypes.data, dh_prev.ctypes.data)
    return True
