"""Sequence classification from the command line: text from a table and multichannel series from a
.ts file train, evaluate (JSON keys, confusion matrix) and resume exactly like language models; bad
input is one line, exit 1 or 2, nothing written."""

from __future__ import annotations

import json

import numpy as np
import pytest
from safetensors.numpy import load_file

from rnnlab.cli import main

SMALL = ["--task", "classify", "--hidden", "16", "--layers", "1", "--batch-size", "8", "--lr", "0.02",
         "--log-every", "10", "--checkpoint-every", "10"]


def _table(path, rng, n=240):
    """Label "pos" when 'good' outnumbers 'bad' in the text: learnable only by reading the words."""
    rows = ["id\ttext\tlabel"]
    for i in range(n):
        words = rng.choice(["good", "bad", "film", "the", "plot", "and"], size=rng.integers(3, 12))
        label = "pos" if (words == "good").sum() > (words == "bad").sum() else "neg"
        rows.append(f"{i}\t{' '.join(words).capitalize()}.\t{label}")
    path.write_text("\n".join(rows) + "\n")
    return path


def _ts(path, rng, n=120, channels=3, header_channels=None):
    """Class b when channel 1 rises, a when it falls, in noise."""
    lines = ["@problemName Toy", f"@dimensions {header_channels or channels}", "@equalLength false",
             "@classLabel true a b", "@data"]
    for _ in range(n):
        T, label = rng.integers(5, 15), rng.choice(["a", "b"])
        x = rng.normal(size=(channels, T))
        x[1] += np.linspace(-1, 1, T) * (1 if label == "b" else -1) * 2
        lines.append(":".join(",".join(f"{v:.4f}" for v in ch) for ch in x) + f":{label}")
    path.write_text("\n".join(lines) + "\n")
    return path


def _eval(run, capsys, *extra):
    capsys.readouterr()
    assert main(["eval", str(run), *extra]) == 0
    return capsys.readouterr().out


@pytest.mark.parametrize("kind", ["text", "series"])
def test_a_classifier_trains_evaluates_and_resumes_exactly(tmp_path, capsys, kind):
    rng = np.random.default_rng(0)
    data = _table(tmp_path / "t.tsv", rng) if kind == "text" else _ts(tmp_path / "s.ts", rng)
    flags = ["--data", str(data), *SMALL, "--pool", "mean" if kind == "text" else "last", "--bidirectional"]
    ref, run = tmp_path / "ref", tmp_path / "run"
    assert main(["train", *flags, "--max-steps", "60", "--out", str(ref)]) == 0
    assert main(["train", *flags, "--max-steps", "30", "--out", str(run)]) == 0
    assert main(["train", "--resume", str(run), "--max-steps", "60"]) == 0
    for name in ("checkpoint.safetensors",):
        a, b = load_file(str(ref / name)), load_file(str(run / name))
        assert all(np.array_equal(a[k], b[k]) for k in a)
    rows = [{k: v for k, v in json.loads(line).items() if k != "examples_per_s"}
            for line in (ref / "metrics.jsonl").read_text().splitlines()]
    resumed = [{k: v for k, v in json.loads(line).items() if k != "examples_per_s"}
               for line in (run / "metrics.jsonl").read_text().splitlines()]
    assert [r for r in resumed if "resumed_with" not in r] == rows
    result = json.loads(_eval(ref, capsys, "--split", "test", "--json"))
    assert set(result) == {"loss", "accuracy", "macro_f1", "examples", "confusion"}
    assert result["examples"] == (24 if kind == "text" else 12)  # the test part of the 80/10/10 split
    confusion = np.array(result["confusion"])  # rows: true, columns: predicted
    assert confusion.sum() == result["examples"] and np.trace(confusion) / confusion.sum() == result["accuracy"]
    assert result["accuracy"] >= 0.8, result
    table = _eval(ref, capsys, "--split", "test")
    assert "confusion (rows: true, columns: predicted)" in table
    saved = json.loads((ref / "labels.json").read_text())
    assert saved["classes"] == (["neg", "pos"] if kind == "text" else ["a", "b"])
    assert (ref / "vocab.json").exists() == (kind == "text") and ("mean" in saved) == (kind == "series")


def test_bad_classification_input_is_one_line_and_writes_nothing(tmp_path, capsys):
    rng = np.random.default_rng(1)
    (tmp_path / "nolabel.csv").write_text("text,stars\nhi,3\n")
    (tmp_path / "oneclass.csv").write_text("text,label\n" + "".join(f"t{i},x\n" for i in range(30)))
    (tmp_path / "empty.csv").write_text("text,label\nfine,a\n   ,b\n")
    _ts(tmp_path / "bad.ts", rng, n=10, channels=3, header_channels=4)
    _table(tmp_path / "ok.tsv", rng)
    assert main(["train", "--data", str(tmp_path / "ok.tsv"), *SMALL, "--max-steps", "2", "--out",
                 str(tmp_path / "run")]) == 0
    (tmp_path / "lm.txt").write_text("some text for a language model\n" * 40)
    assert main(["train", "--data", str(tmp_path / "lm.txt"), "--hidden", "8", "--layers", "1", "--max-steps", "2",
                 "--seq-len", "8", "--batch-size", "2", "--sample-length", "0", "--out", str(tmp_path / "lm")]) == 0
    cases = [
        (["train", "--data", str(tmp_path / "nolabel.csv"), *SMALL], 1, "has no 'label' column (its header: text, stars)"),
        (["train", "--data", str(tmp_path / "oneclass.csv"), *SMALL], 1, "the training split has one class ('x')"),
        (["train", "--data", str(tmp_path / "empty.csv"), *SMALL], 1, "empty.csv:3 has an empty text"),
        (["train", "--data", str(tmp_path / "bad.ts"), *SMALL], 1, "@dimensions says 4 channels, the cases have 3"),
        (["train", "--data", str(tmp_path / "ok.tsv"), *SMALL, "--tie-weights"], 2,
         "--tie-weights is not a setting of --task classify"),
        (["sample", str(tmp_path / "run")], 1, "is a classify run; this needs a language-model run"),
        (["predict", str(tmp_path / "lm"), "hello"], 1, "is a lm run; predict needs a classifier run"),
    ]
    before = sorted(p.name for p in tmp_path.rglob("*"))
    for argv, code, message in cases:
        capsys.readouterr()
        assert main(argv + (["--out", str(tmp_path / "new")] if argv[0] == "train" else [])) == code, argv
        err = capsys.readouterr().err
        assert message in err and err.count("\n") == 1, err
    assert sorted(p.name for p in tmp_path.rglob("*")) == before


def test_predict_labels_new_texts_without_the_training_data(tmp_path, capsys):
    data = _table(tmp_path / "t.tsv", np.random.default_rng(0), n=400)
    run = tmp_path / "run"
    assert main(["train", "--data", str(data), *SMALL, "--pool", "mean", "--max-steps", "150", "--out", str(run)]) == 0
    data.unlink()  # predict reads the run folder only
    capsys.readouterr()
    assert main(["predict", str(run), "Good good good film.", "Bad, bad plot and bad film."]) == 0
    lines = [line.split("\t") for line in capsys.readouterr().out.splitlines()]
    assert [(label, text) for label, _, text in lines] == [("pos", "Good good good film."),
                                                           ("neg", "Bad, bad plot and bad film.")]
    assert all(0.5 < float(p) <= 1 for _, p, _ in lines)
    table = tmp_path / "new.csv"
    table.write_text("text\ngood good\nbad bad bad\n")
    assert main(["predict", str(run), "--data", str(table)]) == 0
    assert [line.split("\t")[0] for line in capsys.readouterr().out.splitlines()] == ["pos", "neg"]
    assert main(["predict", str(run), "..."]) == 0  # punctuation is a token
    assert main(["predict", str(run)]) == 2
    assert "give texts to classify, or --data FILE" in capsys.readouterr().err


def test_cross_validation_runs_one_fold_each_on_disjoint_test_folds(tmp_path, capsys):
    data = _table(tmp_path / "t.tsv", np.random.default_rng(3), n=90)
    out = tmp_path / "cv"
    assert main(["train", "--data", str(data), *SMALL, "--folds", "3", "--max-steps", "20", "--out", str(out)]) == 0
    summary = json.loads((out / "folds.json").read_text())
    assert [f["fold"] for f in summary["folds"]] == [1, 2, 3] and sum(f["examples"] for f in summary["folds"]) == 90
    assert summary["accuracy"] == pytest.approx(np.mean([f["accuracy"] for f in summary["folds"]]))
    assert "3-fold cross-validation: accuracy" in capsys.readouterr().out
    from rnnlab.tasks import load_task

    sizes = [{s: len(load_task(out / f"fold-{k}")[1].labels[s]) for s in ("train", "valid", "test")} for k in (1, 2, 3)]
    assert all(sz["test"] == 30 and sz["train"] + sz["valid"] == 60 for sz in sizes)  # the other two folds
    assert main(["train", "--data", "japanese-vowels", "--data-dir", str(tmp_path), *SMALL, "--folds", "3",
                 "--out", str(tmp_path / "x")]) == 1
    assert not (tmp_path / "x").exists()  # bad input leaves nothing behind


def test_balanced_class_weights(tmp_path):
    from rnnlab.tasks import make_trainer
    from rnnlab.tasks import resolve_config

    table = tmp_path / "t.csv"
    table.write_text("text,label\n" + "".join(f"w{i % 7} x,{'a' if i % 4 else 'b'}\n" for i in range(200)))
    cfg = resolve_config(flags=dict(task="classify", data=str(table), hidden=8, layers=1, max_steps=3,
                                    class_weights="balanced"))
    task = make_trainer(cfg, tmp_path / "run", progress=False, log=lambda m: None).task
    counts = np.bincount(task.labels["train"])
    np.testing.assert_allclose(task.weights * counts, [counts.sum() / 2] * 2)  # each class weighs n / 2


def test_a_failed_classification_start_can_be_retried_in_place(tmp_path, capsys):
    """The retry knows the task's own files (labels.json, vocab.json), not only a language model's."""
    data = _table(tmp_path / "t.tsv", np.random.default_rng(2), n=60)
    run = tmp_path / "run"
    flags = ["train", "--data", str(data), *SMALL, "--max-steps", "3", "--out", str(run)]
    assert main(flags + ["--lr", "1e38", "--clip", "0", "--optimizer", "sgd"]) == 1  # diverges: inf weights
    assert (run / "labels.json").exists() and not (run / "checkpoint.safetensors").exists()
    assert main(flags) == 0
    assert "stopped before its first checkpoint: starting it again" in capsys.readouterr().err


def test_an_ensemble_shares_its_split_averages_probabilities_and_resumes(tmp_path, capsys):
    """--ensemble K: K members with seeds seed..seed+K-1 on one split; eval and predict use the mean of
    their probabilities; --resume OUT finishes the members begun and trains the ones not begun, to the
    same weights as an ensemble never interrupted."""
    from rnnlab.functional import softmax
    from rnnlab.tasks import load_task

    data = _table(tmp_path / "t.tsv", np.random.default_rng(4), n=200)
    flags = ["train", "--data", str(data), *SMALL, "--pool", "mean", "--ensemble", "3", "--seed", "7"]
    ens, cut = tmp_path / "ens", tmp_path / "cut"
    assert main([*flags, "--max-steps", "20", "--out", str(ens)]) == 0
    assert main([*flags, "--max-steps", "10", "--out", str(cut)]) == 0
    members = [load_task(ens / f"member-{k}") for k in (1, 2, 3)]
    assert [cfg.seed for cfg, _, _ in members] == [7, 8, 9] and {cfg.split_seed for cfg, _, _ in members} == {7}
    tasks = [task for _, task, _ in members]
    split = [{s: [x.tolist() for x in t.inputs[s]] for s in ("train", "valid", "test")} for t in tasks]
    assert split[1] == split[0] and split[2] == split[0]
    w = [t.model.state_dict() for t in tasks]
    assert all(not np.array_equal(w[0][k], w[1][k]) for k in w[0])

    p = np.mean([softmax(t.predict("test").astype(np.float64), axis=1) for t in tasks], axis=0)
    y = tasks[0].labels["test"]
    result = json.loads(_eval(ens, capsys, "--split", "test", "--json"))
    assert result["loss"] == pytest.approx(-np.mean(np.log(p[np.arange(len(y)), y])), rel=1e-6)
    assert result["accuracy"] == pytest.approx(np.mean(p.argmax(1) == y))
    texts = ["Good good film.", "Bad plot, bad bad film.", "The plot and the film."]
    one = [np.mean([softmax(t.model.eval()(*_padded(t, text)).astype(np.float64), axis=1)[0] for t in tasks], axis=0)
           for text in texts]
    capsys.readouterr()
    assert main(["predict", str(ens), *texts]) == 0
    lines = [line.split("\t") for line in capsys.readouterr().out.splitlines()]
    assert [(label, float(prob)) for label, prob, _ in lines] == [
        (tasks[0].classes[q.argmax()], pytest.approx(q.max(), abs=5e-4)) for q in one]

    import shutil

    shutil.rmtree(cut / "member-3")  # stopped inside member 2's run... after member 1 finished at 10 steps
    assert main(["eval", str(cut)]) == 1
    assert "holds 2 of its 3 members; train the others with `rnnlab train --resume" in capsys.readouterr().err
    assert main(["train", "--resume", str(cut), "--max-steps", "20"]) == 0
    for k in (1, 2, 3):
        a, b = load_file(str(ens / f"member-{k}" / "checkpoint.safetensors")), load_file(
            str(cut / f"member-{k}" / "checkpoint.safetensors"))
        assert all(np.array_equal(a[n], b[n]) for n in a), k
    assert main(["train", "--resume", str(cut), "--ensemble", "2"]) == 2
    assert main(["train", "--ensemble", "2", "--max-steps", "1", "--out", str(tmp_path / "lm")]) == 2
    assert "--ensemble applies to --task classify, forecast, seq2seq (here --task lm)" in capsys.readouterr().err
    assert not (tmp_path / "lm").exists()


def _padded(task, text):
    """(x, lengths) of one text for ``task``'s model."""
    from rnnlab.data.labelled_text import text_tokens
    from rnnlab.data.padding import pad

    return pad([task.vocab.encode(text_tokens(text, task.cfg.tokens))], np.int64)
