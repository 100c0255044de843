"""The LSTM and GRU time loops, forward and backward, split over threads by hidden units
(rnnlab/nn/split.py) against the one-thread loops, and gradchecks through them. The split is forced here (any machine, small sizes): on its own it
runs only with OpenBLAS on several threads and blocks of at least split.MIN_BLOCK units."""

from __future__ import annotations

import contextlib
import threading

import numpy as np
import pytest

from rnnlab import gradcheck as gc
from rnnlab.nn import bptt, split
from rnnlab.nn.cells import GRUKernel, LSTMKernel, native

pytestmark = pytest.mark.skipif(not native.available(), reason="compiled gate kernels not built (no C compiler?)")


class _Proxy:
    """A module, with some of its attributes replaced."""

    def __init__(self, module, **replaced):
        self._module, self._replaced = module, replaced

    def __getattr__(self, name):
        return self._replaced[name] if name in self._replaced else getattr(self._module, name)


class _NoLimit:
    def limit(self, limits):
        return contextlib.nullcontext()


@pytest.fixture
def force_split(monkeypatch):
    """Split into ``B`` blocks whatever the BLAS and the sizes; returns a list of the calls that split."""
    calls = []
    real = split.forward_split

    def spy(*args):
        done = real(*args)
        calls.append(done)
        return done

    def spy_backward(*args):
        done = real_backward(*args)
        calls.append(done is not None)
        return done

    real_backward = split.backward_split

    def set_blocks(B, product="compiled"):
        """product "compiled" (native.gemm_packed, where it runs) or "BLAS" (NumPy's, as without AVX-512)."""
        if product == "BLAS":
            monkeypatch.setattr(split, "native", _Proxy(native, gemm_packed=lambda dtype: None))
        monkeypatch.setattr(split, "_blas", (_NoLimit(), B))
        monkeypatch.setattr(split, "MIN_BLOCK", 1)
        monkeypatch.setattr(bptt, "forward_split", spy)
        monkeypatch.setattr(bptt, "backward_split", spy_backward)
        return calls
    return set_blocks


def _forward(kernel, XP, s0, W, b_rest, keep):
    """The state sequences and the workspace entries backward reads."""
    S, ws = bptt.forward_direction(kernel, XP, s0, W, b_rest, None, keep=keep)
    used = ("act", "tc") if isinstance(kernel, LSTMKernel) else ("act", "hn")
    return {f"state {i}": s for i, s in enumerate(S)} | {name: ws[name] for name in used}


@pytest.mark.parametrize("kernel", [LSTMKernel(), GRUKernel()], ids=["lstm", "gru"])
@pytest.mark.parametrize("dtype,tol", [(np.float32, 1e-6), (np.float64, 1e-13)])
@pytest.mark.parametrize("T,N,H,B", [(5, 1, 7, 2), (4, 5, 7, 3), (3, 4, 64, 2), (3, 9, 40, 2)])
@pytest.mark.parametrize("keep", [True, False])
@pytest.mark.parametrize("product", ["compiled", "BLAS"])
def test_split_forward_matches_the_one_thread_loop(force_split, kernel, dtype, tol, T, N, H, B, keep, product):
    rng = np.random.default_rng(T * N * H * B)
    G = kernel.gates
    XP = (2 * rng.standard_normal((T, N, G * H))).astype(dtype)
    W = (rng.standard_normal((G * H, H)) / np.sqrt(H)).astype(dtype)
    b_rest = None if G == 4 else rng.standard_normal(H).astype(dtype)  # GRU's b_hn, added in the loop
    s0 = tuple(rng.standard_normal((N, H)).astype(dtype) for _ in range(kernel.n_states))
    reference = _forward(kernel, XP, s0, W, b_rest, keep)
    calls = force_split(B, product)
    got = _forward(kernel, XP, s0, W, b_rest, keep)
    assert calls == [True]
    for name, ref in reference.items():
        np.testing.assert_allclose(got[name], ref, rtol=tol, atol=tol, err_msg=name)


@pytest.mark.parametrize("kernel", [LSTMKernel(), GRUKernel()], ids=["lstm", "gru"])
@pytest.mark.parametrize("dtype,tol", [(np.float32, 1e-5), (np.float64, 1e-12)])
@pytest.mark.parametrize("T,N,H,B", [(5, 1, 7, 2), (4, 5, 7, 3), (3, 4, 64, 2), (3, 9, 40, 2)])
@pytest.mark.parametrize("upstream", ["outputs and final state", "outputs", "final state"])
@pytest.mark.parametrize("product", ["compiled", "BLAS"])
def test_split_backward_matches_the_one_thread_loop(force_split, kernel, dtype, tol, T, N, H, B, upstream, product):
    rng = np.random.default_rng(T * N * H * B)
    G, n = kernel.gates, kernel.n_states
    XP = (2 * rng.standard_normal((T, N, G * H))).astype(dtype)
    W = (rng.standard_normal((G * H, H)) / np.sqrt(H)).astype(dtype)
    b_rest = None if G == 4 else rng.standard_normal(H).astype(dtype)
    s0 = tuple(rng.standard_normal((N, H)).astype(dtype) for _ in range(n))
    dY = None if upstream == "final state" else rng.standard_normal((T, N, H)).astype(dtype)
    dfinal = (None,) * n if upstream == "outputs" else tuple(rng.standard_normal((N, H)).astype(dtype) for _ in range(n))
    S, ws = bptt.forward_direction(kernel, XP, s0, W, b_rest, None)
    reference = bptt.backward_direction(kernel, ws, S, dY, dfinal, W, None)
    calls = force_split(B, product)
    got = bptt.backward_direction(kernel, ws, S, dY, dfinal, W, None)
    assert calls == [True]
    np.testing.assert_allclose(got[0], reference[0], rtol=tol, atol=tol, err_msg="dXP")
    np.testing.assert_allclose(got[1], reference[1], rtol=tol, atol=tol, err_msg="dHP")
    assert (got[1] is got[0]) == (reference[1] is reference[0])
    for i in range(n):
        np.testing.assert_allclose(got[2][i], reference[2][i], rtol=tol, atol=tol, err_msg=f"dstate0 {i}")


@pytest.mark.parametrize("product", ["compiled", "BLAS"])
@pytest.mark.parametrize("mode", ["lstm", "gru"])
def test_gradcheck_through_the_split_loop(force_split, mode, product):
    calls = force_split(2, product)
    errors = gc.check_recurrent(mode, num_layers=2, bidirectional=True, lengths=False)
    assert calls and all(calls)
    assert max(errors.values()) < gc.TOLERANCE, errors


def _fails_on_workers(f):
    def wrapped(*args, **kwargs):
        if threading.current_thread().name.startswith("rnnlab-split"):
            raise RuntimeError("worker failed")
        return f(*args, **kwargs)
    return wrapped


@pytest.mark.parametrize("failing", ["step", "set-up"], ids=["in a step", "in the set-up"])
def test_an_error_in_a_worker_thread_surfaces_without_hanging(force_split, monkeypatch, failing):
    force_split(2)
    if failing == "step":  # the compiled gate kernel, called every step
        monkeypatch.setattr(split, "native", _Proxy(native, function=lambda *a: _fails_on_workers(native.function(*a))))
    else:  # np.empty, which every block's set-up calls for its buffers
        monkeypatch.setattr(split, "np", _Proxy(np, empty=_fails_on_workers(np.empty)))
    rng = np.random.default_rng(0)
    XP, W = rng.standard_normal((6, 2, 16)), rng.standard_normal((16, 4))
    s0 = (np.zeros((2, 4)), np.zeros((2, 4)))
    outcome = []

    def run():
        try:
            _forward(LSTMKernel(), XP, s0, W, None, True)
        except RuntimeError as e:
            outcome.append(str(e))

    t = threading.Thread(target=run, daemon=True)
    t.start()
    t.join(timeout=20)
    assert not t.is_alive(), "the split loop hung after a worker failed"
    assert outcome == ["worker failed"]


def test_a_forked_process_runs_the_split_loop_on_threads_of_its_own(force_split):
    """A fork inherits the parent's thread pool object but none of its threads."""
    import multiprocessing

    force_split(2)
    rng = np.random.default_rng(0)
    XP, W = rng.standard_normal((4, 2, 16)), rng.standard_normal((16, 4))
    s0 = (np.zeros((2, 4)), np.zeros((2, 4)))
    expected = _forward(LSTMKernel(), XP, s0, W, None, True)["state 0"]  # the parent's pool now exists
    ctx = multiprocessing.get_context("fork")
    with ctx.Pool(1) as pool:
        result = pool.apply_async(_forward, (LSTMKernel(), XP, s0, W, None, True))
        got = result.get(timeout=20)["state 0"]  # raises TimeoutError if the child hangs
    np.testing.assert_array_equal(got, expected)
