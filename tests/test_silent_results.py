"""Results that were silently wrong, each at the seam where it happened: a flag honoured or refused,
never recorded and ignored; a run that knows where its data is and says when it changed; unknown input
symbols, missing best weights and empty labels said in one line; a mistyped plot path creating no
folders."""

from __future__ import annotations

import json
import os

import pytest

from rnnlab.cli import main

TEXT = "".join(f"the {w} sat on the mat.\n" for w in ["cat", "dog", "bird"] * 60)
LM = ["--hidden", "8", "--layers", "1", "--seq-len", "8", "--batch-size", "4", "--max-steps", "6", "--sample-length",
      "0"]


def test_a_flag_of_another_task_is_refused_not_recorded(tmp_path, capsys):
    (tmp_path / "c.txt").write_text(TEXT)
    assert main(["train", "--data", str(tmp_path / "c.txt"), *LM, "--min-count", "2", "--out", str(tmp_path / "r")]) == 2
    assert "--min-count is not a setting of --task lm; it is one of --task classify" in capsys.readouterr().err
    assert not (tmp_path / "r").exists()


def test_a_relative_data_path_is_recorded_absolute_and_a_changed_file_is_said(tmp_path, capsys, monkeypatch):
    (tmp_path / "a").mkdir()
    (tmp_path / "b").mkdir()
    (tmp_path / "a" / "c.txt").write_text(TEXT)
    monkeypatch.chdir(tmp_path / "a")
    assert main(["train", "--data", "c.txt", *LM, "--out", "run"]) == 0
    config = json.loads((tmp_path / "a" / "run" / "config.json").read_text())
    assert config["data"] == str(tmp_path / "a" / "c.txt")
    recorded = json.loads((tmp_path / "a" / "run" / "data.json").read_text())
    assert recorded["files"]["c.txt"][0] == len(TEXT)
    monkeypatch.chdir(tmp_path / "b")  # another folder: the run still finds its data
    capsys.readouterr()
    assert main(["eval", str(tmp_path / "a" / "run"), "--json"]) == 0
    assert capsys.readouterr().err == ""
    (tmp_path / "a" / "c.txt").write_text(TEXT.replace("cat", "act"))  # the same size and characters
    assert main(["eval", str(tmp_path / "a" / "run"), "--json"]) == 0
    err = capsys.readouterr().err
    assert "c.txt has changed since the run was trained on it" in err and err.count("\n") == 1


def test_an_empty_label_is_an_error(tmp_path, capsys):
    rows = "".join(f"good film {i}\tpos\nbad film {i}\tneg\n" for i in range(20))
    (tmp_path / "t.tsv").write_text("text\tlabel\n" + rows + "a film\t \n")
    assert main(["train", "--task", "classify", "--data", str(tmp_path / "t.tsv"), "--out", str(tmp_path / "r")]) == 1
    err = capsys.readouterr().err
    assert "t.tsv:42 has an empty label" in err and err.count("\n") == 1 and not (tmp_path / "r").exists()


def test_unknown_tokens_are_counted_by_predict_and_translate(tmp_path, capsys):
    rows = "".join(f"good film {i}\tpos\nbad film {i}\tneg\n" for i in range(30))
    (tmp_path / "t.tsv").write_text("text\tlabel\n" + rows)
    assert main(["train", "--task", "classify", "--data", str(tmp_path / "t.tsv"), "--hidden", "8", "--layers", "1",
                 "--max-steps", "5", "--out", str(tmp_path / "c")]) == 0
    capsys.readouterr()
    assert main(["predict", str(tmp_path / "c"), "good zebra film", "bad llama yak"]) == 0
    assert "note: 3 token(s) of the input are not in the run's vocabulary and were read as <unk>" in (
        capsys.readouterr().err)
    pairs = "".join(f"{a}{b}{c}\t{c}{b}{a}\n" for a in "abc" for b in "abc" for c in "abc" for _ in range(3))
    (tmp_path / "p.tsv").write_text("source\ttarget\n" + pairs)
    assert main(["train", "--task", "seq2seq", "--data", str(tmp_path / "p.tsv"), "--hidden", "8", "--layers", "1",
                 "--max-steps", "5", "--out", str(tmp_path / "s")]) == 0
    capsys.readouterr()
    assert main(["translate", str(tmp_path / "s"), "abz", "xyz"]) == 0
    assert "note: 4 source token(s) are not in the run's vocabulary" in capsys.readouterr().err


def test_a_plot_into_a_missing_folder_creates_nothing(tmp_path, capsys):
    (tmp_path / "c.txt").write_text(TEXT)
    assert main(["train", "--data", str(tmp_path / "c.txt"), *LM, "--out", str(tmp_path / "r")]) == 0
    capsys.readouterr()
    target = tmp_path / "new" / "dir" / "x.png"
    assert main(["plot", str(tmp_path / "r"), "--out", str(target)]) == 2
    assert "no such folder" in capsys.readouterr().err and not (tmp_path / "new").exists()


@pytest.mark.skipif(os.name != "posix", reason="file modes")
def test_missing_best_weights_are_said_and_last_still_loads(tmp_path, capsys):
    (tmp_path / "c.txt").write_text(TEXT)
    assert main(["train", "--data", str(tmp_path / "c.txt"), *LM, "--out", str(tmp_path / "r")]) == 0
    (tmp_path / "r" / "best.safetensors").unlink()
    capsys.readouterr()
    assert main(["eval", str(tmp_path / "r")]) == 1
    assert "has no best weights" in capsys.readouterr().err
    assert main(["eval", str(tmp_path / "r"), "--weights", "last", "--json"]) == 0
