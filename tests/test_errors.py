"""Wrong shapes, dtypes, states and arguments raise ValueError naming what was expected and what came."""

import numpy as np
import pytest

import rnnlab.nn as nn


def lstm(**kw):
    return nn.LSTM(3, 4, num_layers=2, **kw)


X = np.zeros((5, 2, 3), np.float32)


@pytest.mark.parametrize("call,pattern", [
    (lambda: lstm().forward(np.zeros((5, 3), np.float32)), r"3-D .* got shape \(5, 3\)"),
    (lambda: lstm().forward([[1.0]]), "3-D numpy array"),
    (lambda: lstm().forward(X.astype(np.float64)), "dtype float32, got float64"),
    (lambda: lstm().forward(np.zeros((5, 2, 7), np.float32)), "Expected 3, got 7"),
    (lambda: lstm().forward(np.zeros((0, 2, 3), np.float32)), "at least one time step"),
    (lambda: lstm().forward(X, np.zeros((2, 2, 4), np.float32)), r"tuple \(h, c\)"),
    (lambda: lstm().forward(X, (np.zeros((1, 2, 4), np.float32),) * 2), r"shape \(2, 2, 4\), got \(1, 2, 4\)"),
    (lambda: nn.GRU(3, 4).forward(X, np.zeros((1, 3, 4), np.float32)), r"shape \(1, 2, 4\), got \(1, 3, 4\)"),
    (lambda: nn.GRU(3, 4).forward(X, np.zeros((1, 2, 4))), "dtype float32, got float64"),
    (lambda: lstm().forward(X, None, [5, 0]), r"lengths must lie in \[1, 5\]"),
    (lambda: lstm().forward(X, None, [5, 6]), r"lengths must lie in \[1, 5\]"),
    (lambda: lstm().forward(X, None, [5]), "2 integers"),
    (lambda: lstm().forward(X, None, [2.5, 1.0]), "integers"),
    (lambda: nn.RNN(3, 0), "hidden_size must be a positive integer, got 0"),
    (lambda: nn.RNN(3, 4, num_layers=1.5), "num_layers must be a positive integer"),
    (lambda: nn.RNN(3, 4, nonlinearity="sigmoid"), "'tanh' or 'relu'"),
    (lambda: nn.LSTM(3, 4, dropout=1.0), r"dropout must be a number in \[0, 1\)"),
    (lambda: nn.GRU(3, 4, dtype=np.float16), "float32 or float64, got float16"),
    (lambda: nn.Linear(3, 2).forward(np.zeros((4, 5), np.float32)), r"\(\.\.\., 3\), got shape \(4, 5\)"),
    (lambda: nn.Embedding(5, 2).forward(np.array([0, 5])), r"\[0, 5\)"),
    (lambda: nn.Embedding(5, 2).forward(np.array([0.5])), "integer indices"),
    (lambda: nn.SoftmaxCrossEntropy().forward(np.zeros((3, 4)), np.array([0, 1])), "disagree"),
    (lambda: nn.SoftmaxCrossEntropy().forward(np.zeros((2, 4)), np.array([0, 4])), r"\[0, 4\)"),
    (lambda: nn.SoftmaxCrossEntropy().forward(np.zeros((2, 4)), np.array([0, 1]), np.zeros(2)), "zero tokens"),
    (lambda: nn.LSTMCell(3, 4).forward(np.zeros((2, 3), np.float32), np.zeros((2, 4), np.float32)), r"\(h, c\)"),
    (lambda: nn.GRUCell(3, 4).forward(np.zeros((2, 3), np.float32), np.zeros((3, 4), np.float32)), r"\(2, 4\), got \(3, 4\)"),
])
def test_bad_input_raises_value_error(call, pattern):
    with pytest.raises(ValueError, match=pattern):
        call()


def test_backward_before_forward():
    with pytest.raises(RuntimeError, match="no forward left to go back through"):
        lstm().backward(np.zeros((5, 2, 4), np.float32))


def test_backward_checks_its_gradient_shape():
    layer = lstm()
    layer.forward(X)
    with pytest.raises(ValueError, match=r"d_output must have shape \(5, 2, 4\), got \(5, 2, 8\)"):
        layer.backward(np.zeros((5, 2, 8), np.float32))
    with pytest.raises(ValueError, match=r"d_final_state h must have shape \(2, 2, 4\)"):
        layer.backward(np.zeros((5, 2, 4), np.float32), (np.zeros((1, 2, 4), np.float32), None))


def test_load_state_dict_names_what_is_wrong_and_changes_nothing():
    layer = lstm(seed=0)
    before = layer.state_dict()
    good = {k: np.ones_like(v) for k, v in before.items()}
    missing = dict(good)
    del missing["bias_hh_l1"]
    with pytest.raises(ValueError, match=r"missing keys \['bias_hh_l1'\]"):
        layer.load_state_dict(missing)
    with pytest.raises(ValueError, match=r"unexpected keys \['weight_ih_l2'\]"):
        layer.load_state_dict(good | {"weight_ih_l2": np.zeros((16, 4), np.float32)})
    bad_shape = good | {"weight_hh_l0": np.ones((16, 5), np.float32)}
    with pytest.raises(ValueError, match=r"'weight_hh_l0'\] has shape \(16, 5\), expected \(16, 4\)"):
        layer.load_state_dict(bad_shape)
    bad_dtype = good | {"bias_ih_l0": np.ones(16, np.float64)}
    with pytest.raises(ValueError, match="has dtype float64, expected float32"):
        layer.load_state_dict(bad_dtype)
    for k, v in before.items():  # a failed load leaves every weight as it was
        np.testing.assert_array_equal(layer.params[k], v)
