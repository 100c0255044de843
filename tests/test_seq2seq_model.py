"""The encoder-decoder: central differences in float64, and the same model written in PyTorch (packed
bidirectional encoder, cells, attention, input feeding, masked cross-entropy) to 1e-9."""

from __future__ import annotations

import numpy as np
import pytest

from rnnlab.gradcheck import TOLERANCE, check_seq2seq, seq2seq_case
from rnnlab.nn import SoftmaxCrossEntropy


@pytest.mark.parametrize("cell,attention,kw", [
    ("lstm", "additive", {}),
    ("gru", "dot", {}),
    ("lstm", "none", {}),
    ("gru", "general", {"dropout": 0.3}),
    ("rnn", "additive", {"layers": 1, "input_feeding": False}),
])
def test_seq2seq_gradcheck(cell, attention, kw):
    errors = check_seq2seq(cell, attention, max_elements=12, **kw)
    assert max(errors.values()) < TOLERANCE, errors


def _torch_loss(torch, model, x, lengths, y_in, y, mask):
    """The model's equations in PyTorch, on copies of its weights: (loss, {name: leaf tensor})."""
    from torch.nn.utils.rnn import pack_padded_sequence, pad_packed_sequence

    F = torch.nn.functional
    P = {k: torch.tensor(v, requires_grad=True) for k, v in model.state_dict().items()}
    H, L, E = model.hidden_size, model.num_layers, model.embed_size
    lstm = model.cell == "lstm"
    enc = (torch.nn.LSTM if lstm else torch.nn.GRU)(E, H // 2, L, bidirectional=True, dtype=torch.float64)
    with torch.no_grad():
        for name, param in enc.named_parameters():
            param.copy_(P[f"encoder.{name}"])
            P[f"encoder.{name}"] = param  # its gradient is read from here
    packed = pack_padded_sequence(F.embedding(torch.tensor(x), P["source_embedding.weight"]),
                                  torch.tensor(lengths), enforce_sorted=False)
    out, finals = enc(packed)
    m, _ = pad_packed_sequence(out, total_length=x.shape[0])
    h_n = finals[0] if lstm else finals

    def both(t):
        return torch.cat([t[0::2], t[1::2]], dim=2)

    h0 = torch.tanh(both(h_n) @ P["bridge.weight"].T + P["bridge.bias"])
    state = [(h0[l], both(finals[1])[l] @ P["bridge_c.weight"].T + P["bridge_c.bias"]) if lstm else h0[l]
             for l in range(L)]
    valid = torch.arange(x.shape[0])[:, None] < torch.tensor(lengths)[None, :]
    feed = torch.zeros(x.shape[1], H, dtype=torch.float64)
    logits = []
    for i in range(len(y_in)):
        u = torch.cat([F.embedding(torch.tensor(y_in[i]), P["target_embedding.weight"]), feed], dim=1)
        for l in range(L):
            w = [P[f"cells.{l}.{n}"] for n in ("weight_ih", "weight_hh", "bias_ih", "bias_hh")]
            state[l] = torch.lstm_cell(u, state[l], *w) if lstm else torch.gru_cell(u, state[l], *w)
            u = state[l][0] if lstm else state[l]
        if model.attention_kind == "additive":
            e = torch.tanh(u @ P["attention.query_weight"].T + m @ P["attention.key_weight"].T) @ P[
                "attention.score_weight"]
        else:
            keys = m @ P["attention.weight"].T if model.attention_kind == "general" else m
            e = torch.einsum("ns,tns->tn", u, keys)
        a = torch.softmax(e.masked_fill(~valid, float("-inf")), dim=0)
        c = torch.einsum("tn,tnh->nh", a, m)
        feed = torch.tanh(torch.cat([c, u], dim=1) @ P["combine.weight"].T + P["combine.bias"])
        logits.append(feed @ P["out.weight"].T + P["out.bias"])
    nll = F.cross_entropy(torch.stack(logits).reshape(-1, logits[0].shape[1]), torch.tensor(y).reshape(-1),
                          reduction="none")
    w = torch.tensor(mask).reshape(-1)
    return (nll * w).sum() / w.sum(), P


@pytest.mark.parametrize("cell,attention", [("lstm", "additive"), ("gru", "general"), ("lstm", "dot")])
def test_seq2seq_matches_pytorch(cell, attention):
    torch = pytest.importorskip("torch")
    model, x, lengths, y_in, y, mask = seq2seq_case(cell, attention, layers=2, seed=4)
    ce = SoftmaxCrossEntropy()
    loss = ce(model(x, lengths, y_in), y, mask)
    model.zero_grad()
    model.backward(ce.backward())
    ref, P = _torch_loss(torch, model, x, lengths, y_in, y, mask)
    ref.backward()
    assert loss == pytest.approx(ref.item(), rel=1e-12)
    for name, _, grad in model.named_parameters():
        np.testing.assert_allclose(grad, P[name].grad.numpy(), rtol=1e-9, atol=1e-12, err_msg=name)


def test_teacher_forcing_zero_feeds_the_models_own_tokens():
    model, x, lengths, y_in, _, _ = seq2seq_case("lstm", "additive", seed=5)
    forced = model(x, lengths, y_in)
    own = model(x, lengths, y_in, teacher_forcing=0.0, rng=np.random.default_rng(0))
    np.testing.assert_array_equal(own[0], forced[0])  # the first input is BOS either way
    memory, state = model.encode(x, lengths)
    feed, tokens = None, y_in[0]
    for i in range(len(y_in)):  # by hand: each step reads the previous step's argmax
        z, state, feed, _ = model.step(tokens, state, feed, memory)
        np.testing.assert_allclose(own[i], z, rtol=1e-12)
        tokens = z.argmax(axis=1)
    model.clear_records()


class _HistoryModel:
    """A stand-in decoder whose next-token distribution depends on the whole history (its state is a
    number built from every token so far), so beam search must carry each beam's own state."""

    children = {}

    def inference(self):
        import contextlib

        return contextlib.nullcontext(self)

    def encode(self, x, lengths):
        from rnnlab.models import Memory

        n = x.shape[1]
        return Memory(np.zeros((1, n, 1)), None, np.ones(n, int)), [np.arange(n, dtype=np.float64)[:, None]]

    def step(self, tokens, state, feed, memory):
        s = state[0] * 1.7 + tokens[:, None] + 0.3
        logits = 3 * np.sin(s * np.arange(1, 6))  # (N, 5)
        return logits, [s], feed, None


def _history_logp(n, seq):
    from rnnlab.functional import log_softmax

    model, state, tokens, total = _HistoryModel(), [np.array([[float(n)]])], np.array([0]), 0.0
    for t in seq:
        logits, state, _, _ = model.step(tokens, state, None, None)
        total += log_softmax(logits, axis=1)[0, t]
        tokens = np.array([t])
    return total


@pytest.mark.parametrize("length_norm", [0.0, 1.0])
def test_a_wide_enough_beam_finds_the_best_sequence(length_norm):
    """With as many beams as sequences, beam search is exhaustive: it must return the best score /
    length^alpha over every output of at most L tokens (ending in EOS, or L long)."""
    import itertools

    from rnnlab.seq2seq.decode import beam_search

    bos, eos, V, L = 0, 1, 5, 4
    x = np.zeros((1, 4), np.int64)
    found = beam_search(_HistoryModel(), x, np.ones(4, int), bos, eos, beam=V ** L, max_length=L,
                        length_norm=length_norm)
    beams = beam_search(_HistoryModel(), x, np.ones(4, int), bos, eos, beam=3, max_length=L,
                        length_norm=length_norm)
    lengths_seen = set()
    for n in range(4):
        candidates = [list(s) + [eos] for k in range(L) for s in itertools.product(range(V), repeat=k)
                      if eos not in s] + [list(s) for s in itertools.product(range(V), repeat=L) if eos not in s]
        score = {tuple(c): _history_logp(n, c) / len(c) ** length_norm for c in candidates}
        best = max(score, key=score.get)
        assert found[n] == [t for t in best if t != eos]
        lengths_seen.add(len(best))
        assert score[tuple(beams[n] + ([eos] if len(beams[n]) < L else []))] <= score[best]
    assert len(lengths_seen) > 1  # short and long winners: EOS handling and every step's state count


def test_beam_one_is_greedy():
    from rnnlab.nn import no_grad
    from rnnlab.seq2seq.decode import beam_search

    model, x, lengths, _, _, _ = seq2seq_case("gru", "additive", seed=6)
    bos, eos, L = 0, 1, 3
    tokens, feed, by_hand = np.full(3, bos), None, [[] for _ in range(3)]
    with no_grad():
        memory, state = model.encode(x, lengths)
        for _ in range(L):
            z, state, feed, _ = model.step(tokens, state, feed, memory)
            tokens = z.argmax(axis=1)
            for n in range(3):
                by_hand[n].append(int(tokens[n]))
    expected = [s[:s.index(eos)] if eos in s else s for s in by_hand]
    assert beam_search(model, x, lengths, bos, eos, beam=1, max_length=L) == expected
