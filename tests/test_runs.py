"""Runs a user can trust: eval, sample and plot agree on the weights they report, a time budget alone
sets the run's length, a failed start can be retried in place, a resume may lower the learning rate
(and says so) but not change the model, and never writes anywhere but its run."""

import json

import numpy as np
import pytest

from rnnlab.cli import main
from rnnlab.tasks.lm_evaluate import evaluate, nll
from rnnlab.models import LanguageModel
from rnnlab.plot import read_metrics, reported_validation

SMALL = ["--hidden", "16", "--layers", "1", "--seq-len", "8", "--batch-size", "4", "--log-every", "5",
         "--checkpoint-every", "5", "--sample-length", "0"]


def train(run, corpus, *extra):
    return main(["train", "--data", str(corpus), "--out", str(run), *SMALL, *extra])


def resume(run, *extra):
    return main(["train", "--resume", str(run), "--sample-length", "0", *extra])


def eval_json(run, capsys, *extra):
    capsys.readouterr()
    assert main(["eval", str(run), "--json", *extra]) == 0
    return json.loads(capsys.readouterr().out)


def test_eval_sample_and_plot_report_the_same_weights(tmp_path, corpus, capsys):
    run = tmp_path / "run"
    assert train(run, corpus, "--max-steps", "12", "--lr", "0.02") == 0  # no validation before the stop
    assert [r["step"] for r in read_metrics(run) if "valid_loss" in r] == [12]
    stop = eval_json(run, capsys)["loss"]  # best = the weights at the stop, validated there
    assert reported_validation(run, "best") == (12, pytest.approx(stop, rel=1e-12))
    assert eval_json(run, capsys, "--weights", "last")["loss"] == stop
    assert resume(run, "--max-steps", "20", "--lr", "2") == 0  # a rate that makes it worse
    (s_best, best), (s_last, last) = reported_validation(run, "best"), reported_validation(run, "last")
    assert (s_best, s_last) == (12, 20) and last > best == stop
    assert eval_json(run, capsys)["loss"] == pytest.approx(best, rel=1e-12)
    assert eval_json(run, capsys, "--weights", "last")["loss"] == pytest.approx(last, rel=1e-12)
    assert main(["plot", str(run), "--out", str(tmp_path / "p.png"), "--weights", "last"]) == 0
    assert main(["sample", str(run), "--weights", "last", "--length", "5", "--seed", "1"]) == 0


def test_evaluation_counts_every_token_but_the_first_whatever_the_batch():
    model = LanguageModel(7, "gru", hidden_size=8, num_layers=1, dtype=np.float64, seed=0)
    ids = np.random.default_rng(0).integers(0, 7, 103)
    logits, _ = model.forward(ids[:-1, None])
    exact = float(nll(logits, ids[1:, None]).mean())  # one stream, every token after the first
    model.clear_records()
    for batch in (1, 4, 5, 32, 500):
        loss, count = evaluate(model, ids, batch, seq_len=10)
        assert count == 102
        assert loss == pytest.approx(exact, rel=1e-12 if batch == 1 else 2e-2)


def test_a_time_budget_alone_trains_for_that_long(tmp_path, corpus, capsys):
    run = tmp_path / "run"
    assert train(run, corpus, "--time-budget", "2") == 0
    err = capsys.readouterr().err
    assert "stopped (time budget)" in err
    rows = read_metrics(run)
    assert max(r["epoch"] for r in rows) > 1  # one epoch here is 40 steps of a few milliseconds
    assert json.loads((run / "config.json").read_text())["epochs"] is None


def test_a_start_that_failed_before_its_first_checkpoint_can_be_retried_in_place(tmp_path, corpus, capsys):
    run = tmp_path / "run"
    assert train(run, corpus, "--lr", "1e38", "--clip", "0", "--optimizer", "sgd", "--max-steps", "3") == 1
    assert "not finite" in capsys.readouterr().err and not (run / "checkpoint.safetensors").exists()
    assert train(run, corpus, "--max-steps", "3") == 0
    assert "stopped before its first checkpoint: starting it again" in capsys.readouterr().err
    assert json.loads((run / "config.json").read_text())["lr"] == 2e-3
    assert train(run, corpus, "--max-steps", "3") == 1  # now it holds a run
    assert "already holds a run; continue it with --resume" in capsys.readouterr().err


def test_resume_may_change_the_rate_and_the_length_and_records_it(tmp_path, corpus, capsys):
    run = tmp_path / "run"
    assert train(run, corpus, "--max-steps", "10") == 0
    assert resume(run, "--max-steps", "20", "--lr", "0.0005", "--clip", "1") == 0
    rows = read_metrics(run)
    change = [r for r in rows if "resumed_with" in r]
    assert change == [{"step": 10, "epoch": 1, "resumed_with": {"lr": [0.002, 0.0005], "clip": [5.0, 1.0],
                                                                  "max_steps": [10, 20]}}]
    assert {r["lr"] for r in rows if "train_loss" in r and r["step"] > 10} == {0.0005}
    assert json.loads((run / "config.json").read_text())["lr"] == 0.0005
    capsys.readouterr()
    assert resume(run, "--max-steps", "30", "--hidden", "32") == 2
    err = capsys.readouterr().err
    assert "--resume cannot change --hidden (run has 16, got 32)" in err and "may change --lr" in err


def test_resume_never_writes_elsewhere_and_a_finished_run_stays_as_it_is(tmp_path, corpus, capsys):
    run = tmp_path / "run"
    assert train(run, corpus, "--max-steps", "6") == 0
    before = {p.name: p.read_bytes() for p in run.iterdir()}
    capsys.readouterr()
    assert main(["train", "--resume", str(run), "--out", str(tmp_path / "other")]) == 2
    assert "--out cannot go with --resume" in capsys.readouterr().err
    assert resume(run) == 0
    out = capsys.readouterr()
    assert "has finished (6 steps)" in out.err and out.out == ""  # no second sample
    assert not (tmp_path / "other").exists()
    assert {p.name: p.read_bytes() for p in run.iterdir()} == before


def test_the_training_sample_is_whole_lines_after_a_header(tmp_path, corpus, capsys):
    assert main(["train", "--data", str(corpus), "--out", str(tmp_path / "run"), *SMALL[:-2], "--max-steps", "30",
                 "--lr", "0.02", "--sample-length", "120"]) == 0
    out = capsys.readouterr()
    assert "sample (120 chars at most" in out.err
    assert out.out.endswith("\n") and len(out.out) <= 121 and "\n" in out.out


def test_the_stop_line_after_ctrl_c_says_which_step_its_validation_is_from(tmp_path, corpus, capsys, monkeypatch):
    import signal

    from rnnlab.train import Trainer

    log_train = Trainer._log_train

    def ctrl_c_at_step_8(self, window):
        log_train(self, window)
        if self.step == 8:
            signal.raise_signal(signal.SIGINT)  # what Ctrl-C sends; the run stops at the next step boundary

    monkeypatch.setattr(Trainer, "_log_train", ctrl_c_at_step_8)
    assert main(["train", "--data", str(corpus), "--out", str(tmp_path / "run"), *SMALL[:8], "--log-every", "4",
                 "--eval-every", "5", "--max-steps", "40"]) == 130
    stop = [line for line in capsys.readouterr().err.splitlines() if line.startswith("stopped")]
    assert len(stop) == 1 and stop[0].startswith("stopped (interrupted) after 8 steps")
    assert " at step 5" in stop[0]
