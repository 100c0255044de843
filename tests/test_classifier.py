"""The sequence classifier: gradchecked in float64 for every pooling (and one output per step, masked
past each length), token ids and features, one and two directions, variable lengths; and against the same
model in PyTorch (packed sequences)."""

from __future__ import annotations

import numpy as np
import pytest

from rnnlab import gradcheck as gc
from rnnlab.models import SequenceModel
from rnnlab.nn import SoftmaxCrossEntropy, no_grad

T, N, C = 6, 4, 3
LENGTHS = np.array([6, 2, 4, 1])
MASK = np.arange(T)[:, None] < LENGTHS  # (T, N): the steps "each" is scored on


def _case(pool, cell, bidirectional, ids, seed=0):
    rng = np.random.default_rng(seed)
    kw = dict(vocab_size=7) if ids else dict(input_size=3)
    model = SequenceModel(C, cell=cell, hidden_size=5, num_layers=2, embed_size=4, bidirectional=bidirectional,
                               pool=pool, dtype=np.float64, seed=seed, **kw)
    model.load_state_dict({k: rng.normal(size=v.shape) * 0.5 for k, v in model.state_dict().items()})
    x = rng.integers(0, 7, size=(T, N)) if ids else rng.normal(size=(T, N, 3))
    y = rng.integers(0, C, size=(T, N) if pool == "each" else N)
    return model, x, y


def _loss(ce, logits, y):
    return ce(logits, y, MASK if y.ndim == 2 else None)


@pytest.mark.parametrize("pool", ["last", "mean", "max", "each"])
@pytest.mark.parametrize("cell,bidirectional,ids", [("lstm", True, True), ("gru", False, False), ("rnn", True, False)])
def test_the_classifier_passes_gradcheck(pool, cell, bidirectional, ids):
    model, x, y = _case(pool, cell, bidirectional, ids)
    ce = SoftmaxCrossEntropy()

    def loss():
        with no_grad():
            return _loss(ce, model(x, LENGTHS), y)

    _loss(ce, model(x, LENGTHS), y)
    dx = model.backward(ce.backward())
    wrt = {k: p for k, p, _ in model.named_parameters()}
    analytic = {k: g for k, _, g in model.named_parameters()}
    if not ids:
        wrt["input"], analytic["input"] = x, dx
    errors = gc.gradcheck(loss, wrt, analytic, max_elements=30)
    assert max(errors.values()) < gc.TOLERANCE, errors
    if not ids:  # steps past a sequence's length do not matter
        assert not dx[LENGTHS[1]:, 1].any() and not dx[1:, 3].any()


@pytest.mark.parametrize("pool", ["last", "mean", "max", "each"])
def test_the_classifier_matches_pytorch(pool):
    torch = pytest.importorskip("torch")
    from torch.nn.utils.rnn import pack_padded_sequence, pad_packed_sequence

    model, x, y = _case(pool, "lstm", True, True, seed=5)
    ce = SoftmaxCrossEntropy()
    logits = model(x, LENGTHS)
    _loss(ce, logits, y)
    model.backward(ce.backward())
    sd = {k: torch.tensor(v) for k, v in model.state_dict().items()}
    emb = torch.nn.Embedding(7, 4, dtype=torch.float64)
    rnn = torch.nn.LSTM(4, 5, 2, bidirectional=True, dtype=torch.float64)
    out = torch.nn.Linear(10, C, dtype=torch.float64)
    for prefix, m in (("embedding.", emb), ("rnn.", rnn), ("out.", out)):
        m.load_state_dict({k[len(prefix):]: v for k, v in sd.items() if k.startswith(prefix)})
    packed = pack_padded_sequence(emb(torch.tensor(x)), torch.tensor(LENGTHS), enforce_sorted=False)
    ys, (h_n, _) = rnn(packed)
    ys, _ = pad_packed_sequence(ys, total_length=T)  # (T, N, 10), zeros past each length
    if pool == "each":
        p = ys
    elif pool == "last":
        p = torch.cat([h_n[-2], h_n[-1]], dim=1)
    elif pool == "mean":
        p = ys.sum(0) / torch.tensor(LENGTHS)[:, None]
    else:
        valid = torch.arange(T)[:, None, None] < torch.tensor(LENGTHS)[None, :, None]
        p = torch.where(valid, ys, torch.tensor(-float("inf"), dtype=torch.float64)).max(0).values
    tl = out(p)
    if pool == "each":
        m = torch.tensor(MASK)
        torch.nn.functional.cross_entropy(tl[m], torch.tensor(y)[m]).backward()
    else:
        torch.nn.functional.cross_entropy(tl, torch.tensor(y)).backward()
    np.testing.assert_allclose(logits, tl.detach().numpy(), rtol=1e-12, atol=1e-13)
    grads = {f"{prefix}{k}": p.grad for prefix, m in (("embedding.", emb), ("rnn.", rnn), ("out.", out))
             for k, p in m.named_parameters()}
    for name, _, g in model.named_parameters():
        np.testing.assert_allclose(g, grads[name].numpy(), rtol=1e-9, atol=1e-12, err_msg=name)


def test_training_steps_equal_pytorch():
    """Five Adam steps in float64 on the same batches: the weights stay equal to PyTorch's to 1e-9."""
    torch = pytest.importorskip("torch")
    from torch.nn.utils.rnn import pack_padded_sequence

    from rnnlab.optim import Adam

    model, _, _ = _case("last", "gru", True, True, seed=2)
    rng = np.random.default_rng(7)
    opt = Adam(model.named_parameters(), lr=0.01)
    emb = torch.nn.Embedding(7, 4, dtype=torch.float64)
    rnn = torch.nn.GRU(4, 5, 2, bidirectional=True, dtype=torch.float64)
    out = torch.nn.Linear(10, C, dtype=torch.float64)
    parts = (("embedding.", emb), ("rnn.", rnn), ("out.", out))
    sd = model.state_dict()
    for prefix, m in parts:
        m.load_state_dict({k[len(prefix):]: torch.tensor(v) for k, v in sd.items() if k.startswith(prefix)})
    topt = torch.optim.Adam([p for _, m in parts for p in m.parameters()], lr=0.01)
    ce = SoftmaxCrossEntropy()
    for _ in range(5):
        x, y = rng.integers(0, 7, size=(T, N)), rng.integers(0, C, size=N)
        lengths = rng.integers(1, T + 1, size=N)
        model.zero_grad()
        ce(model(x, lengths), y)
        model.backward(ce.backward())
        opt.step()
        topt.zero_grad()
        packed = pack_padded_sequence(emb(torch.tensor(x)), torch.tensor(lengths), enforce_sorted=False)
        _, h_n = rnn(packed)
        torch.nn.functional.cross_entropy(out(torch.cat([h_n[-2], h_n[-1]], 1)), torch.tensor(y)).backward()
        topt.step()
    theirs = {prefix + k: v.detach().numpy() for prefix, m in parts for k, v in m.state_dict().items()}
    for k, v in model.state_dict().items():
        np.testing.assert_allclose(v, theirs[k], rtol=1e-9, atol=1e-12, err_msg=k)
