"""Run folders written before tasks declared their own settings keep loading: each is measured as it
was then (its eval JSON, recorded by that version) and resumes; the settings of other tasks in its
config.json are dropped on reading, never refused."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from rnnlab.cli import main
from rnnlab.tasks import read_run_config
from rnnlab.tasks.registry import _ONE_CONFIG_FIELDS

OLD = Path(__file__).parent / "fixtures" / "old_runs"
RUNS = {"lm": [], "classify": [], "forecast": ["--split", "valid"], "seq2seq": [], "adding": []}


@pytest.fixture
def old(tmp_path, monkeypatch):
    shutil.copytree(OLD, tmp_path / "old")
    monkeypatch.chdir(tmp_path / "old")  # their data paths are relative to this folder
    return tmp_path / "old"


@pytest.mark.parametrize("run", RUNS)
def test_an_old_run_measures_as_it_did_and_resumes(old, capsys, run):
    saved = json.loads((old / run / "config.json").read_text())
    assert set(saved) == _ONE_CONFIG_FIELDS  # the one config of every task
    cfg = read_run_config(old / run)
    added = {"tokens", "sample_length", "combine", "direction", "simplified", "max_tokens", "proj_size", "locked_dropout",
             "dropout_input", "dropout_hidden", "dropout_embed", "weight_drop", "ar", "tar", "bptt_jitter", "nonmono",
             "top_size", "deseasonalise"}
    assert cfg.task == saved["task"] and set(cfg.to_dict()) < set(saved) | added  # settings added since
    capsys.readouterr()
    assert main(["eval", run, *RUNS[run], "--json"]) == 0
    now = json.loads(capsys.readouterr().out)
    then = json.loads((old / f"{run}.expected.json").read_text())
    common = {k for k in then if k in now}
    assert len(common) >= len(then) - 1  # a classifier's count is "examples" now, not "n"
    assert {k: now[k] for k in common} == pytest.approx({k: then[k] for k in common}, rel=1e-5)
    step = json.loads((old / run / "metrics.jsonl").read_text().splitlines()[-1])["step"]
    flags = ["--epochs", "3"] if run == "forecast" else ["--max-steps", str(step + 2)]
    assert main(["train", "--resume", run, *flags]) == 0
