"""A new task is one class and one registration call: a small regression task registered here from the
outside trains, evaluates, resumes exactly and takes part in ``rnnlab compare``, through the command
line, as the built-in tasks do; its own setting is a flag of its own and of no other task."""

from __future__ import annotations

import json

import numpy as np
import pytest
from safetensors.numpy import load_file

from rnnlab.cli import main
from rnnlab.models import SequenceModel
from rnnlab.nn.regression import MSELoss
from rnnlab.tasks import Measure, Task, register_task, unregister_task
from rnnlab.tasks.shared import FEEDFORWARD, RECURRENT, check_model, encoder_for
from rnnlab.train import Setting


class MeanTask(Task):
    """The mean of a sequence of standard normal numbers, read to its last step (MSE)."""

    settings = (Setting("length", 8, "steps a sequence has", int, low=1), *RECURRENT, *FEEDFORWARD)
    defaults = dict(layers=1, hidden=8, lr=0.01)
    measure = Measure("loss", lower_is_better=True, split="test")
    unit = "sequences"
    noun = "averager"

    @classmethod
    def check_config(cls, cfg):
        check_model(cfg)

    def __init__(self, cfg, out=None, resume=False, group=None):
        self.cfg, self.longest = cfg, cfg.length
        self.held = {s: self._make(np.random.default_rng([k, cfg.length]), 200) for k, s in enumerate(("valid", "test"))}
        self.model = self.model_for(cfg)
        self.loss_fn = MSELoss()

    def model_for(self, cfg):
        return SequenceModel(1, input_size=1, cell=cfg.cell, hidden_size=cfg.hidden, num_layers=cfg.layers,
                                  dtype=np.dtype(cfg.dtype), seed=cfg.seed, encoder=encoder_for(cfg, 1, cfg.length))

    def _make(self, rng, n):
        x = rng.normal(size=(self.cfg.length, n, 1)).astype(self.cfg.dtype)
        return x, np.full(n, self.cfg.length), x.mean(axis=0)

    batches_per_epoch = 25

    def batch(self, epoch, index):
        return self._make(np.random.default_rng([self.cfg.seed, epoch, index]), self.cfg.batch_size)

    def forward_backward(self, batch):
        x, lengths, y = batch
        loss = self.loss_fn(self.model(x, lengths), y)
        self.model.backward(self.loss_fn.backward())
        return loss, len(y)

    def evaluate(self, split="valid"):
        x, lengths, y = self.held[split]
        with self.model.inference():
            return {"loss": self.loss_fn(self.model(x, lengths), y), "n": len(y)}


@pytest.fixture
def mean_task():
    yield register_task("mean", MeanTask)
    unregister_task("mean")


def test_a_task_registered_from_outside_trains_evaluates_resumes_and_compares(mean_task, tmp_path, capsys):
    whole, part = tmp_path / "whole", tmp_path / "part"
    flags = ["--task", "mean", "--length", "6", "--checkpoint-every", "10", "--eval-every", "10"]
    assert main(["train", *flags, "--max-steps", "40", "--out", str(whole)]) == 0
    assert "training a 1x8 lstm averager" in capsys.readouterr().err
    assert json.loads((whole / "config.json").read_text())["length"] == 6
    assert main(["train", *flags, "--max-steps", "20", "--out", str(part)]) == 0
    assert main(["train", "--resume", str(part), "--max-steps", "40"]) == 0
    a, b = load_file(str(whole / "checkpoint.safetensors")), load_file(str(part / "checkpoint.safetensors"))
    assert all(np.array_equal(a[k], b[k]) for k in a)  # resumed exactly

    capsys.readouterr()
    assert main(["export", str(whole), "--onnx", str(tmp_path / "m.onnx")]) == 1  # no onnx_models: one line
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and ("--task mean has no ONNX form" in err or "rnnlab[onnx]" in err)
    assert main(["eval", str(whole), "--split", "test", "--json"]) == 0
    measured = json.loads(capsys.readouterr().out)
    baseline = float(np.mean(MeanTask(mean_task.config_class()(length=6)).held["test"][2] ** 2))  # answering 0
    assert set(measured) == {"loss", "n"} and measured["loss"] < 0.5 * baseline

    out = tmp_path / "cmp"
    assert main(["compare", "--task", "mean", "--length", "6", "--models", "gru,mlp", "--params", "300", "--budget",
                 "1", "--seeds", "1", "--out", str(out), "--json"]) == 0
    rows = json.loads(capsys.readouterr().out)
    assert [r["model"] for r in rows] == ["gru", "mlp"] and all(r["measure"] == "loss" for r in rows)

    # its setting is its own: another task refuses it, naming this one
    assert main(["train", "--task", "adding", "--length", "6", "--out", str(tmp_path / "x")]) == 2
    assert "--length is not a setting of --task adding; it is one of --task mean" in capsys.readouterr().err
