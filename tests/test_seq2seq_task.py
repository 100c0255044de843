"""Sequence to sequence from the command line: a table trains, resumes, evaluates (JSON keys), and
translates with an attention plot; bad input is one line and writes nothing."""

from __future__ import annotations

import json

import numpy as np
import pytest

from rnnlab.cli import main

SMALL = ["--task", "seq2seq", "--hidden", "16", "--layers", "1", "--embed", "8", "--batch-size", "16",
         "--lr", "0.01", "--log-every", "20", "--checkpoint-every", "20"]


def _table(path, n=300, seed=0):
    """Reverse a word of 2-5 letters: learnable only through the source's positions."""
    rng = np.random.default_rng(seed)
    rows = ["source\ttarget"]
    for _ in range(n):
        word = "".join(rng.choice(list("abcde"), size=rng.integers(2, 6)))
        rows.append(f"{word}\t{' '.join(word[::-1].upper())}")
    path.write_text("\n".join(rows) + "\n")
    return path


def test_train_eval_resume_and_translate(tmp_path, capsys):
    data = _table(tmp_path / "rev.tsv")
    run = tmp_path / "run"
    flags = ["--data", str(data), "--target-tokens", "space", *SMALL]
    assert main(["train", *flags, "--max-steps", "20", "--out", str(run)]) == 0
    assert main(["train", "--resume", str(run), "--max-steps", "300"]) == 0
    capsys.readouterr()
    assert main(["eval", str(run), "--json"]) == 0
    got = json.loads(capsys.readouterr().out)
    assert set(got) == {"loss", "wer", "per", "exact", "token_accuracy", "n"} and got["exact"] == 1 - got["wer"]
    assert got["token_accuracy"] > 0.8  # it learned to reverse
    assert main(["translate", str(run), "abc", "ed", "--attention-plot", str(tmp_path / "a.png"), "--beam", "2"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert [line.split("\t")[0] for line in lines] == ["abc", "ed"]
    assert (tmp_path / "a.png").stat().st_size > 1000
    saved = json.loads((run / "seq2seq.json").read_text())
    assert saved["target"][:3] == ["<bos>", "<eos>", "<unk>"]


@pytest.mark.parametrize("argv,code,message", [
    (["train", "--task", "seq2seq", "--data", "{bad}"], 1, "has no 'target' column"),
    (["train", "--task", "seq2seq", "--data", "dates", "--reverse-source"], 2, "--reverse-source is for the addition"),
    (["train", "--task", "seq2seq", "--data", "{ok}", "--attention", "luong"], 2, "unknown attention 'luong'"),
    (["train", "--task", "lm", "--beam", "3"], 2, "--beam is not a setting of --task lm"),
    (["train", "--task", "seq2seq", "--data", "{ok}", "--teacher-forcing", "1.5"], 2, "teacher-forcing must be"),
])
def test_bad_seq2seq_input_is_one_line(tmp_path, capsys, argv, code, message):
    (tmp_path / "bad.csv").write_text("source,output\nab,c\n")
    ok = _table(tmp_path / "ok.tsv", n=20)
    argv = [a.format(bad=tmp_path / "bad.csv", ok=ok) for a in argv]
    assert main([*argv, "--out", str(tmp_path / "run")]) == code
    err = capsys.readouterr().err.strip().splitlines()
    assert message in err[-1]
    assert not (tmp_path / "run").exists()


def test_an_ensemble_decodes_with_its_members_mean_probabilities(tmp_path, capsys):
    """--ensemble K for seq2seq: K members, measured and decoded together by the mean of their next-token
    probabilities; greedy decoding of the ensemble equals a step-by-step argmax of that mean."""
    from rnnlab.runs.members import load_members
    from rnnlab.seq2seq.ensemble import Ensemble, mean_log_probabilities

    data = _table(tmp_path / "rev.tsv")
    ens = tmp_path / "ens"
    assert main(["train", "--data", str(data), "--target-tokens", "space", *SMALL, "--max-steps", "40",
                 "--ensemble", "2", "--out", str(ens)]) == 0
    assert "ensemble of 2: valid wer" in capsys.readouterr().err
    tasks = load_members(ens)
    assert [t.cfg.seed for t in tasks] == [tasks[0].cfg.seed, tasks[0].cfg.seed + 1]
    together = tasks[0].evaluate("test", members=tasks)
    assert main(["eval", str(ens), "--split", "test", "--json"]) == 0
    assert json.loads(capsys.readouterr().out) == together
    alone = [t.evaluate("test")["loss"] for t in tasks]
    assert together["loss"] <= max(alone)  # the mean of the probabilities: convexity of -log
    source = tasks[0].encode_sources([list("abcd")])
    x = source[0][:, None]
    models, tokens, outputs = [t.model for t in tasks], np.array([tasks[0].bos]), []
    with Ensemble(models).inference():
        states = [m.encode(x, [x.shape[0]]) for m in models]
        feeds = [None, None]
        for _ in range(tasks[0].max_length):
            steps = [m.step(tokens, s, f, mem) for m, (mem, s), f in zip(models, states, feeds)]
            best = int(mean_log_probabilities([z for z, _, _, _ in steps]).argmax())
            if best == tasks[0].eos:
                break
            outputs.append(best)
            states = [(mem, s) for (mem, _), (_, s, _, _) in zip(states, steps)]
            feeds, tokens = [o for _, _, o, _ in steps], np.array([best])
    decoded = tasks[0].decode(source, 1, Ensemble(models))[0]
    assert decoded == [tasks[0].target_vocab.itos[i] for i in outputs]
    assert main(["translate", str(ens), "abcd"]) == 0
    assert capsys.readouterr().out.split("\t")[1].split() == decoded
