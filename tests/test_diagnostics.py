"""Gradient-flow diagnostics are as trustworthy as the gradients: the recorded dL/dh_t and the step
Jacobians against central differences in float64, the replayed layer against the model's own backward,
and the pictures' numbers on cases whose answer is known by hand."""

from __future__ import annotations

import numpy as np
import pytest

from rnnlab.insight import diagnostics as dg
from rnnlab.backends import reference
from rnnlab.models import SequenceModel
from rnnlab.nn import SoftmaxCrossEntropy

T, N = 7, 3
LENGTHS = np.array([7, 4, 6])


def _model(cell, pool="last", seed=0):
    rng = np.random.default_rng(seed)
    model = SequenceModel(3, input_size=2, cell=cell, hidden_size=4, num_layers=2, pool=pool,
                               dtype=np.float64, seed=seed)
    model.load_state_dict({k: rng.normal(size=v.shape) * 0.6 for k, v in model.state_dict().items()})
    x = rng.normal(size=(T, N, 2))
    y = rng.integers(0, 3, size=(T, N) if pool == "each" else N)
    return model, x, y


def _trace(model, x, y, lengths=LENGTHS):
    ce = SoftmaxCrossEntropy()
    mask = (np.arange(T)[:, None] < lengths) if y.ndim == 2 else None

    def run():
        ce(model(x, lengths), y, mask)
        model.backward(ce.backward())

    return dg.trace(model, run)


def _continue(tr, k, state):
    """The top layer's outputs and final state when the state after step k - 1 is ``state``."""
    m = None if tr.mask is None else tr.mask[k:]
    S, _ = reference.forward_direction(tr.kernel, tr.XP[k:], state, tr.W_hh, tr.b_rest, m)
    Y = S[0][1:] if m is None else np.where(m, S[0][1:], 0)
    return Y, tuple(s[-1] for s in S)


@pytest.mark.parametrize("cell,pool", [("lstm", "last"), ("gru", "each"), ("rnn", "mean"), ("lstm", "each")])
def test_state_gradients_match_central_differences(cell, pool):
    model, x, y = _model(cell, pool)
    tr = _trace(model, x, y)
    # dL/ds_k is the gradient of <dY, Y> + <dfinal, final> (the upstream gradients held fixed) w.r.t. s_k,
    # Y from step k on and, as h after step k - 1 is also the output y_{k-1}, <dY_{k-1}, h>
    seen = {}
    with dg._recording(model.rnn, seen):
        ce = SoftmaxCrossEntropy()
        mask = (np.arange(T)[:, None] < LENGTHS) if y.ndim == 2 else None
        ce(model(x, LENGTHS), y, mask)
        model.backward(ce.backward())
    dY = seen["d_output"]
    dfinal = seen["d_final_state"]
    dfin = dfinal if isinstance(dfinal, tuple) else (dfinal,)
    dfin = [np.zeros((N, 4)) if g is None else g[-1] for g in dfin]

    def functional(k, state):
        Y, fin = _continue(tr, k, state)
        value = sum((g * f).sum() for g, f in zip(dfin, fin))
        if dY is not None:
            value += (dY[k:] * Y).sum()
            if k > 0:
                value += (np.where(tr.mask[k - 1], dY[k - 1], 0) * state[0]).sum()
        return value

    eps = 1e-6
    for k in (0, 3, 5):
        for i in range(len(tr.S)):
            for n in range(N):
                for u in (0, 3):
                    state = [s[k].copy() for s in tr.S]
                    state[i][n, u] += eps
                    up = functional(k, tuple(state))
                    state[i][n, u] -= 2 * eps
                    down = functional(k, tuple(state))
                    assert tr.dS[i][k][n, u] == pytest.approx((up - down) / (2 * eps), rel=1e-6, abs=1e-9)


@pytest.mark.parametrize("cell", ["lstm", "gru", "rnn"])
def test_the_replayed_layer_is_the_models_own(cell):
    """The top layer's W_hh gradient from the replay equals the one the model's backward accumulated."""
    model, x, y = _model(cell, seed=3)
    tr = _trace(model, x, y)
    # the gradient w.r.t. W_hh is sum_k dhp_k^T h_k: rebuild dhp from dS and the kernel, step by step
    H = 4
    grad = np.zeros_like(tr.W_hh)
    for k in range(T):
        prev = tuple(s[k] for s in tr.S)
        ws = tr.kernel.workspace(1, N, H, np.float64)
        hp = prev[0] @ tr.W_hh.T
        if tr.b_rest is not None:
            hp[:, hp.shape[1] - tr.b_rest.shape[0]:] += tr.b_rest
        tr.kernel.forward_step(ws, 0, tr.XP[k], hp, prev)
        valid = tr.mask[k] if tr.mask is not None else np.ones((N, 1), bool)
        d = tuple(np.where(valid, ds[k + 1], 0) for ds in tr.dS)
        _, dhp, _ = tr.kernel.backward_step(ws, 0, d, prev)
        grad += dhp.T @ prev[0]
    np.testing.assert_allclose(grad, model.rnn.grads["weight_hh_l1"], rtol=1e-10, atol=1e-12)


@pytest.mark.parametrize("cell", ["lstm", "gru", "rnn_relu"])
def test_step_jacobians_match_central_differences(cell):
    model, x, y = _model(cell, seed=4)
    tr = _trace(model, x, y)
    k, n, eps = 2, 1, 1e-6
    J = dg.step_jacobian(tr, k, n)
    H = 4
    for j in range(J.shape[1]):
        cols = []
        for sign in (1, -1):
            state = [s[k][n:n + 1].copy() for s in tr.S]
            state[j // H][0, j % H] += sign * eps
            _, fin = _continue_one(tr, k, n, tuple(state))
            cols.append(np.concatenate(fin, axis=1)[0])
        np.testing.assert_allclose(J[:, j], (cols[0] - cols[1]) / (2 * eps), rtol=1e-6, atol=1e-8)
    assert np.array_equal(dg.step_jacobian(tr, 5, 1), np.eye(J.shape[0]))  # past sequence 1's length (4)
    assert dg.singular_values(tr, 1).shape == (4, J.shape[0])


def _continue_one(tr, k, n, state):
    S, _ = reference.forward_direction(tr.kernel, tr.XP[k:k + 1, n:n + 1], state, tr.W_hh, tr.b_rest, None)
    return None, tuple(s[1] for s in S)


def test_a_linear_regime_rnn_vanishes_at_exactly_its_recurrent_gain():
    """ReLU RNN, every pre-activation positive, W_hh = 0.5 I: dL/dh_{t-1} = 0.5 dL/dh_t, so the norm
    at lag j is 0.5^j times the norm at lag 0; every step's Jacobian singular values are 0.5."""
    model = SequenceModel(2, input_size=2, cell="rnn_relu", hidden_size=3, num_layers=1, dtype=np.float64)
    p = model.rnn.params
    p["weight_ih_l0"][...] = 0.3
    p["weight_hh_l0"][...] = 0.5 * np.eye(3)
    p["bias_ih_l0"][...] = 0.1
    p["bias_hh_l0"][...] = 0.0
    x = np.abs(np.random.default_rng(0).normal(size=(T, N, 2)))
    tr = _trace(model, x, np.array([0, 1, 0]), np.full(N, T))
    lags = dg.lag_norms(tr)
    np.testing.assert_allclose(lags / lags[0], 0.5 ** np.arange(T), rtol=1e-12)
    np.testing.assert_allclose(dg.singular_values(tr, 0), 0.5, rtol=1e-12)


def test_gate_saturation_counts_saturated_gates():
    model, x, y = _model("lstm", seed=5)
    b = model.rnn.params["bias_ih_l1"]
    b[4:8] = 50.0  # forget gate always ~1
    b[0:4] = -50.0  # input gate always ~0
    tr = _trace(model, x, y)
    sat = dg.gate_saturation(tr)
    assert set(sat) == {"input", "forget", "output"}
    assert np.all(sat["forget"][1] == 1) and np.all(sat["forget"][0] == 0)
    assert np.all(sat["input"][0] == 1) and np.all(sat["input"][1] == 0)
    assert dg.gate_saturation(_trace(*_model("rnn"))) == {}
