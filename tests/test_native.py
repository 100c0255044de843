"""The compiled LSTM gate kernels (rnnlab/nn/cells/_gates.c) against the NumPy kernel they replace.

The float64 gradchecks elsewhere run through the compiled kernels whenever they are built; here the
NumPy kernel is gradchecked on its own too, and the two are compared step by step on the arrays the
time loop hands over (the hidden product's output arrives transposed), for both dtypes.
"""

from __future__ import annotations

import numpy as np
import pytest

from rnnlab import gradcheck as gc
from rnnlab.nn.cells import LSTMKernel, native

needs_native = pytest.mark.skipif(not native.available(), reason="compiled gate kernels not built (no C compiler?)")


def _step_arrays(rng, N, H, dtype):
    xp = 3 * rng.standard_normal((N, 4 * H)).astype(dtype)
    hp = (3 * rng.standard_normal((4 * H, N)).astype(dtype)).T  # W_hh h^T, read transposed
    prev = (rng.standard_normal((N, H)).astype(dtype), rng.standard_normal((N, H)).astype(dtype))
    dstate = (rng.standard_normal((N, H)).astype(dtype), rng.standard_normal((N, H)).astype(dtype))
    return xp, hp, prev, dstate


def _run(xp, hp, prev, dstate):
    kernel = LSTMKernel()
    N, H = prev[0].shape
    ws = kernel.workspace(1, N, H, xp.dtype)
    h, c = kernel.forward_step(ws, 0, xp, hp, prev)
    da, _, (_, dc_prev) = kernel.backward_step(ws, 0, dstate, prev)
    return {"act": ws["act"][0].copy(), "tc": ws["tc"][0].copy(), "h": h.copy(), "c": c.copy(), "da": da,
            "dc_prev": dc_prev}


@needs_native
@pytest.mark.parametrize("dtype,tol", [(np.float32, 2e-6), (np.float64, 1e-14)])
@pytest.mark.parametrize("N,H", [(1, 5), (3, 7), (32, 64)])
def test_compiled_lstm_step_matches_numpy(monkeypatch, dtype, tol, N, H):
    arrays = _step_arrays(np.random.default_rng(N * H), N, H, dtype)
    fast = _run(*arrays)
    monkeypatch.setattr(native, "_lib", None)  # the NumPy kernel
    reference = _run(*arrays)
    for name, ref in reference.items():
        np.testing.assert_allclose(fast[name], ref, rtol=tol, atol=tol, err_msg=name)


@needs_native
def test_compiled_kernels_take_the_training_path():
    xp, hp, prev, _ = _step_arrays(np.random.default_rng(0), 4, 6, np.float32)
    act, c, tc, h = np.empty((4, 4, 6), np.float32), *(np.empty((4, 6), np.float32) for _ in range(3))
    assert native.lstm_forward(xp, hp, prev[1], act, c, tc, h)
    assert not native.lstm_forward(xp.astype(np.float16), hp, prev[1], act, c, tc, h)  # falls back


def test_numpy_lstm_kernel_passes_gradcheck_on_its_own(monkeypatch):
    monkeypatch.setattr(native, "_lib", None)
    errors = gc.check_recurrent("lstm", num_layers=2, bidirectional=True, lengths=True)
    assert max(errors.values()) < gc.TOLERANCE, errors
