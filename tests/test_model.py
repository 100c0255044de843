"""LanguageModel structure: names, tying, initialisation, shapes, overfitting a tiny batch."""

import numpy as np
import pytest

from rnnlab.models import LanguageModel
from rnnlab.nn import SoftmaxCrossEntropy
from rnnlab.optim import Adam, clip_grad_norm


def test_names_follow_pytorch_and_tying_shares_one_array():
    m = LanguageModel(11, "lstm", hidden_size=6, num_layers=2, tie_weights=True, seed=0)
    names = [k for k, _, _ in m.named_parameters()]
    assert names[0] == "embedding.weight" and "rnn.weight_hh_l1" in names and names[-1] == "decoder.bias"
    assert "decoder.weight" not in names  # shared with the embedding, listed once
    assert m.children["decoder"].params["weight"] is m.children["embedding"].params["weight"]
    sd = m.state_dict()
    m2 = LanguageModel(11, "lstm", hidden_size=6, num_layers=2, tie_weights=True, seed=1)
    m2.load_state_dict(sd)
    assert m2.children["decoder"].params["weight"] is m2.children["embedding"].params["weight"]
    np.testing.assert_array_equal(m2.children["decoder"].params["weight"], sd["embedding.weight"])
    with pytest.raises(ValueError, match="embed size = hidden size"):
        LanguageModel(11, "lstm", hidden_size=6, embed_size=5, tie_weights=True)


def test_uniform_init_and_shapes():
    m = LanguageModel(9, "gru", hidden_size=5, num_layers=3, embed_size=4, init_scale=0.05, seed=0)
    assert all(np.abs(p).max() <= 0.05 for _, p, _ in m.named_parameters())
    logits, h = m.forward(np.zeros((7, 2), np.int64))
    assert logits.shape == (7, 2, 9) and logits.dtype == np.float32 and h.shape == (3, 2, 5)


@pytest.mark.parametrize("cell", ["rnn", "lstm", "gru"])
def test_overfits_a_tiny_batch(cell):
    rng = np.random.default_rng(0)
    m = LanguageModel(12, cell, hidden_size=32, num_layers=1, seed=0)
    x = rng.integers(0, 12, size=(10, 3))
    y = rng.integers(0, 12, size=(10, 3))
    params = list(m.named_parameters())
    opt = Adam(params, lr=0.02)
    ce = SoftmaxCrossEntropy()
    first = None
    for _ in range(150):
        m.zero_grad()
        logits, _ = m.forward(x)
        loss = ce.forward(logits, y)
        first = loss if first is None else first
        m.backward(ce.backward())
        clip_grad_norm([g for _, _, g in params], 5.0)
        opt.step()
    assert first > 2.0 and loss < 0.1  # random labels memorised: the gradients point the right way


@pytest.mark.parametrize("cell,proj,top", [("rnn", 0, 0), ("rnn_relu", 0, 0), ("lstm", 0, 0), ("gru", 0, 0),
                                          ("lstm", 3, 0), ("lstm", 0, 4), ("gru", 0, 4)])
def test_stepper_matches_the_sequence_forward(cell, proj, top):
    """The single-step sampling path gives the logits of model.forward, step by step, from a carried
    state (an LSTM with projections, and a last layer of its own width, too)."""
    from rnnlab.models.stepper import Stepper

    m = LanguageModel(13, cell, hidden_size=7, num_layers=3, init_scale=0.5, dtype=np.float64, seed=1, proj_size=proj,
                      top_size=top)
    m.eval()
    rng = np.random.default_rng(0)
    toks = rng.integers(0, 13, size=(9, 2))
    _, mid = m.forward(toks[:4])
    logits, _ = m.forward(toks[4:], mid)
    st = Stepper(m, batch_size=2)
    st.reset(mid)
    out = np.stack([st.step(toks[t]).copy() for t in range(4, 9)])
    np.testing.assert_allclose(out, logits, rtol=1e-12, atol=1e-13)


@pytest.mark.parametrize("tie", [False, True])
@pytest.mark.parametrize("cell", ["rnn", "lstm", "gru"])
def test_fused_embedding_input_matches_the_plain_path(cell, tie):
    """E[x] W_ih^T looked up in the table E W_ih^T gives the same logits, state and every gradient."""
    rng = np.random.default_rng(3)
    x, y = rng.integers(0, 6, size=(5, 4)), rng.integers(0, 6, size=(5, 4))
    results = []
    for fuse in (False, True):
        m = LanguageModel(6, cell, hidden_size=8, num_layers=2, tie_weights=tie, init_scale=0.5,
                          dtype=np.float64, seed=1)
        m.fuse_input = fuse
        ce = SoftmaxCrossEntropy()
        logits, state = m.forward(x, m.initial_state(4))
        assert m.fuses_input(x.size) is fuse
        ce.forward(logits, y)
        m.backward(ce.backward())
        results.append((logits, state, {k: g.copy() for k, _, g in m.named_parameters()}))
    (l0, s0, g0), (l1, s1, g1) = results
    np.testing.assert_allclose(l1, l0, rtol=1e-12, atol=1e-14)
    np.testing.assert_allclose(np.concatenate([np.ravel(s) for s in s1]), np.concatenate([np.ravel(s) for s in s0]),
                               rtol=1e-12, atol=1e-14)
    for k in g0:
        np.testing.assert_allclose(g1[k], g0[k], rtol=1e-10, atol=1e-13, err_msg=k)


def test_fusion_is_chosen_by_cost_and_never_under_embedding_dropout():
    small = LanguageModel(50, "lstm", hidden_size=64, num_layers=1)
    small.forward(np.zeros((20, 8), np.int64))
    assert small.fuses_input(160)  # 3*50*64 + 50*160 < 3*160*64
    word = LanguageModel(1000, "lstm", hidden_size=64, num_layers=1)
    word.forward(np.zeros((20, 8), np.int64))
    assert not word.fuses_input(160)
    dropped = LanguageModel(50, "lstm", hidden_size=64, num_layers=1, dropout=0.5)
    dropped.fuse_input = True
    dropped.forward(np.zeros((20, 8), np.int64))
    assert not dropped.fuses_input(160)
    dropped.eval()
    dropped.forward(np.zeros((20, 8), np.int64))
    assert dropped.fuses_input(160)  # no dropout at evaluation


@pytest.mark.parametrize("cell", ["rnn", "lstm", "gru"])
def test_no_grad_forward_is_the_same_and_keeps_nothing(cell):
    """Under no_grad the forward gives the same logits and state, keeps nothing, and backward is refused."""
    from rnnlab.nn import no_grad

    m = LanguageModel(9, cell, hidden_size=6, num_layers=2, init_scale=0.5, dtype=np.float64, seed=4)
    x = np.random.default_rng(0).integers(0, 9, size=(6, 3))
    logits, state = m.forward(x)
    m.backward(np.ones_like(logits))  # goes back through that forward
    with no_grad():
        logits2, state2 = m.forward(x)
    np.testing.assert_array_equal(logits2, logits)
    np.testing.assert_array_equal(np.ravel(state2), np.ravel(state))
    with pytest.raises(RuntimeError, match="no forward left to go back through"):
        m.backward(np.ones_like(logits))
