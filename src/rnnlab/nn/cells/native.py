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
# name: (arrays passed by pointer and (row, column) strides, arrays passed by pointer alone), after N, H
_SIGNATURES = {"lstm_forward": (2, 5), "lstm_backward": (0, 7), "gru_forward": (2, 4), "gru_backward": (0, 7)}
_SUFFIX = {np.dtype(np.float32): "f32", np.dtype(np.float64): "f64"}
_functions = {}  # (name, dtype) -> the C function
if _lib is not None:
    _L, _P = ctypes.c_long, ctypes.c_void_p
    for _name, (_strided, _plain) in _SIGNATURES.items():
        for _dtype, _sfx in _SUFFIX.items():
            _f = getattr(_lib, f"{_name}_{_sfx}")
            _f.argtypes = [_L, _L] + [_P, _L, _L] * _strided + [_P] * _plain
            _functions[_name, _dtype] = _f


def available() -> bool:
    return _lib is not None


def _call(name, shape, strided, contiguous) -> bool:
    """Run the C function ``name`` for (N, H) = ``shape`` if it can take the arrays: all of one
    float dtype, those in ``contiguous`` C-contiguous (``strided`` ones are passed with their strides)."""
    dtype = contiguous[0].dtype
    if (_lib is None or (name, dtype) not in _functions
            or any(a.dtype != dtype for a in (*strided, *contiguous))
            or not all(a.flags.c_contiguous for a in contiguous)):
        return False
    it = dtype.itemsize
    args = [*shape]
    for a in strided:
        args += [a.ctypes.data, a.strides[0] // it, a.strides[1] // it]
    _functions[name, dtype](*args, *(a.ctypes.data for a in contiguous))
    return True


def lstm_forward(xp, hp, c_prev, act, c, tc, h) -> bool:
    return _call("lstm_forward", c_prev.shape, (xp, hp), (c_prev, act, c, tc, h))


def lstm_backward(act, tc, c_prev, dh, dc_next, da, dc_prev) -> bool:
    return _call("lstm_backward", tc.shape, (), (act, tc, c_prev, dh, dc_next, da, dc_prev))


def gru_forward(xp, hp, h_prev, act, hn, h) -> bool:
    return _call("gru_forward", h_prev.shape, (xp, hp), (h_prev, act, hn, h))


def gru_backward(act, hn, h_prev, dh, dxp, dhp, dh_prev) -> bool:
    return _call("gru_backward", h_prev.shape, (), (act, hn, h_prev, dh, dxp, dhp, dh_prev))
