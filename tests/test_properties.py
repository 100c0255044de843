"""Property-based tests (hypothesis) over shapes, lengths and dtypes of the layers and the batching."""

import numpy as np
from cases import MODES, make_layer
from hypothesis import given, settings
from hypothesis import strategies as st

from rnnlab.data import Vocab, batchify, iterate


@settings(max_examples=40, deadline=None)
@given(mode=st.sampled_from(MODES), layers=st.integers(1, 2), bi=st.booleans(), bf=st.booleans(),
       T=st.integers(1, 5), N=st.integers(1, 4), D=st.integers(1, 4), H=st.integers(1, 4),
       dtype=st.sampled_from([np.float32, np.float64]), use_lengths=st.booleans(), seed=st.integers(0, 2**16))
def test_recurrent_layer_properties(mode, layers, bi, bf, T, N, D, H, dtype, use_lengths, seed):
    rng = np.random.default_rng(seed)
    layer = make_layer(mode, D, H, dtype=dtype, num_layers=layers, bidirectional=bi, batch_first=bf, seed=seed)
    dirs = 2 if bi else 1
    x = rng.normal(size=(T, N, D)).astype(dtype)
    lens = rng.integers(1, T + 1, size=N) if use_lengths else np.full(N, T)
    to_bf = (lambda a: a.transpose(1, 0, 2)) if bf else (lambda a: a)
    y, final = layer.forward(to_bf(x), None, lens if use_lengths else None)
    y = to_bf(y)
    finals = final if isinstance(final, tuple) else (final,)
    assert y.shape == (T, N, dirs * H) and y.dtype == dtype
    assert all(f.shape == (layers * dirs, N, H) and f.dtype == dtype for f in finals)
    for n, length in enumerate(lens):
        assert not y[length:, n].any()  # zero past each length
        alone, fin_alone = layer.forward(to_bf(x[:length, n : n + 1]))
        np.testing.assert_allclose(to_bf(alone), y[:length, n : n + 1], rtol=1e-5, atol=1e-6)
        for f, g in zip(fin_alone if isinstance(fin_alone, tuple) else (fin_alone,), finals):
            np.testing.assert_allclose(f[:, 0], g[:, n], rtol=1e-5, atol=1e-6)
    layer.forward(to_bf(x), None, lens if use_lengths else None)
    dx, dstate = layer.backward(to_bf(np.ones_like(y)))
    assert to_bf(dx).shape == x.shape and dx.dtype == dtype
    assert all(g.dtype == dtype for g in layer.grads.values())


@settings(max_examples=60, deadline=None)
@given(n_tokens=st.integers(2, 400), N=st.integers(1, 8), T=st.integers(1, 30))
def test_batching_reads_every_stream_once_in_order(n_tokens, N, T):
    ids = np.arange(n_tokens)
    if n_tokens // N < 2:
        return  # batchify refuses (tested elsewhere)
    data = batchify(ids, N)
    S = n_tokens // N
    assert data.shape == (S, N)
    np.testing.assert_array_equal(data.T.reshape(-1), ids[: S * N])  # column n = stream n
    batches = list(iterate(data, T))
    assert all(1 <= x.shape[0] <= T and x.shape == y.shape for _, x, y in batches)
    np.testing.assert_array_equal(np.concatenate([x for _, x, _ in batches]), data[:-1])
    np.testing.assert_array_equal(np.concatenate([y for _, _, y in batches]), data[1:])


@settings(max_examples=60, deadline=None)
@given(text=st.text(min_size=1, max_size=200))
def test_char_vocab_round_trip(text):
    v = Vocab.build(text, "char")
    assert v.decode(v.encode(text)) == text
    assert Vocab.from_json(v.to_json()).itos == v.itos
