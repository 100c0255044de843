"""The long-range problems: generated as published (checked against the papers' definitions written
independently here: a regular expression of the embedded Reber grammar, the adding targets recomputed
from the markers), their measures, and the task on the trainer."""

from __future__ import annotations

import json
import re
from collections import defaultdict

import numpy as np
import pytest

from rnnlab.cli import main
from rnnlab.data import longrange as lr
from rnnlab.insight.explain import explain_step
from rnnlab.nn import Module, SoftmaxCrossEntropy
from rnnlab.tasks import LongRangeTask
from rnnlab.tasks import resolve_config

# The Reber grammar from its graph (Cleeremans et al. 1989), written out as a regular expression.
_L3 = "(T*VPX)*T*V(V|PS)"
_INNER = f"B(TS*X(S|X{_L3})|P{_L3})E"
EMBEDDED_REBER = re.compile(f"B(T{_INNER}T|P{_INNER}P)E")


def test_adding_1997_follows_hochreiter_and_schmidhuber():
    x, y, lengths = lr.adding(np.random.default_rng(0), 300, 100, "1997")
    assert lengths.min() >= 100 and lengths.max() <= 110 and len(set(lengths)) > 5
    for j, L in enumerate(lengths):
        v, m = x[:L, j, 0], x[:L, j, 1]
        assert not x[L:, j].any() and np.all(np.abs(v) <= 1)
        marked = np.flatnonzero(m == 1)
        assert len(marked) == 2 and marked.min() < 10 and marked.max() < 100 // 2 - 1
        assert set(np.flatnonzero(m == -1)) == {0, L - 1} - set(marked)
        assert y[j] == pytest.approx(0.5 + v[marked[marked != 0]].sum() / 4)


def test_adding_modern_follows_bai_et_al():
    x, y, lengths = lr.adding(np.random.default_rng(1), 20_000, 50)
    assert x.shape == (50, 20_000, 2) and np.all(lengths == 50)
    m = x[:, :, 1]
    assert np.all(m.sum(0) == 2) and np.all(m[:25].sum(0) == 1)
    np.testing.assert_allclose(y, (x[:, :, 0] * m).sum(0))
    assert np.mean((y - 1) ** 2) == pytest.approx(lr.ADDING_BASELINE, rel=0.03)


def test_copy_memory_and_its_memoryless_baseline():
    T = 30
    x, y = lr.copy_memory(np.random.default_rng(2), 4000, T)
    assert x.shape == y.shape == (T + 20, 4000)
    assert np.all((x[:10] >= 1) & (x[:10] <= 8)) and not x[10:T + 9].any() and np.all(x[T + 9:] == 9)
    assert not y[:T + 10].any() and np.array_equal(y[T + 10:], x[:10])
    # the best a model without memory can do: blank for sure, then a uniform guess among the 8 digits
    logits = np.full((T + 20, 4000, 10), -np.inf)
    logits[:T + 10, :, 0] = 0
    logits[T + 10:, :, 1:9] = 0
    assert SoftmaxCrossEntropy()(logits, y) == pytest.approx(lr.copy_baseline(T), rel=1e-9)


def test_temporal_order_has_two_symbols_that_decide_the_class():
    x, classes, lengths = lr.temporal_order(np.random.default_rng(3), 500, 100)
    for j, L in enumerate(lengths):
        s = "".join(lr.TEMPORAL_SYMBOLS[i] for i in x[:L, j])
        assert re.fullmatch("E[abcd]*[XY][abcd]*[XY][abcd]*B", s) and 100 <= L <= 110
        t1, t2 = [m.start() for m in re.finditer("[XY]", s)]
        assert 10 <= t1 <= 20 and 50 <= t2 <= 60
        assert lr.TEMPORAL_CLASSES[classes[j]] == s[t1] + s[t2]
    assert set(classes) == {0, 1, 2, 3}


def test_embedded_reber_strings_and_their_legal_successors():
    x, y, legal, lengths = lr.embedded_reber(np.random.default_rng(4), 3000)
    seen, counts = defaultdict(set), defaultdict(int)
    for j, L in enumerate(lengths):
        s = "".join(lr.REBER_SYMBOLS[i] for i in x[:L, j]) + lr.REBER_SYMBOLS[y[L - 1, j]]
        assert EMBEDDED_REBER.fullmatch(s), s
        assert np.array_equal(x[1:L, j], y[:L - 1, j]) and not legal[L:, j].any()
        for t in range(L):
            assert legal[t, j, y[t, j]]
            seen[s[:t + 1]].add((s[t + 1], tuple(legal[t, j])))
            counts[s[:t + 1]] += 1
    # the successors observed after a prefix are among those called legal, and after a prefix seen
    # often, all of them were observed
    for prefix, pairs in seen.items():
        sets = {p[1] for p in pairs}
        assert len(sets) == 1, prefix
        called = {lr.REBER_SYMBOLS[i] for i, ok in enumerate(sets.pop()) if ok}
        observed = {p[0] for p in pairs}
        assert observed <= called, prefix
        if counts[prefix] >= 100:
            assert observed == called, prefix
    assert {p[0] for p in seen["BT"]} == {"B"} and {p[0] for p in seen["B"]} == {"T", "P"}


class _Oracle(Module):
    """Logits favouring a legal next symbol; ``forget`` makes it guess the closing T or P as T."""

    def __init__(self, legal, lengths, forget):
        super().__init__()
        self.legal, self.lengths, self.forget = legal, lengths, forget

    def forward(self, x, lengths):
        logits = np.where(self.legal, 1.0, -1.0)
        if self.forget:
            last = self.lengths - 2
            cols = np.arange(len(last))
            logits[last, cols] = -1.0
            logits[last, cols, lr.REBER_SYMBOLS.index("T")] = 1.0
        return logits


def _task(**flags):
    return LongRangeTask(resolve_config(flags=dict(layers=1, hidden=8, batch_size=16, dtype="float64") | flags))


def test_reber_measures_count_legal_predictions():
    task = _task(task="reber")
    b = task.held_out["test"]
    task.model = _Oracle(b["legal"], b["lengths"], forget=False)
    m = task.evaluate("test")
    assert m["solved"] == 1.0 and m["long_range_accuracy"] == 1.0
    task.model = _Oracle(b["legal"], b["lengths"], forget=True)
    m = task.evaluate("test")
    ends_in_t = np.mean(b["y"][b["lengths"] - 2, np.arange(len(b["lengths"]))] == lr.REBER_SYMBOLS.index("T"))
    assert m["solved"] == m["long_range_accuracy"] == pytest.approx(ends_in_t) and 0.4 < ends_in_t < 0.6


def test_the_test_set_depends_on_the_problem_and_T_only():
    a, b = _task(task="copy", seq_len=12, seed=1), _task(task="copy", seq_len=12, seed=2, cell="gru")
    assert np.array_equal(a.held_out["test"]["x"], b.held_out["test"]["x"])
    assert not np.array_equal(a.held_out["valid"]["x"], b.held_out["valid"]["x"])
    assert not np.array_equal(a.batch(0, 0)["x"], a.batch(0, 1)["x"])
    assert np.array_equal(a.batch(3, 1)["x"], _task(task="copy", seq_len=12, seed=1).batch(3, 1)["x"])


def test_an_lstm_learns_the_adding_problem_on_the_trainer(tmp_path, capsys):
    """Modern adding at T = 20: a small LSTM gets far below the 0.167 of answering 1 in seconds."""
    run = tmp_path / "run"
    assert main(["train", "--task", "adding", "--seq-len", "20", "--layers", "1", "--hidden", "32",
                 "--epochs", "4", "--examples", "4000", "--lr", "0.01", "--out", str(run)]) == 0
    capsys.readouterr()
    assert main(["eval", str(run), "--split", "test", "--json"]) == 0
    m = json.loads(capsys.readouterr().out)
    assert m["loss"] < 0.02 and m["n"] == 1000 and m["baseline"] == pytest.approx(1 / 6)


@pytest.mark.parametrize("flags,expected", [
    (["--task", "copy", "--data", "ptb-word"], "--data is not a setting of --task copy; it is one of --task lm, "
                                               "classify, forecast, seq2seq"),
    (["--task", "adding", "--init", "identity"], "identity (IRNN) is for plain RNN cells"),
    (["--task", "copy", "--definition", "1997"], "--definition is not a setting of --task copy; it is one of --task "
                                                 "adding"),
    (["--task", "lm", "--examples", "50"], "--examples is not a setting of --task lm; it is one of --task adding"),
    (["--task", "adding", "--definition", "1996"], "unknown definition '1996'"),
])
def test_bad_long_range_flags_are_one_line(tmp_path, capsys, flags, expected):
    assert main(["train", *flags, "--out", str(tmp_path / "run")]) == 2
    err = capsys.readouterr().err
    assert expected in err and err.count("\n") == 1 and not (tmp_path / "run").exists()


def test_identity_init_is_irnn_orthogonal_is_orthogonal_and_the_forget_bias_is_set():
    task = _task(task="adding", cell="rnn_relu", init="identity")
    p = task.model.rnn.params
    assert np.array_equal(p["weight_hh_l0"], np.eye(8)) and not p["bias_hh_l0"].any()
    assert 0 < p["weight_ih_l0"].std() < 0.01
    w = _task(task="adding", cell="gru", init="orthogonal").model.rnn.params["weight_hh_l0"]
    for g in range(3):
        np.testing.assert_allclose(w[8 * g:8 * (g + 1)] @ w[8 * g:8 * (g + 1)].T, np.eye(8), atol=1e-12)
    model = _task(task="copy", cell="lstm", forget_bias=1.0).model
    f = model.rnn.params["bias_ih_l0"][8:16] + model.rnn.params["bias_hh_l0"][8:16]
    assert np.all(f == 1.0)
    p = {k[:-3]: v.astype(np.float64) for k, v in model.rnn.state_dict().items()}
    p["weight_ih"][:], p["weight_hh"][:] = 0, 0  # with no input, the kernel's forget gate is sigma(1)
    np.testing.assert_allclose(explain_step("lstm", p, np.zeros(8), np.zeros(8))["f"], 1 / (1 + np.exp(-1)))


def test_every_preset_is_a_valid_config_and_adding_1997_trains(tmp_path, capsys):
    from rnnlab.tasks.registry import presets

    assert len(presets()) == 17
    for name, values in presets().items():  # rnnlab forecast gives its preset the series
        data = {"data": "co2"} if values["task"] == "forecast" else {}
        assert resolve_config(name, flags=data).task in ("lm", "classify", "seq2seq", "adding", "forecast")
    run = tmp_path / "run"
    assert main(["train", "--preset", "adding-1997", "--max-steps", "5", "--out", str(run)]) == 0
    capsys.readouterr()
    assert main(["eval", str(run), "--json"]) == 0
    m = json.loads(capsys.readouterr().out)
    assert m["n"] == 1000 and 0 <= m["solved"] <= 1
