"""rnnlab compare: every family sized to the same parameter target, trained under one budget, one row
each; its sizing, FLOP count and mistakes."""

from __future__ import annotations

import dataclasses
import json

import numpy as np
import pytest

from rnnlab.cli import main
from rnnlab.runs.compare import FAMILIES, family_config, flops_per_step, size_to, split_parameters
from rnnlab.tasks import TASKS
from rnnlab.tasks import resolve_config


@pytest.fixture(scope="module")
def adding():
    cfg = resolve_config(flags={"task": "adding", "seq_len": 20, "batch_size": 8})
    return cfg, TASKS["adding"](cfg, None)


@pytest.mark.parametrize("family", FAMILIES)
def test_every_family_is_sized_to_the_target(adding, family):
    """The width found is the one whose non-embedding count is closest to the target (its neighbours
    are farther), and the TCN's depth covers the longest sequence."""
    cfg, task = adding
    fcfg, model = size_to(task, cfg, family, 5000)
    got = split_parameters(model)[1]
    step = cfg.heads if family == "transformer" else 1
    for other in (fcfg.hidden - step, fcfg.hidden + step):
        if other >= step:
            neighbour = task.model_for(family_config(cfg, family, task.longest, other))
            assert abs(split_parameters(neighbour)[1] - 5000) >= abs(got - 5000)
    assert abs(got - 5000) / 5000 < 0.25
    if family == "tcn":
        assert task.longest == 20 + 2 + 20 and fcfg.layers == 3  # R(7, 2) = 37 < 42 <= R(7, 3) = 85


def test_flops_count_every_weight_once_per_step(adding):
    """A recurrent stack uses each of its weights once a step: 2 FLOPs per weight (plus the head)."""
    cfg, task = adding
    fcfg = family_config(cfg, "lstm", task.longest, 10)
    model = task.model_for(fcfg)
    assert flops_per_step(model, fcfg, task.longest) == 2 * model.rnn.num_parameters() + 2 * model.out.num_parameters()
    assert split_parameters(model)[0] == 0  # real-valued inputs: no embedding
    tcfg = dataclasses.replace(family_config(cfg, "transformer", task.longest, 8), layers=1)
    t = task.model_for(tcfg)
    L, C = task.longest, 8
    expected = 2 * t.encoder.num_parameters() + 2 * t.out.num_parameters() + 2 * C * L
    assert flops_per_step(t, tcfg, L) == pytest.approx(expected)
    assert split_parameters(t)[0] == t.encoder.params["wpe"].size


def test_compare_trains_every_model_and_tabulates(tmp_path, capsys):
    out = tmp_path / "cmp"
    argv = ["compare", "--task", "reber", "--models", "lstm,tcn,mlp", "--params", "6000", "--budget", "1.5",
            "--seeds", "2", "--batch-size", "4", "--eval-every", "5", "--out", str(out), "--json"]
    assert main(argv) == 0
    rows = json.loads(capsys.readouterr().out)
    assert [r["model"] for r in rows] == ["lstm", "tcn", "mlp"]
    for r in rows:
        assert r["measure"] == "solved" and not r["lower_is_better"]
        assert len(r["per_seed"]) == 2 and r["mean"] == pytest.approx(np.mean(r["per_seed"]))
        assert abs(r["params"] - 6000) / 6000 < 0.3 and r["embedding_params"] == 7 * 32
        assert r["steps"] > 0 and 1.0 <= r["seconds"] < 10
    saved = json.loads((out / "results.json").read_text())
    assert [len(r["runs"]) for r in saved["rows"]] == [2, 2, 2]
    assert sorted(p.name for p in out.iterdir()) == ["lstm-s1234", "lstm-s1235", "mlp-s1234", "mlp-s1235",
                                                    "results.json", "tcn-s1234", "tcn-s1235"]


@pytest.mark.parametrize("argv,message", [
    (["--task", "copy", "--models", "lstm,cnn"], "--models: unknown cnn; expected some of rnn, lstm"),
    (["--task", "seq2seq"], "--task seq2seq: compare takes lm, classify"),
    (["--task", "copy", "--budget", "0"], "--budget must be a positive number of seconds"),
    (["--task", "copy", "--plot", "x.svg"], "--plot writes a PNG"),
    (["--task", "copy", "--cell", "gru"], "unrecognized arguments: --cell gru"),
])
def test_compare_mistakes(tmp_path, capsys, argv, message):
    assert main(["compare", *argv, "--out", str(tmp_path / "o")]) == 2
    err = capsys.readouterr().err
    assert message in err and err.count("\n") == 1 and "Traceback" not in err
    assert not (tmp_path / "o").exists()


def test_compare_forecasters_by_the_mase_rnnlab_forecast_reports(tmp_path, capsys):
    """Forecasting: every family on the same windows, measured by MASE over the rolling-origin test
    windows, the figure ``rnnlab eval RUN --split test`` gives for the same run folder."""
    t = np.arange(200)
    y = 10 + 3 * np.sin(2 * np.pi * t / 12) + np.random.default_rng(0).normal(0, 0.3, len(t))
    data = tmp_path / "s.csv"
    data.write_text("value\n" + "".join(f"{v:.5f}\n" for v in y))
    out = tmp_path / "cmp"
    assert main(["compare", "--task", "forecast", "--data", str(data), "--horizon", "6", "--folds", "2", "--models",
                 "gru,tcn,transformer", "--params", "3000", "--budget", "1", "--seeds", "1", "--out", str(out),
                 "--json"]) == 0
    printed = capsys.readouterr()
    rows = json.loads(printed.out)
    assert "no transform given: every family reads the series in levels" in printed.err
    assert [r["model"] for r in rows] == ["gru", "tcn", "transformer"]
    for r in rows:
        assert r["measure"] == "mase" and r["lower_is_better"] and abs(r["params"] - 3000) / 3000 < 0.3
        assert main(["eval", str(out / f"{r['model']}-s1234"), "--split", "test", "--json"]) == 0
        assert json.loads(capsys.readouterr().out)["mase"] == pytest.approx(r["per_seed"][0], rel=1e-12)


def test_the_table_shows_a_spread_only_over_several_seeds():
    from rnnlab.runs.compare import table

    row = {"model": "gru", "hidden": 8, "layers": 1, "params": 100, "embedding_params": 0, "flops_per_step": 200,
           "steps": 10, "seen": 320, "seconds": 1.0, "measure": "loss", "unit": "sequences", "mean": 0.25, "sd": 0.05}
    one, two = table([row | {"runs": [{}]}]), table([row | {"runs": [{}, {}]}])
    assert one.splitlines()[2].endswith("| 0.2500 |") and "±" not in one
    assert two.splitlines()[2].endswith("| 0.2500 ± 0.0500 |") and "(mean ± sd)" in two.splitlines()[0]
