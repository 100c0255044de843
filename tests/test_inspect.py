"""``rnnlab inspect``: the numbers it shows are the model's own (activations against the layer's forward),
and the HTML page shows them, checked in a real headless browser (Debian's chromium driven by
Playwright): one coloured span per step, each coloured by the formula, the menus re-colouring, the plots
drawn, no script errors."""

from __future__ import annotations

import json
import re

import numpy as np
import pytest

from rnnlab.cli import main
from rnnlab.insight.page import colour
from rnnlab.tasks import load_task



@pytest.fixture(scope="module")
def lm_run(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("inspect")
    text = tmp / "corpus.txt"
    text.write_text("".join(f"the cat sat on the mat number {i % 7}.\n" for i in range(120)))
    run = tmp / "run"
    assert main(["train", "--data", str(text), "--hidden", "12", "--layers", "2",
                 "--max-steps", "30", "--seq-len", "16", "--sample-length", "0", "--out", str(run)]) == 0
    return run


@pytest.fixture(scope="module")
def adding_run(tmp_path_factory):
    run = tmp_path_factory.mktemp("adding") / "run"
    assert main(["train", "--task", "adding", "--seq-len", "12", "--layers", "1", "--hidden", "6", "--cell", "gru",
                 "--max-steps", "20", "--out", str(run)]) == 0
    return run


def test_activations_are_the_models_own(lm_run, capsys):
    capsys.readouterr()
    assert main(["inspect", str(lm_run), "--text", "the cat sat", "--units", "1,4", "--json"]) == 0
    info = json.loads(capsys.readouterr().out)
    assert info["tokens"] == list("the cat sa") and info["units"] == [1, 4]
    _, task, _ = load_task(lm_run)
    ids = task.vocab.encode(list("the cat sa"))
    with task.model.inference():
        e = task.model.embedding(ids[:, None])
        y, (h_n, c_n) = task.model.rnn(e)  # the top layer's h at every step
    np.testing.assert_allclose(info["values"]["hidden state h"], y[:, 0, [1, 4]].T, rtol=1e-5, atol=1e-6)
    assert set(info["values"]) == {"hidden state h", "tanh(cell c)", "input gate", "forget gate", "output gate"}
    assert len(info["flow"]["||dL/dh_t||"]) == 10 and len(info["saturation"]["forget"][0]) == 12
    # the parameter gradients are those of the last character's loss alone: the decoder's bias gradient
    # is softmax - onehot of that one prediction, whose norm is below sqrt(2)
    norms = info["parameter_norms"]
    assert {"rnn.weight_hh_l0", "rnn.weight_hh_l1", "decoder.bias"} <= set(norms)
    assert 0 < norms["decoder.bias"] < 2 ** 0.5 and norms["rnn.weight_hh_l0"] > 0


def test_a_long_range_run_shows_its_first_test_sequence(adding_run, capsys):
    capsys.readouterr()
    assert main(["inspect", str(adding_run), "--json"]) == 0
    info = json.loads(capsys.readouterr().out)
    assert len(info["tokens"]) == 12 and sum(t.startswith("[") for t in info["tokens"]) == 2
    assert set(info["saturation"]) == {"reset", "update"}
    assert main(["inspect", str(adding_run)]) == 0
    assert "||dL/dh_t|| at lag 0:" in capsys.readouterr().out


@pytest.mark.parametrize("argv,expected", [
    (["--units", "99"], "--units 99 is not a unit of this layer (0..11)"),
    (["--text", "x"], "--text needs at least two chars"),
    (["--text", "the Zebra"], "--text: character 'Z' is not in the vocabulary"),
    (["--html", "/no/such/dir/page.html"], "no such folder /no/such/dir"),
])
def test_bad_input_is_one_line(lm_run, capsys, argv, expected):
    assert main(["inspect", str(lm_run), *argv]) != 0
    err = capsys.readouterr().err
    assert expected in err and err.count("\n") == 1


def test_the_page_in_a_real_browser(lm_run, tmp_path, capsys, browser_page):
    page_file = tmp_path / "page.html"
    capsys.readouterr()
    assert main(["inspect", str(lm_run), "--text", "the mat sat on the cat", "--html", str(page_file),
                 "--units", "0,3,5", "--json"]) == 0
    info = json.loads(capsys.readouterr().out.splitlines()[0])
    page, errors = browser_page
    page.goto(page_file.as_uri())
    spans = page.locator("#tokens span")
    assert spans.count() == len(info["tokens"]) == 21
    assert page.locator("#tokens").inner_text() == "the mat sat on the ca"

    def background(t):
        return spans.nth(t).evaluate("s => getComputedStyle(s).backgroundColor")

    h = info["values"]["hidden state h"]
    assert [background(t) for t in (0, 7, 20)] == [colour(h[0][t], True) for t in (0, 7, 20)]
    page.select_option("#unit", "2")
    page.select_option("#quantity", "forget gate")
    f = info["values"]["forget gate"][2]
    assert [background(t) for t in (0, 7, 20)] == [colour(f[t], False) for t in (0, 7, 20)]
    assert "forget gate of unit 5" in spans.nth(3).get_attribute("title")
    flow = page.locator("#flow polyline.curve")
    assert flow.count() == 1 and len(flow.get_attribute("points").split()) == 21
    assert page.locator("#saturation circle.dot").count() == 3 * 12
    assert page.locator("html").get_attribute("lang") == "en"

    # the same page in Chinese: the articles' terms, the same numbers, the language declared
    assert main(["inspect", str(lm_run), "--text", "the mat sat on the cat", "--html", str(page_file),
                 "--units", "0,3,5", "--lang", "zh"]) == 0
    page.goto(page_file.as_uri())
    assert page.locator("html").get_attribute("lang") == "zh-CN"
    assert "梯度消失" in page.locator("body").inner_text() and "梯度爆炸" in page.locator("body").inner_text()
    page.select_option("#unit", "2")
    page.select_option("#quantity", "forget gate")
    assert page.locator("#quantity option:checked").inner_text() == "遗忘门"
    assert [background(t) for t in (0, 7, 20)] == [colour(f[t], False) for t in (0, 7, 20)]
    assert spans.nth(3).get_attribute("title") == f"时间步 3，单元 5 的遗忘门：{f[3]:.3f}"
    assert "Gradient flow" not in page.content() and "forget" not in page.locator("#saturation").inner_text()
    assert errors == []


def test_the_text_in_chinese_by_flag_or_locale(lm_run, capsys, monkeypatch):
    """--lang zh, or LANG=zh_CN.UTF-8, prints the summary with the articles' terms; the numbers are the
    same as in English."""
    capsys.readouterr()
    monkeypatch.setenv("LANG", "en_US.UTF-8")
    assert main(["inspect", str(lm_run)]) == 0
    english = capsys.readouterr().out
    assert main(["inspect", str(lm_run), "--lang", "zh"]) == 0
    chinese = capsys.readouterr().out
    monkeypatch.setenv("LANG", "zh_CN.UTF-8")
    assert main(["inspect", str(lm_run)]) == 0
    assert capsys.readouterr().out == chinese != english
    assert "遗忘门：左饱和" in chinese and "forget gate: left-saturated" in english
    numbers = lambda s: re.findall(r"-?\d+\.?\d*(?:e-?\d+)?", s.split("\n", 1)[1])  # noqa: E731
    assert numbers(chinese) == numbers(english)
