"""Chinese text where text is read: a classifier reads Chinese as characters unless told otherwise
(and records the choice), --tokens word segments it with jieba, --simplified maps traditional
characters to simplified in the data and in new inputs, the confusion matrix lines up Chinese labels
by display width, and a word-level language model samples Chinese words without spaces between them."""

from __future__ import annotations

import json

import numpy as np

from rnnlab.cli import main
from rnnlab.data.text import width

GOOD = ["这个手机很好用", "质量非常好", "物流很快，很满意", "屏幕清楚，喜欢", "价格便宜，好评"]
BAD = ["这个手机太差了", "质量很差", "物流太慢，不满意", "屏幕坏了，失望", "价格太贵，差评"]


def _table(path, rows):
    path.write_text("text\tlabel\n" + "".join(f"{t}\t{y}\n" for t, y in rows), encoding="utf-8")
    return path


def _train(tmp_path, name, *flags):
    rows = [(t, "正面") for t in GOOD * 12] + [(t, "负面") for t in BAD * 12]
    data = _table(tmp_path / "reviews.tsv", rows)
    run = tmp_path / name
    assert main(["train", "--task", "classify", "--data", str(data), "--hidden", "16", "--layers", "1", "--pool",
                 "mean", "--epochs", "6", "--lr", "0.01", "--batch-size", "8", "--out", str(run), *flags]) == 0
    return run


def test_characters_by_default_words_by_jieba_and_labels_aligned(tmp_path, capsys):
    run = _train(tmp_path, "chars")
    assert json.loads((run / "config.json").read_text())["tokens"] == "char"
    vocab = json.loads((run / "vocab.json").read_text())["itos"]
    assert all(len(t) == 1 for t in vocab if t != "<unk>")
    words = _train(tmp_path, "words", "--tokens", "word")
    vocab = json.loads((words / "vocab.json").read_text())["itos"]
    assert {"手机", "质量", "物流"} <= set(vocab)  # jieba's words, not whole sentences
    capsys.readouterr()
    assert main(["eval", str(run), "--split", "train"]) == 0
    matrix = capsys.readouterr().out.splitlines()[-3:]  # header and one row a label
    assert len({width(line) for line in matrix}) == 1 and matrix[1].lstrip().startswith("正面")
    assert main(["predict", str(run), "质量非常好", "物流太慢，不满意"]) == 0
    assert [line.split("\t")[0] for line in capsys.readouterr().out.splitlines()] == ["正面", "负面"]


def test_traditional_characters_read_as_simplified(tmp_path, capsys):
    run = _train(tmp_path, "simplified", "--simplified")
    vocab = set(json.loads((run / "vocab.json").read_text())["itos"])
    capsys.readouterr()
    assert main(["predict", str(run), "質量非常好", "質量很差", "质量非常好", "质量很差"]) == 0
    printed = capsys.readouterr()
    lines = [line.split("\t") for line in printed.out.splitlines()]
    assert [p for _, p, _ in lines[:2]] == [p for _, p, _ in lines[2:]]  # 質量 is 质量
    assert "<unk>" not in printed.err and "質" not in vocab and "质" in vocab


def test_a_word_language_model_on_chinese(tmp_path, capsys):
    corpus = tmp_path / "zh.txt"
    corpus.write_text("".join(np.random.default_rng(0).choice(GOOD + BAD, 400)) .replace("好", "好。\n"), encoding="utf-8")
    run = tmp_path / "lm"
    assert main(["train", "--data", str(corpus), "--tokens", "word", "--hidden", "16", "--layers", "1", "--seq-len",
                 "8", "--batch-size", "4", "--max-steps", "30", "--sample-length", "0", "--out", str(run)]) == 0
    vocab = json.loads((run / "vocab.json").read_text())["itos"]
    assert "手机" in vocab and "这个手机很好用" not in vocab
    capsys.readouterr()
    assert main(["sample", str(run), "--length", "40", "--seed", "1", "--prime", "这个手机"]) == 0
    text = capsys.readouterr().out
    assert text.startswith("这个手机") and " " not in text.strip()  # Chinese words are not spaced apart
    page = tmp_path / "page.html"
    assert main(["inspect", str(run), "--text", "这个手机很好用。\n", "--html", str(page)]) == 0
    html = page.read_text(encoding="utf-8")
    assert '<div id="tokens" lang="zh"><span>这个</span><span>手机</span>' in html  # jieba's words, declared Chinese


def test_max_tokens_reads_the_start_of_each_text(tmp_path, capsys):
    run = _train(tmp_path, "short", "--max-tokens", "2")
    capsys.readouterr()
    assert main(["predict", str(run), "质量非常好", "质量很差", "这个手机很好用"]) == 0
    lines = [line.split("\t") for line in capsys.readouterr().out.splitlines()]
    assert lines[0][:2] == lines[1][:2] != lines[2][:2]  # both read as 质量
