"""Behaviour that catches "trains but is wrong": causality, carried state, padding, modes, dtypes."""

import numpy as np
import pytest
from cases import MODES, make_layer


def randomised(mode, dtype=np.float64, seed=0, **kw):
    layer = make_layer(mode, 3, 5, dtype=dtype, seed=seed, **kw)
    rng = np.random.default_rng(seed + 100)
    layer.load_state_dict({k: (rng.normal(size=v.shape) * 0.5).astype(dtype) for k, v in layer.state_dict().items()})
    return layer


def as_tuple(s):
    return s if isinstance(s, tuple) else (s,)


def untuple(s):
    return s if len(s) == 2 else s[0]


@pytest.mark.parametrize("mode", MODES)
def test_first_input_reaches_last_output(mode):
    layer = randomised(mode, num_layers=2, bidirectional=True)
    x = np.random.default_rng(1).normal(size=(6, 2, 3))
    y, _ = layer.forward(x)
    x2 = x.copy()
    x2[0] += 1.0
    y2, _ = layer.forward(x2)
    H = 5
    # every sequence: some unit of y_{T-1} (forward direction) moves when x_0 moves
    assert np.abs(y2[-1, :, :H] - y[-1, :, :H]).max(axis=1).min() > 1e-3
    x3 = x.copy()
    x3[-1] += 1.0
    y3, _ = layer.forward(x3)
    assert np.abs(y3[0, :, H:] - y[0, :, H:]).max(axis=1).min() > 1e-3  # reverse: x_{T-1} -> y_0
    uni = randomised(mode, num_layers=2)  # one direction: the past never sees the future
    ya, _ = uni.forward(x)
    yb, _ = uni.forward(x3)
    np.testing.assert_array_equal(ya[:-1], yb[:-1])


@pytest.mark.parametrize("mode", MODES)
def test_two_chunks_with_carried_state_equal_one_run(mode):
    """Forward in two chunks with the state carried equals one run; so does backward, when the
    initial-state gradient of the second chunk is fed to the first as its final-state gradient."""
    rng = np.random.default_rng(2)
    whole, a, b = (randomised(mode, num_layers=2) for _ in range(3))
    x = rng.normal(size=(7, 3, 3))
    s0 = untuple(tuple(rng.normal(size=(2, 3, 5)) for _ in range(whole.kernel.n_states)))
    dy = rng.normal(size=(7, 3, 5))
    dfin = untuple(tuple(rng.normal(size=(2, 3, 5)) for _ in range(whole.kernel.n_states)))

    y, fin = whole.forward(x, s0)
    dx, ds0 = whole.backward(dy, dfin)
    ya, mid = a.forward(x[:4], s0)
    yb, fin_b = b.forward(x[4:], mid)
    dxb, dmid = b.backward(dy[4:], dfin)
    dxa, ds0_a = a.backward(dy[:4], dmid)

    np.testing.assert_allclose(np.concatenate([ya, yb]), y, rtol=1e-12, atol=1e-14)
    for f, g in zip(as_tuple(fin_b), as_tuple(fin)):
        np.testing.assert_allclose(f, g, rtol=1e-12, atol=1e-14)
    np.testing.assert_allclose(np.concatenate([dxa, dxb]), dx, rtol=1e-10, atol=1e-12)
    for f, g in zip(as_tuple(ds0_a), as_tuple(ds0)):
        np.testing.assert_allclose(f, g, rtol=1e-10, atol=1e-12)
    for k, g in whole.grads.items():
        np.testing.assert_allclose(a.grads[k] + b.grads[k], g, rtol=1e-10, atol=1e-12)


@pytest.mark.parametrize("batch_first", [False, True])
@pytest.mark.parametrize("mode", MODES)
def test_padding_never_changes_the_valid_part(mode, batch_first):
    """A padded batch with lengths gives each sequence exactly what it gives alone, both directions,
    whatever the padding holds; gradients add up to the batch's."""
    rng = np.random.default_rng(3)
    lens = np.array([5, 2, 4])
    T, N = 5, 3
    layer = randomised(mode, num_layers=2, bidirectional=True, batch_first=batch_first)
    solo = randomised(mode, num_layers=2, bidirectional=True, batch_first=batch_first)
    x = rng.normal(size=(T, N, 3))
    for n, length in enumerate(lens):
        x[length:, n] = 1e3 * rng.normal(size=(T - length, 3))  # garbage in the padding
    dy = rng.normal(size=(T, N, 10))
    bf = (lambda a: a.transpose(1, 0, 2)) if batch_first else (lambda a: a)
    y, fin = layer.forward(bf(x), None, lens)
    layer.backward(bf(dy), None)
    y = bf(y)
    assert np.all(y[lens[1]:, 1] == 0) and np.all(y[lens[2]:, 2] == 0)
    total = {k: np.zeros_like(v) for k, v in solo.grads.items()}
    for n, length in enumerate(lens):
        yn, fn = solo.forward(bf(x[:length, n : n + 1]))
        solo.zero_grad()
        solo.backward(bf(dy[:length, n : n + 1]), None)
        np.testing.assert_allclose(bf(yn), y[:length, n : n + 1], rtol=1e-12, atol=1e-14)
        for f, g in zip(as_tuple(fn), as_tuple(fin)):
            np.testing.assert_allclose(f[:, 0], g[:, n], rtol=1e-12, atol=1e-14)
        for k in total:
            total[k] += solo.grads[k]
    for k, g in layer.grads.items():
        np.testing.assert_allclose(total[k], g, rtol=1e-10, atol=1e-12)


@pytest.mark.parametrize("mode", MODES)
def test_dropout_only_in_train_mode(mode):
    layer = randomised(mode, num_layers=3, dropout=0.5, seed=4)
    x = np.random.default_rng(4).normal(size=(4, 2, 3))
    layer.eval()
    e1, _ = layer.forward(x)
    e2, _ = layer.forward(x)
    np.testing.assert_array_equal(e1, e2)
    layer.train()
    t1, _ = layer.forward(x)
    t2, _ = layer.forward(x)
    assert not np.allclose(t1, t2) and not np.allclose(t1, e1)
    one_layer = randomised(mode, num_layers=1, dropout=0.5, seed=4)  # no layer above: no dropout
    a, _ = one_layer.forward(x)
    b, _ = one_layer.forward(x)
    np.testing.assert_array_equal(a, b)


@pytest.mark.parametrize("mode", MODES)
def test_float32_stays_float32(mode):
    layer = make_layer(mode, 3, 4, dtype=np.float32, num_layers=2, bidirectional=True, seed=0)
    x = np.random.default_rng(0).normal(size=(3, 2, 3)).astype(np.float32)
    y, fin = layer.forward(x, None, np.array([3, 1]))
    dx, ds = layer.backward(np.ones_like(y))
    for a in (y, dx, *as_tuple(fin), *as_tuple(ds), *layer.grads.values(), *layer.params.values()):
        assert a.dtype == np.float32


def test_same_seed_same_weights_and_state_dict_round_trip():
    a = make_layer("lstm", 3, 4, dtype=np.float32, seed=42, num_layers=2)
    b = make_layer("lstm", 3, 4, dtype=np.float32, seed=42, num_layers=2)
    c = make_layer("lstm", 3, 4, dtype=np.float32, seed=43, num_layers=2)
    for k in a.params:
        np.testing.assert_array_equal(a.params[k], b.params[k])
    assert any(not np.array_equal(a.params[k], c.params[k]) for k in a.params)
    c.load_state_dict(a.state_dict())
    for k in a.params:
        np.testing.assert_array_equal(a.params[k], c.params[k])
    bound = 1 / np.sqrt(4)
    assert all(np.abs(v).max() <= bound for v in a.params.values())  # PyTorch's U(-1/sqrt(H), 1/sqrt(H))


def test_keep_heap_serves_large_arrays_from_the_heap():
    """After keep_heap() a 64 MB array adds no memory mapping of its own, and freeing it keeps the memory."""
    import subprocess
    import sys

    code = """
import numpy as np, rnnlab
def maps(): return sum(1 for _ in open('/proc/self/maps'))
a = np.ones(1 << 24, np.float32); before = maps(); del a; freed = maps()
applied = rnnlab.keep_heap()
b = np.ones(1 << 24, np.float32); after = maps(); del b; kept = maps()
print(applied, before - freed, after - kept)
"""
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout.split()
    if out[0] != "True":
        pytest.skip("not glibc: keep_heap has no effect here")
    assert int(out[1]) >= 1  # without it: the array is its own mapping (or two), unmapped on free
    assert out[2] == "0"  # with it: the heap holds the array, and keeps the memory after free
