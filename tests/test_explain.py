"""``rnnlab explain``: the seed articles' worked LSTM step reproduced, and every number of a step equal
to what the library's layer computes for one step (forward, and backward from random upstream gradients)."""

from __future__ import annotations

import json

import numpy as np
import pytest

from rnnlab.cli import main
from rnnlab.insight.explain import explain_step, worked_example
from rnnlab.nn import cell_kind


def test_the_worked_example_gives_the_articles_cell_state():
    weights, v = worked_example()
    n = explain_step("lstm", weights, **v)
    np.testing.assert_allclose(n["f"], [0.63, 0.82], atol=1e-12)
    np.testing.assert_allclose(n["i"], [0.41, 0.29], atol=1e-12)
    np.testing.assert_allclose(n["g"], [0.72, -0.59], atol=1e-12)
    np.testing.assert_allclose(n["c_t"], [0.6732, -0.3351], atol=1e-12)  # 0.63*0.6 + 0.41*0.72, ...
    np.testing.assert_allclose(n["h_t"], 0.5 * np.tanh([0.6732, -0.3351]), atol=1e-12)


@pytest.mark.parametrize("cell", ["lstm", "gru", "rnn", "rnn_relu"])
def test_every_number_is_the_layers_own(cell):
    rng = np.random.default_rng(1)
    D, H = 3, 4
    layer = cell_kind(cell).layer(D, H, dtype=np.float64, seed=2)
    layer.load_state_dict({k: rng.normal(size=v.shape) for k, v in layer.state_dict().items()})
    weights = {k[:-3]: v for k, v in layer.state_dict().items()}
    x, h, c, dh, dc = (rng.normal(size=n) for n in (D, H, H, H, H))
    two = cell == "lstm"
    n = explain_step(cell, weights, x, h, c if two else None, dh, dc if two else None)
    y, final = layer(x[None, None], (h[None, None], c[None, None]) if two else h[None, None])
    np.testing.assert_allclose(n["h_t"], y[0, 0], rtol=1e-12, atol=1e-14)
    if two:
        np.testing.assert_allclose(n["c_t"], final[1][0, 0], rtol=1e-12, atol=1e-14)
    dx, dstate = layer.backward(dh[None, None], (None, dc[None, None]) if two else None)
    np.testing.assert_allclose(n["dL/dx_t"], dx[0, 0], rtol=1e-10, atol=1e-13)
    np.testing.assert_allclose(n["dL/dh_{t-1}"], (dstate[0] if two else dstate)[0, 0], rtol=1e-10, atol=1e-13)
    if two:
        np.testing.assert_allclose(n["dL/dc_{t-1}"], dstate[1][0, 0], rtol=1e-10, atol=1e-13)
    short = {"weight_ih": "W_ih", "weight_hh": "W_hh", "bias_ih": "b_ih", "bias_hh": "b_hh"}
    for name, _, g in layer.named_parameters():
        np.testing.assert_allclose(n[f"dL/d{short[name[:-3]]}"], g, rtol=1e-10, atol=1e-13, err_msg=name)


def test_the_command_prints_the_example_and_rejects_bad_values(capsys):
    assert main(["explain", "--json"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert out["cell"] == "lstm" and np.allclose(out["c_t"], [0.6732, -0.3351])
    sigmas = ", ".join(f"{1 / (1 + np.exp(-v)):.3f}" for v in (0.3, -0.1, 0.5, 0.2))  # what the article's matrix gives
    assert f"sigma of those entries is {sigmas}" in out["note"] and "(2, 4) is meant" in out["note"]
    assert main(["explain"]) == 0
    assert capsys.readouterr().out.count("note: the article writes") == 1
    assert main(["explain", "--cell", "lstm", "--seed", "1", "--json"]) == 0
    assert "note" not in json.loads(capsys.readouterr().out)  # only the article's example has it
    assert main(["explain", "--cell", "gru", "--x", "1,2", "--h", "0.1,0.2,0.3", "--seed", "3"]) == 0
    text = capsys.readouterr().out
    assert "n = tanh(xn + r * hn)" in text and "dL/dW_hh (9, 3)" in text
    for argv, expected in ((["--x", "1,a"], "--x takes numbers"), (["--cell", "rnn", "--c", "1"], "--c is the LSTM's"),
                           (["--x", "1,2", "--h", "1", "--dh", "1,2"], "--dh has 2 values; this lstm step takes 1")):
        assert main(["explain", *argv]) != 0
        err = capsys.readouterr().err
        assert expected in err and err.count("\n") == 1


def test_chinese_with_the_articles_terms(capsys, monkeypatch):
    """--lang zh, or a Chinese locale, prints the step in Chinese with the articles' terms; the numbers
    are the same in both languages."""
    for name in ("LC_ALL", "LC_MESSAGES"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("LANG", "C.UTF-8")
    assert main(["explain"]) == 0
    english = capsys.readouterr().out
    assert main(["explain", "--lang", "zh"]) == 0
    chinese = capsys.readouterr().out
    assert all(term in chinese for term in ("遗忘门", "输入门", "候选细胞状态", "输出门", "细胞状态", "隐藏状态"))
    assert "forget gate" in english and "遗忘门" not in english
    numbers = lambda out: [line for line in out.splitlines() if line[:1].isalpha() and line.split()[-1][-1].isdigit()
                           and "=" not in line]  # noqa: E731
    assert numbers(chinese) == numbers(english) and len(numbers(english)) > 10
    monkeypatch.setenv("LANG", "zh_CN.UTF-8")
    assert main(["explain"]) == 0
    assert capsys.readouterr().out == chinese
    assert main(["explain", "--cell", "gru", "--steps", "3"]) == 0
    unrolled = capsys.readouterr().out
    assert all(term in unrolled for term in ("时间反向传播", "前向传播", "损失", "重置门", "更新门"))


def test_every_message_the_code_asks_for_exists_in_both_languages():
    """Each key the source passes to ``messages.text`` is in the English and the Chinese table, and the
    two tables have the same keys with the same fields."""
    import re
    import string
    from pathlib import Path

    from rnnlab.insight.messages import MESSAGES

    source = "".join(p.read_text() for p in (Path(__file__).parents[1] / "src" / "rnnlab").rglob("*.py"))
    used = set(re.findall(r"""\btext\((?:lang|"en"|"zh"), ["'](\w+)["']""", source))
    assert len(used) > 30 and used <= set(MESSAGES["en"]), used - set(MESSAGES["en"])
    assert set(MESSAGES["en"]) == set(MESSAGES["zh"])
    fields = lambda s: {f for _, f, _, _ in string.Formatter().parse(s) if f}  # noqa: E731
    assert all(fields(MESSAGES["en"][k]) == fields(MESSAGES["zh"][k]) for k in MESSAGES["en"])
