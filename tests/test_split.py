"""The CPU backend's time loops split over threads by hidden units (rnnlab/backends/cpu/split.py), LSTM,
GRU and Elman RNN, forward and backward, against the NumPy reference loops, and gradchecks through them.
The split is forced here with a backend of fixed threads and blocks of any size
(``CPUBackend(threads=B, min_block=1)``); the default one splits only with OpenBLAS on several threads
and blocks of at least 100 units."""

from __future__ import annotations

import threading

import numpy as np
import pytest
from threadpoolctl import threadpool_info, threadpool_limits

import rnnlab
from rnnlab import gradcheck as gc
from rnnlab.backends import CPUBackend, NumpyBackend
from rnnlab.backends.cpu import native, split
from rnnlab.kernels import GRUKernel, LSTMKernel, RNNKernel

pytestmark = pytest.mark.skipif(native.gemm_packed(np.float32) is None,
                                reason="compiled kernels not built (no C compiler?) or no AVX2: no split")
REFERENCE = NumpyBackend()


@pytest.fixture(params=[2, 1], ids=["avx512", "avx2"], autouse=True)
def isa(request):
    """Every test with each variant of the packed product the CPU has."""
    level = native.gemm_isa(request.param)
    if level != request.param:
        native.gemm_isa(2)
        pytest.skip(f"the CPU lacks this variant ({'AVX-512' if request.param == 2 else 'AVX2'})")
    yield level
    native.gemm_isa(2)


class _Proxy:
    """A module, with some of its attributes replaced."""

    def __init__(self, module, **replaced):
        self._module, self._replaced = module, replaced

    def __getattr__(self, name):
        return self._replaced[name] if name in self._replaced else getattr(self._module, name)


def spied(backend):
    """``backend`` (a CPUBackend), and a list that records, for each loop it is given, whether it split."""
    calls = []
    forward, backward = backend.split.forward, backend.split.backward

    def spy_forward(*args):
        calls.append(forward(*args))
        return calls[-1]

    def spy_backward(*args):
        done = backward(*args)
        calls.append(done is not None)
        return done

    backend.split.forward, backend.split.backward = spy_forward, spy_backward
    return backend, calls


def forced(B):
    """A CPU backend that splits every loop into B blocks (fewer when H < B), and its record of splits."""
    return spied(CPUBackend(threads=B, min_block=1))


def _forward(backend, kernel, XP, s0, W, b_rest, keep):
    """The state sequences and the workspace entries backward reads."""
    S, ws = backend.forward_direction(kernel, XP, s0, W, b_rest, None, keep=keep)
    used = {LSTMKernel: ("act", "tc"), GRUKernel: ("act", "hn"), RNNKernel: ("h",)}[type(kernel)]
    return {f"state {i}": s for i, s in enumerate(S)} | {name: ws[name] for name in used}


KERNELS = [LSTMKernel(), GRUKernel(), RNNKernel("tanh"), RNNKernel("relu")]
KERNEL_IDS = ["lstm", "gru", "rnn tanh", "rnn relu"]


@pytest.mark.parametrize("kernel", KERNELS, ids=KERNEL_IDS)
@pytest.mark.parametrize("dtype,tol", [(np.float32, 1e-6), (np.float64, 1e-13)])
@pytest.mark.parametrize("T,N,H,B", [(5, 1, 7, 2), (4, 5, 7, 3), (3, 4, 64, 2), (3, 9, 40, 2)])
@pytest.mark.parametrize("keep", [True, False])
def test_split_forward_matches_the_reference(kernel, dtype, tol, T, N, H, B, keep):
    rng = np.random.default_rng(T * N * H * B)
    G = kernel.gates
    XP = (2 * rng.standard_normal((T, N, G * H))).astype(dtype)
    W = (rng.standard_normal((G * H, H)) / np.sqrt(H)).astype(dtype)
    b_rest = None if G != 3 else rng.standard_normal(H).astype(dtype)  # GRU's b_hn, added in the loop
    s0 = tuple(rng.standard_normal((N, H)).astype(dtype) for _ in range(kernel.n_states))
    reference = _forward(REFERENCE, kernel, XP, s0, W, b_rest, keep)
    backend, calls = forced(B)
    got = _forward(backend, kernel, XP, s0, W, b_rest, keep)
    assert calls == [True]
    for name, ref in reference.items():
        np.testing.assert_allclose(got[name], ref, rtol=tol, atol=tol, err_msg=name)


@pytest.mark.parametrize("kernel", KERNELS, ids=KERNEL_IDS)
@pytest.mark.parametrize("dtype,tol", [(np.float32, 1e-5), (np.float64, 1e-12)])
@pytest.mark.parametrize("T,N,H,B", [(5, 1, 7, 2), (4, 5, 7, 3), (3, 4, 64, 2), (3, 9, 40, 2)])
@pytest.mark.parametrize("upstream", ["outputs and final state", "outputs", "final state"])
def test_split_backward_matches_the_reference(kernel, dtype, tol, T, N, H, B, upstream):
    rng = np.random.default_rng(T * N * H * B)
    G, n = kernel.gates, kernel.n_states
    XP = (2 * rng.standard_normal((T, N, G * H))).astype(dtype)
    W = (rng.standard_normal((G * H, H)) / np.sqrt(H)).astype(dtype)
    b_rest = None if G != 3 else rng.standard_normal(H).astype(dtype)
    s0 = tuple(rng.standard_normal((N, H)).astype(dtype) for _ in range(n))
    dY = None if upstream == "final state" else rng.standard_normal((T, N, H)).astype(dtype)
    dfinal = (None,) * n if upstream == "outputs" else tuple(rng.standard_normal((N, H)).astype(dtype) for _ in range(n))
    S, ws = REFERENCE.forward_direction(kernel, XP, s0, W, b_rest, None)
    reference = REFERENCE.backward_direction(kernel, ws, S, dY, dfinal, W, None)
    backend, calls = forced(B)
    got = backend.backward_direction(kernel, ws, S, dY, dfinal, W, None)
    assert calls == [True]
    np.testing.assert_allclose(got[0], reference[0], rtol=tol, atol=tol, err_msg="dXP")
    np.testing.assert_allclose(got[1], reference[1], rtol=tol, atol=tol, err_msg="dHP")
    assert (got[1] is got[0]) == (reference[1] is reference[0])
    for i in range(n):
        np.testing.assert_allclose(got[2][i], reference[2][i], rtol=tol, atol=tol, err_msg=f"dstate0 {i}")


@pytest.mark.skipif(native.flush_mode() is None, reason="no subnormal mode to set here (not x86-64)")
def test_the_threads_of_a_split_loop_compute_in_the_callers_subnormal_mode():
    """h_t = tanh(1e-5 h_(t-1)) from h_0 = 1e-30: h_1 = 1e-35, h_2 = 1e-40, a float32 subnormal, kept as it
    is plainly and 0 under ``flush_subnormals``, in the block the second thread computes too."""
    H = 4
    XP = np.zeros((3, 1, H), np.float32)
    W = (1e-5 * np.eye(H)).astype(np.float32)
    s0 = (np.full((1, H), 1e-30, np.float32),)
    backend, calls = forced(2)
    plain = _forward(backend, RNNKernel("tanh"), XP, s0, W, None, True)["state 0"]
    with rnnlab.backends.flush_subnormals():
        flushed = _forward(backend, RNNKernel("tanh"), XP, s0, W, None, True)["state 0"]
    assert calls == [True, True] and native.flush_mode() is False
    assert np.all((plain[2] > 0) & (plain[2] < np.finfo(np.float32).tiny))
    np.testing.assert_array_equal(flushed[1], plain[1])
    assert np.all(flushed[2] == 0) and np.all(flushed[3] == 0)


@pytest.mark.parametrize("mode", ["lstm", "gru", "rnn", "rnn_relu"])
def test_gradcheck_through_the_split_loop(mode):
    backend, calls = forced(2)
    with rnnlab.use_backend(backend):
        errors = gc.check_recurrent(mode, num_layers=2, bidirectional=True, lengths=False)
    assert calls and all(calls)
    assert max(errors.values()) < gc.TOLERANCE, errors


def test_without_the_packed_product_the_loop_stays_on_one_thread():
    backend, calls = forced(2)
    rng = np.random.default_rng(0)
    XP, W = rng.standard_normal((3, 2, 16)).astype(np.float32), rng.standard_normal((16, 4)).astype(np.float32)
    s0 = (np.zeros((2, 4), np.float32),) * 2
    native.gemm_isa(0)  # neither AVX-512 nor AVX2 (the fixture restores it)
    S, ws = backend.forward_direction(LSTMKernel(), XP, s0, W, None, None)
    backend.backward_direction(LSTMKernel(), ws, S, np.ones((3, 2, 4), np.float32), (None, None), W, None)
    assert calls == [False, False]
    np.testing.assert_allclose(S[0], REFERENCE.forward_direction(LSTMKernel(), XP, s0, W, None, None)[0][0],
                               rtol=1e-6, atol=1e-6)


OPENBLAS_THREADS = max((lib["num_threads"] for lib in threadpool_info() if lib["internal_api"] == "openblas"),
                       default=0)


@pytest.mark.skipif(OPENBLAS_THREADS < 2, reason="needs NumPy's OpenBLAS on two threads or more")
def test_the_default_backend_follows_threadpool_limits_at_call_time():
    backend, calls = spied(CPUBackend())  # as the default backend: threads from OpenBLAS at each call
    rng = np.random.default_rng(0)
    XP, W = rng.standard_normal((3, 4, 4 * 256)).astype(np.float32), rng.standard_normal((4 * 256, 256)).astype(np.float32)
    s0 = (np.zeros((4, 256), np.float32),) * 2
    split_run = backend.forward_direction(LSTMKernel(), XP, s0, W, None, None)[0][0]
    with threadpool_limits(1):
        one = backend.forward_direction(LSTMKernel(), XP, s0, W, None, None)[0][0]
    assert calls == [True, False]
    np.testing.assert_allclose(split_run, one, rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize("failing", ["worker", "main"], ids=["on a worker thread", "on the calling thread"])
def test_an_error_in_a_threads_set_up_surfaces_without_hanging(monkeypatch, failing):
    """The other threads are in their compiled loops by then, waiting at the first barrier."""
    backend, _ = forced(2)

    def empty(*args, **kwargs):
        if threading.current_thread().name.startswith("rnnlab-split") == (failing == "worker"):
            raise RuntimeError("set-up failed")
        return np.empty(*args, **kwargs)

    monkeypatch.setattr(split, "np", _Proxy(np, empty=empty))
    rng = np.random.default_rng(0)
    XP, W = rng.standard_normal((6, 2, 16)), rng.standard_normal((16, 4))
    s0 = (np.zeros((2, 4)), np.zeros((2, 4)))
    outcome = []

    def run():
        try:
            _forward(backend, LSTMKernel(), XP, s0, W, None, True)
        except RuntimeError as e:
            outcome.append(str(e))
        else:
            outcome.append("no error")

    t = threading.Thread(target=run, daemon=True)
    t.start()
    t.join(timeout=20)
    assert not t.is_alive(), "the split loop hung after a thread failed"
    assert outcome == ["set-up failed"]


FORK_BACKEND, FORK_CALLS = forced(2)


def _forward_on_the_fork_backend(*args):
    FORK_CALLS.clear()
    out = _forward(FORK_BACKEND, *args)
    assert FORK_CALLS == [True]
    return out


def test_a_forked_process_runs_the_split_loop_on_threads_of_its_own():
    """A fork inherits the parent's thread pool object but none of its threads."""
    import multiprocessing

    rng = np.random.default_rng(0)
    XP, W = rng.standard_normal((4, 2, 16)), rng.standard_normal((16, 4))
    s0 = (np.zeros((2, 4)), np.zeros((2, 4)))
    expected = _forward_on_the_fork_backend(LSTMKernel(), XP, s0, W, None, True)["state 0"]  # the pool exists now
    ctx = multiprocessing.get_context("fork")
    with ctx.Pool(1) as pool:
        result = pool.apply_async(_forward_on_the_fork_backend, (LSTMKernel(), XP, s0, W, None, True))
        got = result.get(timeout=20)["state 0"]  # raises TimeoutError if the child hangs
    np.testing.assert_array_equal(got, expected)
