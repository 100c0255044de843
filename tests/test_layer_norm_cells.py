"""The layer-normalised cells (``ln_lstm``, ``ln_gru``) compute the equations of their definition
(Ba, Kiros & Hinton 2016), written out here plainly for one sequence step by step, with random
weights, gains and shifts; they train and sample through the command line. Their gradients are
checked in test_gradcheck.py."""

import json

import numpy as np
import pytest

from rnnlab.cli import main
from rnnlab.nn import cell_kind


def _norm(v, eps=1e-5):
    return (v - v.mean(-1, keepdims=True)) / np.sqrt(v.var(-1, keepdims=True) + eps)


def _sigmoid(v):
    return 1 / (1 + np.exp(-v))


def _lstm_by_definition(p, x, h, c):
    out = []
    for x_t in x:
        a = p["ln_ih_weight_l0"] * _norm(x_t @ p["weight_ih_l0"].T) + p["ln_hh_weight_l0"] * _norm(
            h @ p["weight_hh_l0"].T) + p["ln_bias_l0"]
        i, f, g, o = np.split(a, 4, axis=-1)
        c = _sigmoid(f) * c + _sigmoid(i) * np.tanh(g)
        h = _sigmoid(o) * np.tanh(p["ln_c_weight_l0"] * _norm(c) + p["ln_c_bias_l0"])
        out.append(h)
    return np.stack(out), (h, c)


def _gru_by_definition(p, x, h):
    out = []
    for x_t in x:
        ax = p["ln_ih_weight_l0"] * _norm(x_t @ p["weight_ih_l0"].T) + p["ln_ih_bias_l0"]
        ah = p["ln_hh_weight_l0"] * _norm(h @ p["weight_hh_l0"].T) + p["ln_hh_bias_l0"]
        (xr, xz, xn), (hr, hz, hn) = np.split(ax, 3, axis=-1), np.split(ah, 3, axis=-1)
        r, z = _sigmoid(xr + hr), _sigmoid(xz + hz)
        h = (1 - z) * np.tanh(xn + r * hn) + z * h
        out.append(h)
    return np.stack(out), (h,)


@pytest.mark.parametrize("mode", ["ln_lstm", "ln_gru"])
def test_a_layer_normalised_layer_computes_its_definition(mode):
    rng = np.random.default_rng(0)
    layer = cell_kind(mode).layer(3, 5, dtype=np.float64, seed=1)
    assert "bias_ih_l0" not in layer.params  # the shifts after the norms are the only biases
    for p in layer.params.values():
        p[...] = rng.normal(0, 0.8, p.shape)
    x = rng.normal(size=(6, 4, 3))
    state = tuple(rng.normal(size=(1, 4, 5)) for _ in layer.kernel.state_names)
    y, final = layer.forward(x, state if len(state) > 1 else state[0])
    final = final if isinstance(final, tuple) else (final,)
    p = layer.params
    want_y, want_final = (_lstm_by_definition(p, x, state[0][0], state[1][0]) if mode == "ln_lstm"
                          else _gru_by_definition(p, x, state[0][0]))
    np.testing.assert_allclose(y, want_y, rtol=1e-12, atol=1e-12)
    for got, want in zip(final, want_final):
        np.testing.assert_allclose(got[0], want, rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize("mode", ["ln_lstm", "ln_gru"])
def test_a_layer_normalised_language_model_trains_and_samples(tmp_path, capsys, mode):
    corpus = tmp_path / "c.txt"
    corpus.write_text("normalised steps keep their scale.\n" * 60)
    run = tmp_path / "run"
    assert main(["train", "--data", str(corpus), "--cell", mode, "--hidden", "16", "--layers", "2", "--seq-len", "8",
                 "--batch-size", "4", "--max-steps", "40", "--log-every", "10", "--lr", "0.01", "--sample-length", "0", "--out",
                 str(run)]) == 0
    rows = [json.loads(line) for line in (run / "metrics.jsonl").read_text().splitlines()]
    losses = [r["train_loss"] for r in rows if "train_loss" in r]
    first, last = losses[0], losses[-1]
    assert last < first
    capsys.readouterr()
    assert main(["sample", str(run), "--length", "20", "--prime", "no", "--temperature", "0"]) == 0
    assert capsys.readouterr().out.startswith("no")
