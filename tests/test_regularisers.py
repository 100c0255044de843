"""The AWD-LSTM regularisers against their definitions (``rnnlab.nn.regularisers``): weight drop is a
plain layer run with W_hh * M / (1 - p) for one mask M a batch, and its gradient dW_hh' * M / (1 - p);
locked dropout keeps one mask for all steps; embedding dropout drops a word at every occurrence;
AR and TAR are their formulas; the whole regularised model passes gradcheck with AR and TAR in its
loss. PyTorch, with the same masks, is in test_torch_parity.py."""

import copy

import numpy as np
import pytest

from cases import Recorder

from rnnlab import gradcheck as gc
from rnnlab.models import LanguageModel
from rnnlab.nn import LSTM, Dropout
from rnnlab.nn.regularisers import LockedDropout, activation_penalties, row_mask


def test_weight_drop_is_a_plain_layer_with_masked_recurrent_weights():
    rng = np.random.default_rng(0)
    dropped = LSTM(3, 5, weight_drop=0.5, dtype=np.float64, seed=1)
    plain = LSTM(3, 5, dtype=np.float64, seed=1)
    twin_rng = copy.deepcopy(dropped.rng)  # the mask the next forward draws
    M = row_mask(twin_rng, (20, 5), 0.5, np.float64)
    assert set(np.unique(M)) == {0.0, 2.0}
    plain.load_state_dict(dropped.state_dict() | {"weight_hh_l0": dropped.params["weight_hh_l0"] * M})
    x, dy = rng.normal(size=(6, 2, 3)), rng.normal(size=(6, 2, 5))
    y, _ = dropped.forward(x)
    y_plain, _ = plain.forward(x)
    np.testing.assert_allclose(y, y_plain, rtol=1e-13)  # one mask for all six steps
    dropped.backward(dy)
    plain.backward(dy)
    np.testing.assert_allclose(dropped.grads["weight_hh_l0"], plain.grads["weight_hh_l0"] * M, rtol=1e-13)
    np.testing.assert_allclose(dropped.grads["weight_ih_l0"], plain.grads["weight_ih_l0"], rtol=1e-13)
    dropped.eval()
    plain.load_state_dict(dropped.state_dict())
    np.testing.assert_array_equal(dropped.forward(x)[0], plain.forward(x)[0])  # none at evaluation


def test_locked_dropout_keeps_one_mask_for_every_step():
    x = np.ones((7, 4, 6))
    y = LockedDropout(0.5, seed=0).forward(x)
    assert np.all(y == y[:1]) and set(np.unique(y)) == {0.0, 2.0}
    assert not np.all(Dropout(0.5, seed=0).forward(x) == Dropout(0.5, seed=0).forward(x)[:1])
    layer = LSTM(2, 3, num_layers=2, dropout=0.5, locked_dropout=True, seed=0)
    layer.rng = Recorder(layer.rng)
    layer.forward(np.ones((5, 4, 2), np.float32))
    assert [a.shape for a in layer.rng.drawn] == [(1, 4, 3)]  # between the layers: one row for all five steps


def test_embedding_dropout_drops_a_word_everywhere_in_a_batch():
    model = LanguageModel(6, "lstm", hidden_size=4, num_layers=1, dropout=0.0, dropout_embed=0.5, dtype=np.float64,
                          seed=3)
    x = np.array([[0, 1, 2], [1, 2, 0], [2, 0, 1], [3, 3, 3]])
    mask = row_mask(copy.deepcopy(model.rng), 6, 0.5, np.float64)
    seen = {}
    rnn_forward = model.rnn.forward
    model.rnn.forward = lambda e, state=None, **k: seen.setdefault("e", e) is not None and rnn_forward(e, state, **k)
    logits, _ = model.forward(x)
    E = model.children["embedding"].params["weight"]
    np.testing.assert_allclose(seen["e"], E[x] * mask[x][..., None], rtol=1e-14)
    model.zero_grad()
    model.backward(np.ones_like(logits))
    dropped = [v for v in range(4) if mask[v] == 0]
    assert dropped and np.all(model.children["embedding"].grads["weight"][dropped] == 0)


def test_ar_and_tar_are_their_formulas():
    rng = np.random.default_rng(1)
    h, h_drop = rng.normal(size=(5, 3, 4)), rng.normal(size=(5, 3, 4))
    value, dh, d_drop = activation_penalties(h, h_drop, 2.0, 1.0)
    assert value == pytest.approx(2.0 * np.mean(h_drop ** 2) + np.mean((h[1:] - h[:-1]) ** 2))
    eps, probe = 1e-6, np.zeros_like(h)
    probe[2, 1, 3] = eps
    numeric = (activation_penalties(h + probe, h_drop, 2.0, 1.0)[0] - activation_penalties(h - probe, h_drop, 2.0,
                                                                                             1.0)[0]) / (2 * eps)
    assert dh[2, 1, 3] == pytest.approx(numeric, rel=1e-6)
    np.testing.assert_allclose(d_drop, 4.0 * h_drop / h_drop.size)


@pytest.mark.parametrize("tie,shape", [(False, "projections"), (True, "projections"), (True, "top")])
def test_a_regularised_language_model_passes_gradcheck(tie, shape):
    """Every regulariser at once, with projections or a last layer of its own width (the authors') so
    that the tied embedding fits the last layer."""
    fit = dict(proj_size=3) if shape == "projections" else dict(top_size=3, embed_size=3)
    errors = gc.check_language_model("lstm", tie_weights=tie, dropout=0.4, seed=2, locked=True, dropout_input=0.3,
                                     dropout_hidden=0.25, dropout_embed=0.2, weight_drop=0.5, ar=2.0, tar=1.0, **fit)
    assert max(errors.values()) < gc.TOLERANCE, errors
    assert (shape == "top") == any(k.startswith("rnn_top.") for k in errors)


def test_variable_length_bptt_covers_the_data_with_jittered_batches_and_scaled_rates(tmp_path):
    """--bptt-jitter: each epoch's batches run over the training streams once, end to end, in lengths
    drawn as Merity et al. (most near T, some near T/2, none under 5 or over T + 20), the same for a
    given epoch and seed, another the next epoch; each batch's learning rate is scaled by its length / T;
    a run with it resumes exactly."""
    from safetensors.numpy import load_file

    from rnnlab.cli import main
    from rnnlab.tasks import make_trainer, resolve_config

    corpus = tmp_path / "c.txt"
    corpus.write_text("lengths vary from one batch to the next. " * 300)
    cfg = resolve_config(flags=dict(data=str(corpus), hidden=8, layers=1, seq_len=30, batch_size=4, bptt_jitter=True,
                                    optimizer="sgd", lr=1.0, sample_length=0))
    trainer = make_trainer(cfg, tmp_path / "run", progress=False, log=lambda msg: None)
    task = trainer.task
    S = task.train_data.shape[0]
    spans = task._spans(1)
    assert task.batches_in(1) == len(spans) and spans[0][0] == 0 and spans[-1][0] + spans[-1][1] == S - 1
    assert all(a + n == b for (a, n, _), (b, _, _) in zip(spans, spans[1:]))  # end to end
    drawn = np.array([d for _, _, d in spans])
    assert drawn.min() >= 5 and drawn.max() <= 50 and len(set(drawn)) > 3 and abs(np.median(drawn) - 30) <= 5
    assert task._spans(2) != spans and task._spans(1) == spans
    x, y = task.batch(1, 3)
    assert x.shape == (spans[3][1], 4) and np.array_equal(x, task.train_data[spans[3][0]:spans[3][0] + spans[3][1]])
    trainer.train_step(task.batch(1, 0))
    assert trainer.opt.lr == pytest.approx(spans[0][2] / 30)
    flags = ["train", "--data", str(corpus), "--hidden", "8", "--layers", "1", "--seq-len", "30", "--batch-size",
             "4", "--bptt-jitter", "--sample-length", "0", "--checkpoint-every", "4", "--optimizer", "sgd", "--lr", "1"]
    assert main([*flags, "--max-steps", "12", "--out", str(tmp_path / "whole")]) == 0
    assert main([*flags, "--max-steps", "4", "--out", str(tmp_path / "part")]) == 0
    assert main(["train", "--resume", str(tmp_path / "part"), "--max-steps", "12"]) == 0
    a, b = (load_file(str(tmp_path / r / "checkpoint.safetensors")) for r in ("whole", "part"))
    assert all(np.array_equal(a[k], b[k]) for k in a)
