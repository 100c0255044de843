"""End to end: train, eval, sample and plot from the command line for rnn, lstm and gru; exact resume;
clear errors for bad runs and arguments."""

import json
import math

import numpy as np
import pytest
from safetensors.numpy import load_file

from rnnlab.cli import main
from rnnlab.data import Vocab
from rnnlab.models.generate import sample
from rnnlab.tasks import load_run

SMALL = ["--hidden", "16", "--layers", "2", "--seq-len", "8", "--batch-size", "4", "--log-every", "5",
         "--checkpoint-every", "5", "--sample-length", "20"]


def train(tmp_path, corpus, *extra, out="run"):
    return main(["train", "--data", str(corpus), "--out", str(tmp_path / out), *SMALL, *extra])


@pytest.mark.parametrize("cell", ["rnn", "lstm", "gru"])
def test_train_eval_sample_plot(tmp_path, corpus, capsys, cell):
    assert train(tmp_path, corpus, "--cell", cell, "--max-steps", "30", "--lr", "0.01", "--eval-every", "10") == 0
    run = tmp_path / "run"
    rows = [json.loads(line) for line in (run / "metrics.jsonl").read_text().splitlines()]
    train_rows = [r for r in rows if "train_loss" in r]
    valid_rows = [r for r in rows if "valid_loss" in r]
    assert [r["step"] for r in train_rows] == [5, 10, 15, 20, 25, 30]
    assert [r["step"] for r in valid_rows] == [10, 20, 30]  # no second validation at the stop
    assert train_rows[-1]["train_loss"] < train_rows[0]["train_loss"] - 0.3  # it learns
    assert {"lr", "grad_norm", "tokens_per_s", "epoch"} <= set(train_rows[0])
    capsys.readouterr()

    assert main(["eval", str(run), "--json"]) == 0
    result = json.loads(capsys.readouterr().out)
    assert set(result) == {"loss", "perplexity", "bits_per_token", "tokens"}
    assert math.isclose(result["perplexity"], math.exp(result["loss"]))
    assert math.isclose(result["bits_per_token"], result["loss"] / math.log(2))
    assert result["loss"] == pytest.approx(min(r["valid_loss"] for r in valid_rows), rel=1e-6)  # best weights

    assert main(["sample", str(run), "--prime", "the ", "--length", "40", "--seed", "3"]) == 0
    a = capsys.readouterr().out
    assert main(["sample", str(run), "--prime", "the ", "--length", "40", "--seed", "3"]) == 0
    assert capsys.readouterr().out == a and a.startswith("the ") and len(a) == len("the ") + 40 + 1

    assert main(["plot", str(run)]) == 0
    png = (run / "plot.png").read_bytes()
    assert png[:8] == b"\x89PNG\r\n\x1a\n" and len(png) > 10_000


def test_greedy_and_top_k_one_agree(tmp_path, corpus):
    assert train(tmp_path, corpus, "--max-steps", "10") == 0
    _, vocab, model, _ = load_run(tmp_path / "run")
    greedy = sample(model, vocab, "the", 30, temperature=0.0, seed=1)
    assert greedy == sample(model, vocab, "the", 30, temperature=0.0, seed=2)
    assert greedy == sample(model, vocab, "the", 30, temperature=1.0, top_k=1, seed=5)
    assert sample(model, vocab, "the", 30, seed=1) != sample(model, vocab, "the", 30, seed=2)


AWD = ["--layers", "3", "--top-size", "8", "--embed", "8", "--tie-weights", "--locked-dropout", "--weight-drop", "0.3",
       "--dropout-embed", "0.1", "--ar", "1", "--tar", "1", "--bptt-jitter", "--optimizer", "ntasgd", "--lr", "1"]


@pytest.mark.parametrize("arch", [[], ["--arch", "tcn", "--kernel-size", "2"], ["--arch", "transformer", "--heads", "2"],
                                  AWD],
                         ids=["rnn", "tcn", "transformer", "awd"])
def test_resume_is_exact(tmp_path, corpus, arch):
    """Stopped at step 12 and resumed, a run ends bit-identical to one left alone (weights, metrics, and
    the carried state: a recurrent model's, a feed-forward model's context tokens)."""
    common = ["--max-steps", "25", "--dropout", "0.3", "--eval-every", "10", *arch]
    assert train(tmp_path, corpus, *common, out="whole") == 0
    assert train(tmp_path, corpus, "--dropout", "0.3", "--eval-every", "10", "--max-steps", "12", *arch, out="part") == 0
    assert main(["train", "--resume", str(tmp_path / "part"), "--max-steps", "25", "--sample-length", "0"]) == 0
    a = load_file(str(tmp_path / "whole" / "checkpoint.safetensors"))
    b = load_file(str(tmp_path / "part" / "checkpoint.safetensors"))
    assert set(a) == set(b)
    for k in a:
        np.testing.assert_array_equal(a[k], b[k], err_msg=k)

    def rows(run):
        return [{k: v for k, v in json.loads(line).items() if k != "tokens_per_s"}
                for line in (tmp_path / run / "metrics.jsonl").read_text().splitlines()]

    whole, part = rows("whole"), rows("part")
    # the stopped run logged its end (step 12) before resuming; everything after matches exactly
    assert [r for r in part if r["step"] > 12] == [r for r in whole if r["step"] > 12]


def test_word_level_run_and_sampling(tmp_path):
    d = tmp_path / "ptb"
    d.mkdir()
    lines = "\n".join(f" the {w} said {n} <unk>" for w, n in zip(["cat", "dog", "cow"] * 30, range(90))) + "\n"
    (d / "ptb.train.txt").write_text(lines)
    (d / "ptb.valid.txt").write_text(lines[:400])
    assert main(["train", "--data", "ptb-word", "--data-dir", str(tmp_path), "--out", str(tmp_path / "w"), *SMALL,
                 "--max-steps", "5"]) == 0
    _, vocab, model, _ = load_run(tmp_path / "w")
    assert vocab.kind == "word"
    text = sample(model, vocab, "the cat", 20, seed=0)
    assert text.startswith("the cat ") and "<eos>" not in text
    with pytest.raises(ValueError, match="word 'zebra' is not in the vocabulary"):
        sample(model, vocab, "the zebra", 5)


def test_corrupt_and_future_checkpoints(tmp_path, corpus, capsys):
    assert train(tmp_path, corpus, "--max-steps", "3") == 0
    ck = tmp_path / "run" / "checkpoint.safetensors"
    assert (tmp_path / "run" / "best.safetensors").exists()  # the validation at the stop
    data = ck.read_bytes()
    ck.write_bytes(data[: len(data) // 2])
    capsys.readouterr()
    assert main(["sample", str(tmp_path / "run"), "--weights", "last"]) == 1
    assert "not a readable checkpoint" in capsys.readouterr().err
    header_len = int.from_bytes(data[:8], "little")
    header = json.loads(data[8 : 8 + header_len])
    meta = json.loads(header["__metadata__"]["rnnlab"])
    meta["format_version"] = 99
    header["__metadata__"]["rnnlab"] = json.dumps(meta)
    new = json.dumps(header).encode()
    new += b" " * (-len(new) % 8)
    ck.write_bytes(len(new).to_bytes(8, "little") + new + data[8 + header_len :])
    assert main(["sample", str(tmp_path / "run"), "--weights", "last"]) == 1
    assert "newer rnnlab (checkpoint format 99)" in capsys.readouterr().err


def test_vocab_file_is_json(tmp_path, corpus):
    assert train(tmp_path, corpus, "--max-steps", "2") == 0
    v = Vocab.load(tmp_path / "run" / "vocab.json")
    assert v.kind == "char" and "\n" in v.stoi


def test_non_finite_loss_stops_and_keeps_the_last_good_checkpoint(tmp_path, corpus, capsys):
    assert train(tmp_path, corpus, "--max-steps", "4", "--cell", "rnn_relu") == 0
    run = tmp_path / "run"
    cfg = json.loads((run / "config.json").read_text())
    cfg.update(lr=1e30, clip=0.0)  # sabotage the run, then resume it
    (run / "config.json").write_text(json.dumps(cfg))
    capsys.readouterr()
    assert main(["train", "--resume", str(run), "--max-steps", "40"]) == 1
    err = capsys.readouterr().err
    assert "is not finite" in err and "enable clipping" in err and "Traceback" not in err
    failed_at = int(err.split("error: step ")[1].split(":")[0])
    from rnnlab.train import load_checkpoint

    arrays, meta = load_checkpoint(run / "checkpoint.safetensors")  # the last good one: whole and finite
    assert meta["step"] < failed_at and all(np.isfinite(a).all() for a in arrays.values())


def test_same_seed_same_run(tmp_path, corpus):
    """Two runs with the same seed and flags are bit-identical; another seed is not."""
    for out, seed in (("a", "7"), ("b", "7"), ("c", "8")):
        assert train(tmp_path, corpus, "--max-steps", "12", "--dropout", "0.2", "--seed", seed, out=out) == 0
    a, b, c = (load_file(str(tmp_path / r / "checkpoint.safetensors")) for r in "abc")
    assert all(np.array_equal(a[k], b[k]) for k in a)
    assert not all(np.array_equal(a[k], c[k]) for k in a)


def test_max_steps_overrides_epochs(tmp_path, corpus):
    """A corpus of a few batches per epoch still trains for --max-steps, across epochs."""
    assert train(tmp_path, corpus, "--max-steps", "100", "--seq-len", "32", "--batch-size", "8") == 0
    rows = [json.loads(line) for line in (tmp_path / "run" / "metrics.jsonl").read_text().splitlines()]
    assert max(r["step"] for r in rows) == 100 and max(r["epoch"] for r in rows) > 3


@pytest.mark.parametrize("context, short", [("0", "aab"), ("8", "aab" * 3)])  # with 8 carried, it trained after 8
def test_a_transformer_samples_from_all_it_can_see_whatever_it_carried_in_training(tmp_path, context, short):
    # after "a" comes "a" or "b" by the token before it: only a sampler that reads more than one token
    # (a model trained with --context 0 carries none) can continue the period
    (tmp_path / "aab.txt").write_text("aab" * 3000)
    assert main(["train", "--data", str(tmp_path / "aab.txt"), "--out", str(tmp_path / "t"), "--arch", "transformer",
                 "--layers", "1", "--hidden", "16", "--heads", "2", "--seq-len", "8", "--batch-size", "8",
                 "--context", context, "--lr", "1e-2", "--max-steps", "150", "--sample-length", "0"]) == 0
    _, vocab, model, _ = load_run(tmp_path / "t", "last")
    for prime in (short, "aab" * 7):  # the second longer than the 8 or 16 positions the model has
        assert sample(model, vocab, prime, 30, temperature=0.0) == prime + "aab" * 10


def test_a_transformer_carries_nothing_by_default_and_older_runs_still_load(tmp_path, corpus):
    flags = ["--arch", "transformer", "--layers", "1", "--heads", "2", "--max-steps", "3"]
    assert train(tmp_path, corpus, *flags, out="new") == 0
    assert json.loads((tmp_path / "new" / "config.json").read_text())["context"] == 0
    assert load_run(tmp_path / "new")[2].context == 0
    # before session 12 the default was --seq-len, saved as null: such a run keeps its meaning
    assert train(tmp_path, corpus, *flags, "--context", "8", out="old") == 0
    config = tmp_path / "old" / "config.json"
    config.write_text(config.read_text().replace('"context": 8', '"context": null'))
    assert load_run(tmp_path / "old")[2].context == 8
    assert main(["eval", str(tmp_path / "old")]) == 0


def test_a_language_model_with_projections_trains_resumes_and_samples(tmp_path, capsys):
    """--proj-size P: h is P wide in the weights and states, a resumed run continues exactly, sampling
    runs; refused in one line for another cell or P >= --hidden."""
    corpus = tmp_path / "c.txt"
    corpus.write_text("a projected state is narrower than its cell.\n" * 40)
    flags = ["--data", str(corpus), "--hidden", "16", "--proj-size", "4", "--layers", "2", "--seq-len", "8",
             "--batch-size", "4", "--sample-length", "0", "--checkpoint-every", "3"]
    assert main(["train", *flags, "--max-steps", "6", "--out", str(tmp_path / "whole")]) == 0
    assert main(["train", *flags, "--max-steps", "3", "--out", str(tmp_path / "part")]) == 0
    assert main(["train", "--resume", str(tmp_path / "part"), "--max-steps", "6"]) == 0
    a, b = (load_file(str(tmp_path / r / "checkpoint.safetensors")) for r in ("whole", "part"))
    assert a["model.rnn.weight_hr_l1"].shape == (4, 16) and a["model.rnn.weight_hh_l0"].shape == (64, 4)
    assert all(np.array_equal(a[k], b[k]) for k in a)
    assert json.loads((tmp_path / "whole" / "config.json").read_text())["proj_size"] == 4
    capsys.readouterr()
    assert main(["sample", str(tmp_path / "whole"), "--length", "20", "--prime", "a "]) == 0
    assert capsys.readouterr().out.startswith("a ")
    for bad, says in ((["--cell", "gru"], "--proj-size is for --cell lstm"), (["--hidden", "4"], "must be below --hidden 4")):
        assert main(["train", *flags, *bad, "--out", str(tmp_path / "x")]) == 2
        err = capsys.readouterr().err
        assert says in err and err.count("\n") == 1 and not (tmp_path / "x").exists()
