"""``rnnlab eval RUN --data FILE`` measures a file of the run's kind with the same JSON as a split: given
the very file a split came from, the same numbers, for a classifier, an encoder-decoder, a language
model and a forecaster."""

from __future__ import annotations

import json

import numpy as np
import pytest

from rnnlab.cli import main


def _eval(capsys, *argv) -> dict:
    capsys.readouterr()
    assert main(["eval", *argv, "--json"]) == 0
    return json.loads(capsys.readouterr().out)


def _tables(folder, rows_of, header):
    folder.mkdir()
    for split, n in (("train", 60), ("valid", 12), ("test", 12)):
        (folder / f"{split}.tsv").write_text(header + "\n" + "".join(rows_of(split, i) + "\n" for i in range(n)))


def test_a_classifier_measures_a_table(tmp_path, capsys):
    words = ["good", "fine", "bad", "poor", "film", "plot"]
    rng = np.random.default_rng(0)

    def row(split, i):
        label = ("pos", "neg")[i % 2]
        text = " ".join(rng.choice(words[:2] if label == "pos" else words[2:4], 2)) + " " + rng.choice(words[4:])
        return f"{text}\t{label}"

    _tables(tmp_path / "d", row, "text\tlabel")
    run = tmp_path / "run"
    assert main(["train", "--task", "classify", "--data", str(tmp_path / "d"), "--hidden", "8", "--layers", "1",
                 "--max-steps", "30", "--out", str(run)]) == 0
    assert _eval(capsys, str(run), "--data", str(tmp_path / "d" / "test.tsv")) == _eval(capsys, str(run), "--split",
                                                                                          "test")
    (tmp_path / "other.tsv").write_text("text\tlabel\ngood good film\tpos\nbad film\tneutral\n")
    assert main(["eval", str(run), "--data", str(tmp_path / "other.tsv")]) == 1
    assert "labels ['neutral'] are not among the run's classes" in capsys.readouterr().err


def test_an_encoder_decoder_measures_a_table_of_pairs(tmp_path, capsys):
    rng = np.random.default_rng(1)

    def row(split, i):
        word = "".join(rng.choice(list("abcd"), size=rng.integers(2, 5)))
        return f"{word}\t{word[::-1]}"

    _tables(tmp_path / "d", row, "source\ttarget")
    run = tmp_path / "run"
    assert main(["train", "--task", "seq2seq", "--data", str(tmp_path / "d"), "--hidden", "8", "--layers", "1",
                 "--max-steps", "20", "--out", str(run)]) == 0
    by_file = _eval(capsys, str(run), "--data", str(tmp_path / "d" / "test.tsv"), "--beam", "2")
    assert by_file == _eval(capsys, str(run), "--split", "test", "--beam", "2")
    assert set(by_file) == {"loss", "wer", "per", "exact", "token_accuracy", "n"} and by_file["n"] == 12


def test_a_language_model_measures_a_text(tmp_path, capsys):
    corpus = tmp_path / "c.txt"
    corpus.write_text("".join(f"the cat {w} on the mat.\n" for w in ["sat", "lay", "ran"] * 80))
    run = tmp_path / "run"
    assert main(["train", "--data", str(corpus), "--tokens", "word", "--hidden", "8", "--layers", "1", "--seq-len",
                 "8", "--batch-size", "4", "--max-steps", "20", "--sample-length", "0", "--out", str(run)]) == 0
    from rnnlab.tasks import load_task

    _, task, _ = load_task(run)
    assert task.vocab.kind == "word" and "cat" in task.vocab.stoi  # --tokens word: a word-level model
    valid = tmp_path / "valid.txt"
    valid.write_text(task.vocab.decode(task.vocab.encode(task.corpus.tokens("valid"))))
    assert _eval(capsys, str(run), "--data", str(valid)) == _eval(capsys, str(run), "--split", "valid")
    (tmp_path / "new.txt").write_text("the dog sat on the rug.\n" * 4)
    measured = _eval(capsys, str(run), "--data", str(tmp_path / "new.txt"))
    assert measured["unknown"] == 8  # dog and rug, four times each: read as <unk> and counted


@pytest.mark.filterwarnings("ignore::UserWarning")
def test_a_forecaster_measures_a_series_file(tmp_path, capsys):
    t = np.arange(120)
    data = tmp_path / "s.csv"
    data.write_text("value\n" + "".join(f"{10 + np.sin(2 * np.pi * i / 12):.5f}\n" for i in t))
    run = tmp_path / "run"
    assert main(["train", "--task", "forecast", "--data", str(data), "--horizon", "6", "--folds", "2", "--hidden", "8",
                 "--epochs", "3", "--out", str(run)]) == 0
    by_file = _eval(capsys, str(run), "--data", str(data))
    assert by_file == _eval(capsys, str(run), "--split", "test")
    assert {"mase", "smape", "mae", "rmse", "coverage"} <= set(by_file)
