"""The CPU backend's compiled steps (rnnlab/backends/cpu/_gates.c, through the twins in kernels.py)
against the NumPy reference kernels, and the split loops' compiled product (_gemm.c) against NumPy's.

The float64 gradchecks elsewhere run through the default backend (the compiled one where it is built)
and, in CI's last pass, through the reference (RNNLAB_BACKEND=numpy); here the two steps are
compared one by one on the arrays the time loop hands over (the hidden product's output arrives
transposed), for both dtypes.
"""

from __future__ import annotations

import numpy as np
import pytest

import rnnlab
from rnnlab import gradcheck as gc
from rnnlab.backends.cpu import native
from rnnlab.backends.cpu.kernels import CompiledGRU, CompiledLSTM, twin
from rnnlab.kernels import GRUKernel, LSTMKernel, RNNKernel

needs_native = pytest.mark.skipif(not native.available(), reason="compiled gate kernels not built (no C compiler?)")


def _step_arrays(rng, kernel, N, H, dtype):
    G, n = kernel.gates, kernel.n_states
    xp = 3 * rng.standard_normal((N, G * H)).astype(dtype)
    hp = (3 * rng.standard_normal((G * H, N)).astype(dtype)).T  # W_hh h^T, read transposed
    prev = tuple(rng.standard_normal((N, H)).astype(dtype) for _ in range(n))
    dstate = tuple(rng.standard_normal((N, H)).astype(dtype) for _ in range(n))
    return xp, hp, prev, dstate


def _run(kernel, xp, hp, prev, dstate):
    """Everything one forward and one backward step write or return."""
    N, H = prev[0].shape
    ws = kernel.workspace(1, N, H, xp.dtype)
    new = kernel.forward_step(ws, 0, xp, hp, prev)
    dxp, dhp, direct = kernel.backward_step(ws, 0, dstate, prev)
    out = {f"ws {name}": a[0].copy() for name, a in ws.items()}
    out |= {f"state {i}": s.copy() for i, s in enumerate(new)}
    out |= {"dxp": dxp, "dhp": dhp} | {f"direct {i}": g for i, g in enumerate(direct) if g is not None}
    return out


@needs_native
@pytest.mark.parametrize("kernel", [LSTMKernel(), GRUKernel()], ids=["lstm", "gru"])
@pytest.mark.parametrize("dtype,tol", [(np.float32, 2e-6), (np.float64, 1e-14)])
@pytest.mark.parametrize("N,H", [(1, 5), (3, 7), (32, 64)])
def test_compiled_step_matches_numpy(kernel, dtype, tol, N, H):
    arrays = _step_arrays(np.random.default_rng(N * H), kernel, N, H, dtype)
    fast = _run(twin(kernel), *arrays)
    reference = _run(kernel, *arrays)
    assert fast.keys() == reference.keys()
    for name, ref in reference.items():
        np.testing.assert_allclose(fast[name], ref, rtol=tol, atol=tol, err_msg=name)


@needs_native
def test_compiled_kernel_takes_the_loops_arrays_and_refuses_others():
    xp, hp, prev, _ = _step_arrays(np.random.default_rng(0), LSTMKernel(), 4, 6, np.float32)
    act, c, tc, h = np.empty((4, 4, 6), np.float32), *(np.empty((4, 6), np.float32) for _ in range(3))
    assert native.lstm_forward(xp, hp, prev[1], act, c, tc, h)
    assert native.lstm_backward(act, tc, prev[1], h, c, np.empty((4, 24), np.float32), np.empty((4, 6), np.float32))
    gxp, ghp, gprev, _ = _step_arrays(np.random.default_rng(1), GRUKernel(), 4, 6, np.float32)
    gact, hn = np.empty((3, 4, 6), np.float32), np.empty((4, 6), np.float32)
    assert native.gru_forward(gxp, ghp, gprev[0], gact, hn, h)
    assert native.gru_backward(gact, hn, gprev[0], h, *(np.empty((4, 18), np.float32) for _ in range(2)), c)
    assert not native.lstm_forward(xp.astype(np.float16), hp, prev[1], act, c, tc, h)  # falls back
    assert not native.lstm_forward(xp, hp.astype(np.float64), prev[1], act, c, tc, h)  # mixed dtypes
    assert not native.lstm_forward(xp, hp, prev[1], act, c, tc, np.empty((6, 4), np.float32).T)  # not contiguous


@pytest.mark.parametrize("backend", ["numpy", "cpu"])
@pytest.mark.parametrize("mode", ["lstm", "gru"])
def test_each_backend_passes_gradcheck(mode, backend):
    if backend not in rnnlab.backends.available():
        pytest.skip("compiled kernels not built (no C compiler?)")
    with rnnlab.use_backend(backend):
        errors = gc.check_recurrent(mode, num_layers=2, bidirectional=True, lengths=True)
    assert max(errors.values()) < gc.TOLERANCE, errors


@needs_native
def test_twins_are_found_by_exact_class_only():
    class Mine(LSTMKernel):
        pass

    assert type(twin(LSTMKernel())) is CompiledLSTM and type(twin(GRUKernel())) is CompiledGRU
    assert twin(RNNKernel("relu")).relu == 1 and twin(RNNKernel("tanh")).relu == 0
    assert twin(Mine()) is None


@pytest.mark.skipif(native.gemm_packed(np.float32) is None, reason="compiled product not built, or no AVX2")
@pytest.mark.parametrize("isa", [2, 1], ids=["avx512", "avx2"])
@pytest.mark.parametrize("dtype,tol", [(np.float32, 2e-6), (np.float64, 1e-14)])
@pytest.mark.parametrize("N,K,M", [(1, 1, 1), (3, 7, 5), (8, 64, 32), (9, 33, 47), (17, 100, 70), (32, 512, 1024)])
def test_packed_product_matches_numpy(isa, dtype, tol, N, K, M):
    """Row blocks of 8 (AVX-512) or 3 (AVX2) and column panels of 128 bytes, each with and without a
    remainder; A and C with row strides past their width, and C's columns past M left alone."""
    try:
        if native.gemm_isa(isa) != isa:
            pytest.skip("the CPU lacks this instruction set")
        _check_packed_product(dtype, tol, N, K, M)
    finally:
        native.gemm_isa(2)


def _check_packed_product(dtype, tol, N, K, M):
    rng = np.random.default_rng(N * K * M)
    A = rng.standard_normal((N, K + 3)).astype(dtype)[:, :K]
    B = rng.standard_normal((K, M)).astype(dtype)
    C = np.full((N, M + 2), 7.0, dtype)
    Bp = native.pack(B)
    assert Bp.ctypes.data % 64 == 0
    f = native.gemm_packed(dtype)
    assert f(N=N, K=K, M=M, A=A.ctypes.data, lda=K + 3, Bp=Bp.ctypes.data, C=C.ctypes.data, ldc=M + 2) == 1
    expected = A.astype(np.float64) @ B.astype(np.float64)
    np.testing.assert_allclose(C[:, :M], expected, rtol=0, atol=tol * np.sqrt(K) * np.abs(expected).max())
    assert (C[:, M:] == 7).all()
