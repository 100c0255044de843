"""Every backward pass against central differences in float64, and proof that the check can fail."""

import numpy as np
import pytest

from cases import MODES

import rnnlab
from rnnlab import gradcheck as gc
from rnnlab.kernels import GRUKernel, LSTMKernel, RNNKernel

# (num_layers, bidirectional, batch_first, lengths, dropout, max_elements)
CONFIGS = [
    (1, False, False, False, 0.0, None),
    (2, True, False, True, 0.0, None),
    (3, True, True, True, 0.0, 60),
    (3, False, True, True, 0.4, 60),
]


@pytest.mark.parametrize("cfg", CONFIGS, ids=lambda c: "L{}-bi{:d}-bf{:d}-len{:d}-drop{}".format(*c[:5]))
@pytest.mark.parametrize("mode", MODES)
def test_recurrent_layer(mode, cfg):
    layers, bi, bf, lengths, dropout, k = cfg
    errors = gc.check_recurrent(mode, layers, bi, bf, lengths, dropout=dropout, T=4, max_elements=k, seed=7)
    assert {"input", "state_h"} <= set(errors) and ("state_c" in errors) == (mode == "lstm")
    assert max(errors.values()) < gc.TOLERANCE, errors


@pytest.mark.parametrize("cfg", CONFIGS[1:3], ids=lambda c: "L{}-bi{:d}-bf{:d}-len{:d}-drop{}".format(*c[:5]))
def test_lstm_with_projections(cfg):
    """proj_size 2 < hidden 4: every weight (weight_hr too), the input and both initial states."""
    layers, bi, bf, lengths, dropout, k = cfg
    errors = gc.check_recurrent("lstm", layers, bi, bf, lengths, dropout=dropout, T=4, max_elements=k, seed=7,
                                proj_size=2)
    assert {"input", "state_h", "state_c", "weight_hr_l0"} <= set(errors), errors
    assert max(errors.values()) < gc.TOLERANCE, errors


@pytest.mark.parametrize("mode", MODES)
def test_cell(mode):
    errors = gc.check_cell(mode, seed=3)
    assert max(errors.values()) < gc.TOLERANCE, errors


@pytest.mark.parametrize("check", [gc.check_linear, gc.check_embedding, gc.check_dropout,
                                   gc.check_cross_entropy, lambda: gc.check_cross_entropy(masked=False)])
def test_other_layers(check):
    errors = check()
    assert max(errors.values()) < gc.TOLERANCE, errors


def test_numerical_gradient_of_known_function():
    x = np.array([[0.3, -1.2], [2.0, 0.5]])
    g = gc.numerical_gradient(lambda: float((x**3).sum()), x)
    np.testing.assert_allclose(g, 3 * x**2, rtol=1e-9)
    with pytest.raises(ValueError, match="float64"):
        gc.numerical_gradient(lambda: 0.0, x.astype(np.float32))


# -- the check must catch real mistakes ------------------------------------------------------

_lstm_backward, _gru_backward = LSTMKernel.backward_step, GRUKernel.backward_step


def _lstm_without_cell_path(self, ws, k, dstate, prev, out=None):
    da, _, (_, dc_prev) = _lstm_backward(self, ws, k, dstate, prev, out)
    return da, da, (None, dc_prev * 0)  # forgets dc_{t-1} = dc * f


def _gru_reset_gate_before_product(self, ws, k, dstate, prev, out=None):
    dxp, _, direct = _gru_backward(self, ws, k, dstate, prev, out)
    return dxp, dxp, direct  # treats dL/d(hn) as if r were not applied after W_hn h


def _rnn_wrong_derivative(self, ws, k, dstate, prev, out=None):
    (dh,) = dstate
    return dh, dh, (None,)  # forgets tanh'


@pytest.mark.parametrize("mode,cls,bad", [
    ("lstm", LSTMKernel, _lstm_without_cell_path),
    ("gru", GRUKernel, _gru_reset_gate_before_product),
    ("rnn", RNNKernel, _rnn_wrong_derivative),
])
def test_gradcheck_catches_a_wrong_backward(monkeypatch, mode, cls, bad):
    monkeypatch.setattr(cls, "backward_step", bad)  # the reference kernel: run on the reference backend
    with rnnlab.use_backend("numpy"):
        errors = gc.check_recurrent(mode, 1, False, False, False, max_elements=20)
    assert max(errors.values()) > 1e-2


@pytest.mark.parametrize("dropout,fuse", [(0.3, None), (0.0, True)])
@pytest.mark.parametrize("tie", [True, False])
@pytest.mark.parametrize("cell", ["rnn", "rnn_relu", "lstm", "gru"])
def test_language_model(cell, tie, dropout, fuse):
    """The whole model with its loss: embedding, dropout, 2-layer stack, decoder (tied or not), CE;
    and without dropout, with the embedding fused into the first layer's input product."""
    errors = gc.check_language_model(cell, tie_weights=tie, dropout=dropout, seed=2, fuse_input=fuse)
    assert ("decoder.weight" in errors) != tie  # a tied decoder has no weight of its own
    assert max(errors.values()) < gc.TOLERANCE, errors


@pytest.mark.parametrize("tie,dropout,fuse", [(False, 0.3, False), (True, 0.0, True)])
def test_language_model_with_projections(tie, dropout, fuse):
    errors = gc.check_language_model("lstm", tie_weights=tie, dropout=dropout, seed=2, fuse_input=fuse, proj_size=3)
    assert "rnn.weight_hr_l1" in errors and ("decoder.weight" in errors) != tie
    assert max(errors.values()) < gc.TOLERANCE, errors


@pytest.mark.parametrize("cfg", CONFIGS[:2], ids=lambda c: "L{}-bi{:d}-bf{:d}-len{:d}".format(*c[:4]))
@pytest.mark.parametrize("mode", ["ln_lstm", "ln_gru"])
def test_layer_normalised_cells(mode, cfg):
    """Every weight, every gain and shift of the normalisations, the input and the initial states."""
    layers, bi, bf, lengths, dropout, k = cfg
    errors = gc.check_recurrent(mode, layers, bi, bf, lengths, dropout=dropout, T=4, max_elements=k, seed=7)
    assert {"input", "state_h", "ln_ih_weight_l0", "ln_hh_weight_l0"} <= set(errors), errors
    assert max(errors.values()) < gc.TOLERANCE, errors
    errors = gc.check_cell(mode, seed=3)
    assert max(errors.values()) < gc.TOLERANCE, errors
