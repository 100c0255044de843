"""rnnlab against PyTorch in float64: outputs, final states and every gradient, to 1e-8 relative.

torch is a test-only dependency; without it this module is skipped and test_golden.py still checks
the numbers against fixtures that torch produced (scripts/make_golden.py).
"""

import numpy as np
import pytest

torch = pytest.importorskip("torch", reason="torch is not installed (pip install torch==2.13.0)")

from cases import MODES, Recorder, make_case, max_relative_error, rnnlab_run  # noqa: E402
from torch_reference import torch_run  # noqa: E402

import rnnlab.nn as nn  # noqa: E402
from rnnlab.interop import from_torch, to_torch  # noqa: E402


def random_config(mode, seed):
    rng = np.random.default_rng(1000 + seed)
    return dict(mode=mode, num_layers=int(rng.integers(1, 4)), bidirectional=bool(rng.integers(2)),
                batch_first=bool(rng.integers(2)), lengths=bool(rng.integers(2)), seed=seed,
                T=int(rng.integers(3, 8)), N=int(rng.integers(1, 6)), D=int(rng.integers(1, 6)),
                H=int(rng.integers(1, 8)))


CONFIGS = [random_config(m, s) for m in MODES for s in range(10)]
# Make sure the hardest corner is always there, for every kind.
CONFIGS += [dict(mode=m, num_layers=3, bidirectional=True, batch_first=True, lengths=True, seed=99,
                 T=6, N=5, D=4, H=5) for m in MODES]


@pytest.mark.parametrize("c", CONFIGS, ids=lambda c: "-".join(f"{k}={v}" for k, v in c.items()))
def test_layer_matches_torch_float64(c):
    cfg, arrays = make_case(c["mode"], c["num_layers"], c["bidirectional"], c["batch_first"], c["lengths"],
                            c["seed"], c["T"], c["N"], c["D"], c["H"])
    ref = torch_run(cfg, arrays)
    ours = rnnlab_run(cfg, arrays)
    assert set(ours) == set(ref)
    err, where = max_relative_error(ours, ref)
    assert err < 1e-8, f"{where}: relative error {err:.2e}"


@pytest.mark.parametrize("backend", ["numpy", "cpu"])
@pytest.mark.parametrize("layers,bidirectional,batch_first,lengths,seed", [
    (1, False, False, False, 1), (2, True, False, True, 2), (3, True, True, True, 3), (2, False, True, True, 4)])
def test_lstm_with_projections_matches_torch_float64(layers, bidirectional, batch_first, lengths, seed, backend):
    """nn.LSTM(proj_size=P) against torch.nn.LSTM(proj_size=P): outputs, both final states, the
    input, initial-state and every weight gradient (weight_hr included), packed lengths, both
    directions, several layers; on the reference loop and on the compiled backend's."""
    from rnnlab.backends import use_backend

    cfg, arrays = make_case("lstm", layers, bidirectional, batch_first, lengths, seed, T=6, N=4, D=3, H=7, proj=3)
    ref = torch_run(cfg, arrays)
    with use_backend(backend):
        ours = rnnlab_run(cfg, arrays)
    assert set(ours) == set(ref) and any(k.startswith("grad.weight_hr") for k in ref)
    err, where = max_relative_error(ours, ref)
    assert err < 1e-8, f"{where}: relative error {err:.2e}"


def test_lstm_with_projections_moves_to_torch_and_back():
    theirs = torch.nn.LSTM(4, 6, num_layers=2, proj_size=2, bidirectional=True, dtype=torch.float64)
    ours = from_torch(theirs)
    assert ours.proj_size == 2 and to_torch(ours).proj_size == 2
    x = np.random.default_rng(0).normal(size=(5, 3, 4))
    y, (h, c) = ours.forward(x)
    yt, (ht, ct) = to_torch(ours)(torch.tensor(x))
    assert y.shape == (5, 3, 4) and h.shape == (4, 3, 2) and c.shape == (4, 3, 6)
    for a, b in ((y, yt), (h, ht), (c, ct)):
        np.testing.assert_allclose(a, b.detach().numpy(), rtol=1e-10, atol=1e-12)


@pytest.mark.parametrize("mode", MODES)
def test_layer_matches_torch_float32(mode):
    """The default dtype: float32 in, float32 out, agreeing with torch to float32 rounding."""
    cfg, arrays = make_case(mode, 2, True, False, True, seed=5)
    ref = torch_run(cfg, arrays)
    ours = rnnlab_run(cfg, arrays, dtype=np.float32)
    assert all(v.dtype == np.float32 for v in ours.values())
    err, where = max_relative_error(ours, ref)
    assert err < 5e-6, f"{where}: relative error {err:.2e}"


@pytest.mark.parametrize("mode", MODES)
def test_cell_matches_torch(mode):
    rng = np.random.default_rng(3)
    N, D, H = 4, 3, 5
    ours = nn.cell_kind(mode).cell(D, H, dtype=np.float64)
    ours.load_state_dict({k: rng.normal(size=v.shape) for k, v in ours.state_dict().items()})
    theirs = to_torch(ours)
    n = ours.kernel.n_states
    x = rng.normal(size=(N, D))
    s = [rng.normal(size=(N, H)) for _ in range(n)]
    g = [rng.normal(size=(N, H)) for _ in range(n)]
    pack = (lambda v: tuple(v)) if n == 2 else (lambda v: v[0])
    new = ours.forward(x, pack(s))
    dx, ds = ours.backward(pack(g))
    xt = torch.tensor(x, requires_grad=True)
    st = [torch.tensor(v, requires_grad=True) for v in s]
    newt = theirs(xt, pack(st))
    newt = newt if isinstance(newt, tuple) else (newt,)
    sum((a * torch.tensor(b)).sum() for a, b in zip(newt, g)).backward()
    new = new if isinstance(new, tuple) else (new,)
    ds = ds if isinstance(ds, tuple) else (ds,)
    pairs = [(a, b.detach().numpy()) for a, b in zip(new, newt)] + [(dx, xt.grad.numpy())]
    pairs += [(a, b.grad.numpy()) for a, b in zip(ds, st)]
    pairs += [(ours.grads[k], p.grad.numpy()) for k, p in theirs.named_parameters()]
    for a, b in pairs:
        np.testing.assert_allclose(a, b, rtol=1e-10, atol=1e-12)


def test_linear_embedding_cross_entropy_match_torch():
    rng = np.random.default_rng(4)
    V, E, O = 7, 5, 6
    emb, lin = nn.Embedding(V, E, dtype=np.float64), nn.Linear(E, O, dtype=np.float64)
    lin.load_state_dict({k: rng.normal(size=v.shape) for k, v in lin.state_dict().items()})
    temb, tlin = torch.nn.Embedding(V, E, dtype=torch.float64), torch.nn.Linear(E, O, dtype=torch.float64)
    temb.load_state_dict({"weight": torch.tensor(emb.params["weight"])})
    tlin.load_state_dict({k: torch.tensor(v) for k, v in lin.params.items()})
    idx = rng.integers(0, V, size=(4, 3))
    tgt = rng.integers(0, O, size=(4, 3))
    ce = nn.SoftmaxCrossEntropy()
    loss = ce.forward(lin.forward(emb.forward(idx)), tgt)
    emb.backward(lin.backward(ce.backward()))
    tloss = torch.nn.functional.cross_entropy(tlin(temb(torch.tensor(idx))).reshape(-1, O),
                                              torch.tensor(tgt).reshape(-1))
    tloss.backward()
    assert abs(loss - tloss.item()) < 1e-12
    np.testing.assert_allclose(emb.grads["weight"], temb.weight.grad.numpy(), rtol=1e-10, atol=1e-14)
    for k, p in tlin.named_parameters():
        np.testing.assert_allclose(lin.grads[k], p.grad.numpy(), rtol=1e-10, atol=1e-14)


def test_masked_cross_entropy_matches_torch_ignore_index():
    rng = np.random.default_rng(6)
    z = rng.normal(size=(10, 4)) * 5
    y = rng.integers(0, 4, size=10)
    mask = np.array([1, 1, 0, 1, 0, 1, 1, 1, 0, 1], dtype=np.float64)
    ce = nn.SoftmaxCrossEntropy()
    loss = ce.forward(z, y, mask)
    dz = ce.backward()
    zt = torch.tensor(z, requires_grad=True)
    yt = torch.tensor(np.where(mask > 0, y, -100))
    tl = torch.nn.functional.cross_entropy(zt, yt, ignore_index=-100)
    tl.backward()
    assert abs(loss - tl.item()) < 1e-12
    np.testing.assert_allclose(dz, zt.grad.numpy(), rtol=1e-10, atol=1e-14)


@pytest.mark.parametrize("mode", MODES)
def test_weights_round_trip_through_torch(mode):
    """ours -> torch -> ours keeps every tensor; the torch copy computes our outputs."""
    from cases import make_layer

    ours = make_layer(mode, 3, 4, dtype=np.float32, num_layers=2, bidirectional=True, seed=1)
    theirs = to_torch(ours)
    assert isinstance(theirs, {"lstm": torch.nn.LSTM, "gru": torch.nn.GRU}.get(mode, torch.nn.RNN))
    back = from_torch(theirs)
    assert type(back) is type(ours) and back.mode == ours.mode == mode and back.dtype == np.float32
    for k, v in ours.state_dict().items():
        np.testing.assert_array_equal(back.params[k], v)
    x = np.random.default_rng(0).normal(size=(5, 2, 3)).astype(np.float32)
    y, _ = ours.forward(x)
    yt, _ = theirs(torch.tensor(x))
    np.testing.assert_allclose(y, yt.detach().numpy(), rtol=1e-5, atol=1e-6)


def test_from_torch_keeps_configuration():
    t = torch.nn.GRU(4, 3, num_layers=2, batch_first=True, bidirectional=True, dropout=0.25)
    ours = from_torch(t)
    assert (ours.input_size, ours.hidden_size, ours.num_layers) == (4, 3, 2)
    assert ours.batch_first and ours.bidirectional and ours.dropout == 0.25
    r = from_torch(torch.nn.RNN(2, 3, nonlinearity="relu", bias=False))
    assert r.mode == "rnn_relu" and not r.bias and set(r.params) == {"weight_ih_l0", "weight_hh_l0"}


@pytest.mark.parametrize("cell,tie", [("lstm", True), ("gru", False), ("rnn_relu", False)])
def test_language_model_moves_to_pytorch_and_back(cell, tie):
    """The whole model: PyTorch's copy computes the same logits and every gradient, and comes back intact."""
    from rnnlab.models import LanguageModel

    ours = LanguageModel(11, cell, hidden_size=6, num_layers=2, tie_weights=tie, init_scale=0.5, dtype=np.float64,
                         seed=3)
    theirs = to_torch(ours)
    rng = np.random.default_rng(0)
    x, y = rng.integers(0, 11, size=(5, 4)), rng.integers(0, 11, size=(5, 4))
    ce = nn.SoftmaxCrossEntropy()
    logits, _ = ours(x)
    ce(logits, y)
    ours.backward(ce.backward())
    tl, _ = theirs(torch.tensor(x))
    torch.nn.functional.cross_entropy(tl.reshape(-1, 11), torch.tensor(y).reshape(-1)).backward()
    np.testing.assert_allclose(logits, tl.detach().numpy(), rtol=1e-12, atol=1e-13)
    grads = dict(theirs.named_parameters())
    for name, _, g in ours.named_parameters():
        np.testing.assert_allclose(g, grads[name].grad.numpy(), rtol=1e-9, atol=1e-12, err_msg=name)
    back = from_torch(theirs)
    assert (back.cell, back.tie_weights, back.num_layers) == (ours.cell, tie, 2)
    for k, v in ours.state_dict().items():
        np.testing.assert_array_equal(back.state_dict()[k], v)


def test_class_weighted_cross_entropy_matches_torch():
    """Real-valued weights per position give PyTorch's class-weighted mean: sum w nll / sum w."""
    rng = np.random.default_rng(4)
    z, y = rng.normal(size=(9, 4)), rng.integers(0, 4, size=9)
    class_w = np.array([0.5, 2.0, 1.0, 3.0])
    ce = nn.SoftmaxCrossEntropy()
    loss = ce.forward(z, y, class_w[y])
    dz = ce.backward()
    zt = torch.tensor(z, requires_grad=True)
    tl = torch.nn.functional.cross_entropy(zt, torch.tensor(y), weight=torch.tensor(class_w))
    tl.backward()
    assert abs(loss - tl.item()) < 1e-12
    np.testing.assert_allclose(dz, zt.grad.numpy(), rtol=1e-10, atol=1e-14)


@pytest.mark.parametrize("shape", ["projections", "top"])
def test_a_regularised_language_model_trains_as_torch_with_the_same_masks(shape):
    """Three SGD steps of the AWD-LSTM recipe (locked dropout at three rates, embedding dropout, weight
    drop, AR, TAR, tied weights) over 3 LSTM layers, every one projected to the embedding's width or,
    as the authors' model, the last one of that width (``top_size``), in rnnlab and in PyTorch
    (torch.nn.LSTM layers run with W_hh * M through torch.func.functional_call, the loss with AR and
    TAR written out), rnnlab's masks injected: the losses and every weight agree in float64."""
    from rnnlab.models import LanguageModel
    from rnnlab.nn import SoftmaxCrossEntropy

    V, P, H, L, T, N, lr = 11, 3, 5, 3, 4, 3, 0.5
    rates = dict(dropout=0.4, dropout_input=0.3, dropout_hidden=0.25, dropout_embed=0.2, weight_drop=0.5)
    top = shape == "top"
    model = LanguageModel(V, "lstm", hidden_size=H, num_layers=L, embed_size=P, tie_weights=True,
                          proj_size=0 if top else P, top_size=P if top else 0, locked=True, ar=2.0, tar=1.0,
                          init_scale=0.5, dtype=np.float64, seed=4, **rates)
    c = model.children
    recorders = {name: Recorder(m.rng) for name, m in c.items() if hasattr(m, "rng")} | {"words": Recorder(model.rng)}
    for name, r in recorders.items():
        (model if name == "words" else c[name]).rng = r
    theirs = {k: torch.tensor(v, requires_grad=True) for k, v in model.state_dict().items()
              if k != "decoder.weight"}  # tied: the embedding's
    # (torch layer, its weights' names in rnnlab) from the bottom
    names = [("rnn.", k) for k in range(L - top)] + ([("rnn_top.", 0)] if top else [])
    layers = [torch.nn.LSTM(P if k == 0 else (H if top else P), P if (top and k == L - 1) else H,
                            proj_size=0 if top else P, dtype=torch.float64) for k in range(L)]
    keep = lambda a, p: torch.tensor((a < 1 - p) / (1 - p))  # noqa: E731  the mask rnnlab drew
    rng = np.random.default_rng(0)
    lower = L - top
    for step in range(3):
        x, y = rng.integers(0, V, (T, N)), rng.integers(0, V, (T, N))
        ce = SoftmaxCrossEntropy()
        logits, _ = model.forward(x)
        ours = ce.forward(logits, y) + model.penalty
        model.zero_grad()
        model.backward(ce.backward())
        seen = set()
        for _, p, g in model.named_parameters():
            if id(p) not in seen:
                seen.add(id(p))
                p -= lr * g

        E = theirs["embedding.weight"]
        xt = torch.tensor(x)
        words = keep(recorders["words"].drawn[step], rates["dropout_embed"])
        u = E[xt] * words[xt][..., None] * keep(recorders["drop_in"].drawn[step], rates["dropout_input"])
        drawn = recorders["rnn"].drawn[step * (2 * lower - 1):(step + 1) * (2 * lower - 1)]  # W_hh mask, then between
        for k, (layer, (prefix, index)) in enumerate(zip(layers, names)):
            w = {n: theirs[f"{prefix}{n[:-1]}{index}"] for n in ("weight_ih_l0", "weight_hh_l0", "bias_ih_l0",
                                                                 "bias_hh_l0") + (() if top else ("weight_hr_l0",))}
            mask = drawn[2 * k] if k < lower else recorders["rnn_top"].drawn[step]
            w["weight_hh_l0"] = w["weight_hh_l0"] * keep(mask, rates["weight_drop"])
            u, _ = torch.func.functional_call(layer, w, (u,))
            if k < lower - 1:
                u = u * keep(drawn[2 * k + 1], rates["dropout_hidden"])
            elif k == lower - 1 and top:
                u = u * keep(recorders["drop_mid"].drawn[step], rates["dropout_hidden"])
        h_drop = u * keep(recorders["drop_out"].drawn[step], rates["dropout"])
        out = h_drop @ E.T + theirs["decoder.bias"]
        loss = (torch.nn.functional.cross_entropy(out.reshape(-1, V), torch.tensor(y).reshape(-1))
                + 2.0 * (h_drop ** 2).mean() + 1.0 * ((u[1:] - u[:-1]) ** 2).mean())
        for t in theirs.values():
            t.grad = None
        loss.backward()
        with torch.no_grad():
            for t in theirs.values():
                t -= lr * t.grad
        assert ours == pytest.approx(loss.item(), rel=1e-12), step
    for k, t in theirs.items():
        np.testing.assert_allclose(model.state_dict()[k], t.detach().numpy(), rtol=1e-9, atol=1e-12, err_msg=k)
