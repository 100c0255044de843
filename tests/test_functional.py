"""Element-wise functions are accurate to rounding in the dtype they run in."""

import numpy as np
import pytest

from rnnlab.functional import sigmoid, softmax


@pytest.mark.parametrize("dtype,tol", [(np.float32, 5e-7), (np.float64, 1e-15)])
def test_sigmoid_relative_error_over_the_whole_line(dtype, tol):
    x = np.linspace(-80, 80, 200_001).astype(dtype)
    exact = 1 / (1 + np.exp(-x.astype(np.longdouble)))
    got = sigmoid(x)
    assert got.dtype == dtype
    assert float(np.max(np.abs(got - exact) / exact)) < tol


def test_sigmoid_in_place_and_extremes():
    x = np.array([-1000.0, -30.0, 0.0, 30.0, 1000.0], np.float32)
    expected = np.array([0.0, 9.357623e-14, 0.5, 1.0, 1.0], np.float32)
    sigmoid(x, out=x)  # aliasing input and output is allowed
    np.testing.assert_allclose(x, expected, rtol=1e-6)


def test_softmax_is_shift_invariant_and_normalised():
    z = np.array([[1000.0, 1001.0, 999.0], [-5.0, 0.0, 5.0]])
    p = softmax(z)
    np.testing.assert_allclose(p.sum(axis=1), 1.0)
    np.testing.assert_allclose(p[0], softmax(z[0] - 1000.0))


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_sigmoid_in_place_on_a_strided_column(dtype):
    """The gate slices of a hidden size 1 are strided columns; in-place ufuncs must still be right.
    (NumPy 2.4.6's in-place np.negative reads the wrong elements there for float32.)"""
    a = np.linspace(-3, 3, 24).astype(dtype).reshape(6, 4)
    want = 1 / (1 + np.exp(-a[:, 3].astype(np.float64)))
    sigmoid(a[:, 3:], out=a[:, 3:])
    np.testing.assert_allclose(a[:, 3], want, rtol=1e-6)
