"""English-Chinese translation (``--task seq2seq --data cmn-eng``) and the text it reads: English as
lower-cased words, Chinese as characters or jieba words, outputs measured by sacrebleu's BLEU and chrF
against every reference of a source; ``rnnlab translate`` from arguments, a file, a table (with its
scores) or standard input."""

from __future__ import annotations

import subprocess
import sys

import pytest

from rnnlab.cli import main
from rnnlab.data.pairs import load_cmn_eng
from rnnlab.data.text import detokenize, natural, pad, simplified, width, words
from rnnlab.seq2seq.metrics import text_scores

LINES = ["Hi.\t嗨。\tCC-BY 2.0 (France) Attribution: tatoeba.org #1 (a) & #2 (b)",
         "Hi.\t你好。\tCC-BY 2.0 (France) Attribution: tatoeba.org #1 (a) & #3 (c)",
         "I'm fine.\t我很好。\tCC-BY 2.0 (France) Attribution: tatoeba.org #4 (a) & #5 (b)",
         "a line without a translation"]


def test_words_and_text_back():
    assert words("I'm fine, Tom!") == ["i'm", "fine", ",", "tom", "!"]
    assert detokenize(["i'm", "fine", ",", "tom", "!"]) == "i'm fine, tom!"
    assert detokenize(list("我很好。")) == "我很好。" and detokenize(["汤姆", "说", "ok", "。"]) == "汤姆说ok。"
    assert natural("我今天去北京大学。") == ["我", "今天", "去", "北京大学", "。"]  # jieba's words
    assert natural("Tom said OK.") == ["tom", "said", "ok", "."]
    assert width("中文ab") == 6 and pad("中文", 6) == "中文  " and pad("ab", 6) == "ab    "
    assert simplified("我們學習漢語") == "我们学习汉语"  # OpenCC's t2s


def test_word_tokens_on_chinese_without_jieba_is_one_line(tmp_path, monkeypatch, capsys):
    (tmp_path / "zh").mkdir()
    (tmp_path / "zh" / "cmn.txt").write_text("\n".join(LINES * 30) + "\n", encoding="utf-8")
    monkeypatch.setitem(sys.modules, "jieba", None)  # as if not installed
    assert main(["train", "--task", "seq2seq", "--data", "cmn-eng", "--data-dir", str(tmp_path), "--direction", "en-zh",
                 "--target-tokens", "word", "--max-steps", "1", "--out", str(tmp_path / "run")]) == 1
    err = capsys.readouterr().err
    assert "segments it with jieba, which is not installed: pip install \"rnnlab[zh]\"" in err and err.count("\n") == 1
    assert not (tmp_path / "run").exists()


def test_the_pairs_both_ways_with_every_reference(tmp_path):
    (tmp_path / "zh").mkdir()
    (tmp_path / "zh" / "cmn.txt").write_text("\n".join(LINES) + "\n", encoding="utf-8")
    en_zh = load_cmn_eng(tmp_path, "en-zh")
    sources = {tuple(s): refs for split in en_zh.values() for s, refs in zip(split.sources, split.references)}
    assert sources == {("hi", "."): [list("嗨。"), list("你好。")], ("i'm", "fine", "."): [list("我很好。")]}
    zh_en = load_cmn_eng(tmp_path, "zh-en")
    sources = {tuple(s): refs for split in zh_en.values() for s, refs in zip(split.sources, split.references)}
    assert sources[tuple("你好。")] == [["hi", "."]] and len(sources) == 3
    seen = [tuple(s) for split in en_zh.values() for s in split.sources]  # splits never share a source
    assert len(seen) == len(set(seen))


def test_bleu_and_chrf_use_every_reference():
    refs = [["我很好。", "我没事。"], ["你好。"]]
    second = text_scores(["我没事。", "你好。"], refs, chinese=True)
    assert second["bleu"] == pytest.approx(100) and second["chrf"] == pytest.approx(100)
    only_first = text_scores(["我没事。", "你好。"], [[r[0]] for r in refs], chinese=True)
    assert only_first["bleu"] < 100
    import sacrebleu

    assert only_first["bleu"] == pytest.approx(sacrebleu.corpus_bleu(["我没事。", "你好。"], [["我很好。", "你好。"]],
                                                                      tokenize="zh").score)


@pytest.fixture(scope="module")
def tiny_run(tmp_path_factory):
    """A small en-zh model trained on made-up sentence pairs until it knows them: (run folder, the
    training split's (English, Chinese) pairs)."""
    from rnnlab.data.pairs import hash_split

    root = tmp_path_factory.mktemp("cmn")
    (root / "zh").mkdir()
    who = {"I": "我", "You": "你", "He": "他", "She": "她", "We": "我们", "They": "他们"}
    what = {"cat": "一只猫", "dog": "一只狗", "bird": "一只鸟", "fish": "一条鱼", "horse": "一匹马"}
    pairs = [(f"{w} {'sees' if w in ('He', 'She') else 'see'} a {o}{p}", f"{who[w]}看见{what[o]}{q}")
             for w in who for o in what for p, q in ((".", "。"), ("!", "！"), ("?", "？"))]
    (root / "zh" / "cmn.txt").write_text("".join(f"{e}\t{c}\tCC-BY\n" for e, c in pairs), encoding="utf-8")
    run = root / "run"
    assert main(["train", "--task", "seq2seq", "--data", "cmn-eng", "--data-dir", str(root), "--hidden", "64",
                 "--layers", "1", "--embed", "16", "--batch-size", "8", "--lr", "0.01", "--epochs", "20",
                 "--out", str(run)]) == 0
    return run, [(e, c) for e, c in pairs if hash_split(" ".join(words(e))) == "train"]


def test_a_model_translates_and_is_measured_by_bleu(tiny_run, capsys, tmp_path):
    run, known = tiny_run
    capsys.readouterr()
    assert main(["eval", str(run), "--split", "train"]) == 0
    report = capsys.readouterr().out
    assert "train (greedy): BLEU " in report and "chrF" in report
    assert float(report.split("BLEU ")[1].split(",")[0]) > 90  # it has learnt its sentences
    (e1, c1), (e2, c2), (e3, c3) = known[:3]
    assert main(["translate", str(run), "--beam", "3", e1, e2]) == 0  # texts after an option
    assert capsys.readouterr().out == f"{e1}\t{c1}\n{e2}\t{c2}\n"
    table = tmp_path / "t.tsv"
    table.write_text(f"source\ttarget\n{e1}\t{c1}\n{e1}\t另一个译文\n{e3}\t{c3}\n", encoding="utf-8")
    assert main(["translate", str(run), "--data", str(table)]) == 0
    printed = capsys.readouterr()
    assert printed.out.splitlines() == [f"{e1}\t{c1}", f"{e3}\t{c3}"]
    assert f"{table} (greedy): BLEU 100.00, chrF 100.00 over 2 sources" in printed.err
    done = subprocess.run([sys.executable, "-m", "rnnlab", "translate", str(run), "-"], input=f"{e2}\n",
                          capture_output=True, text=True, encoding="utf-8")
    assert done.returncode == 0 and done.stdout == f"{e2}\t{c2}\n"


def test_an_attention_plot_with_chinese_says_how_to_get_a_font(tiny_run, capsys, tmp_path):
    """Chinese tokens are drawn with a CJK font when one is installed; without one the figure is still
    written and one line says how to get a font (no "Glyph missing" warning for every character: the
    suite turns warnings into errors)."""
    from rnnlab.plot import cjk_font

    run, known = tiny_run
    capsys.readouterr()
    assert main(["translate", str(run), known[0][0], "--attention-plot", str(tmp_path / "a.png")]) == 0
    err = capsys.readouterr().err
    assert (tmp_path / "a.png").stat().st_size > 1000
    assert ("no Chinese font is installed" in err) == (cjk_font() is None)


def test_settings_that_do_not_apply_are_one_line(capsys, tmp_path):
    for argv, says in ((["--data", "dates", "--direction", "zh-en"], "--direction is for --data cmn-eng"),
                       (["--data", "cmudict", "--source-tokens", "word"], "--source-tokens and --target-tokens are for")):
        assert main(["train", "--task", "seq2seq", *argv, "--out", str(tmp_path / "r")]) == 2
        err = capsys.readouterr().err
        assert says in err and err.count("\n") == 1 and not (tmp_path / "r").exists()
