"""The backend seam: which code runs, chosen explicitly, and nothing chosen behind the user's back.

- a kernel the CPU backend has no compiled twin for (a subclass that overrides a step, a new cell)
  runs its own code, even where the compiled loops would split;
- ``import rnnlab`` changes no environment variable, and the import order does not change a training
  run's bytes;
- the backend follows ``use_backend``, ``RNNLAB_BACKEND`` and its own default, and says so in
  ``rnnlab info``;
- subnormal floats are flushed only inside ``flush_subnormals`` (``--flush-subnormals``), and the
  thread's mode comes back after it.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys

import numpy as np
import pytest
from threadpoolctl import threadpool_info

import rnnlab
from rnnlab.kernels import LSTMKernel
from rnnlab.nn import LSTM, RNNBase, no_grad, register_cell, unregister_cell

CPU = "cpu" in rnnlab.backends.available()
OPENBLAS_THREADS = max((lib["num_threads"] for lib in threadpool_info() if lib["internal_api"] == "openblas"),
                       default=0)


class HalfInputLSTM(LSTMKernel):
    """A different cell that inherits everything from the LSTM but one line: its input pre-activation
    is halved."""

    def forward_step(self, ws, k, xp, hp, prev):
        return super().forward_step(ws, k, 0.5 * xp, hp, prev)


@pytest.fixture
def half_lstm():
    register_cell("half_lstm", HalfInputLSTM)
    yield
    unregister_cell("half_lstm")


@pytest.mark.skipif(not CPU, reason="compiled kernels not built")
def test_a_subclassed_kernel_runs_its_own_step_where_the_compiled_loop_would_split(half_lstm):
    """H = 256 on the default backend: the plain LSTM takes the compiled (split) loop; the subclass
    must not, and must give exactly what the reference backend gives for it."""
    x = np.random.default_rng(0).standard_normal((6, 4, 8)).astype(np.float32)
    plain = LSTM(8, 256, seed=1)
    mine = RNNBase("half_lstm", 8, 256, seed=1)
    mine.load_state_dict(plain.state_dict())
    with rnnlab.use_backend("cpu"):
        y_mine, _ = mine.forward(x)
        y_plain, _ = plain.forward(x)
    with rnnlab.use_backend("numpy"):
        y_ref, _ = mine.forward(x)
    np.testing.assert_array_equal(y_mine, y_ref)
    assert np.abs(y_mine - y_plain).max() > 1e-2


def test_no_grad_in_training_mode_with_dropout_keeps_nothing_for_backward():
    layer = LSTM(3, 4, num_layers=3, dropout=0.5, seed=0)  # training mode
    x = np.ones((5, 2, 3), np.float32)
    with no_grad():
        y, _ = layer.forward(x)
    with pytest.raises(RuntimeError, match="no forward left to go back through"):
        layer.backward(np.ones_like(y))


def test_the_backend_is_chosen_at_call_time(monkeypatch):
    monkeypatch.setenv("RNNLAB_BACKEND", "numpy")
    assert rnnlab.get_backend().name == "numpy"
    if CPU:
        with rnnlab.use_backend("cpu"):
            assert rnnlab.get_backend().name == "cpu"
        assert rnnlab.get_backend().name == "numpy"
        monkeypatch.delenv("RNNLAB_BACKEND")
        assert rnnlab.get_backend().name == "cpu"  # the fastest available
    monkeypatch.setenv("RNNLAB_BACKEND", "gpu")
    with pytest.raises(ValueError, match="unknown backend 'gpu'; expected one of cpu, numpy"):
        rnnlab.LSTM(2, 3).forward(np.ones((2, 1, 2), np.float32))


def _clean_env() -> dict:
    """This process's environment without the settings these tests choose themselves."""
    return {k: v for k, v in os.environ.items() if not k.startswith("OPENBLAS") and k != "RNNLAB_BACKEND"}


def _rnnlab(*args, env=None):
    return subprocess.run([sys.executable, "-m", "rnnlab", *args], capture_output=True, text=True,
                          env=_clean_env() | (env or {}))


def test_info_shows_the_backend_and_a_bad_choice_is_one_line():
    r = _rnnlab("info", "--json")
    assert r.returncode == 0, r.stderr
    facts = json.loads(r.stdout)
    assert facts["backend"] == ("cpu" if CPU else "numpy") and facts["rnnlab"] == rnnlab.__version__
    assert facts["backends available"] == ", ".join(rnnlab.backends.available())
    assert (facts["flush subnormals"] == "available") == (rnnlab.backends.cpu.native.flush_mode() is not None)
    r = _rnnlab("info", env={"RNNLAB_BACKEND": "numpy"})
    assert r.returncode == 0 and "backend:" in r.stdout and " numpy" in r.stdout.split("backend:")[1].splitlines()[0]
    r = _rnnlab("info", env={"RNNLAB_BACKEND": "fast"})
    assert r.returncode == 1 and r.stderr.strip() == (
        "rnnlab info: error: unknown backend 'fast'; expected one of cpu, numpy")


def test_a_bad_backend_choice_stops_training_before_it_writes_anything(tmp_path):
    r = _rnnlab("train", "--out", str(tmp_path / "run"), env={"RNNLAB_BACKEND": "gpu"})
    assert r.returncode == 1 and r.stderr.strip().splitlines() == [
        "rnnlab train: error: unknown backend 'gpu'; expected one of cpu, numpy"]
    assert not (tmp_path / "run").exists()


def test_import_changes_no_environment_variable():
    code = ("import os; before = dict(os.environ); import rnnlab, rnnlab.cli, rnnlab.train; "
            "print(sorted(set(os.environ.items()) ^ set(before.items())))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=_clean_env(),
                         check=True).stdout
    assert out.strip() == "[]"


TEXT = "".join(f"{w} number {i} went to the {v}.\n" for i, (w, v) in enumerate(zip(["ant", "bee", "cat"] * 100,
                                                                                    ["sea", "hill"] * 150)))


@pytest.mark.skipif(not CPU or OPENBLAS_THREADS < 2, reason="needs the compiled loops and OpenBLAS on 2 threads")
def test_import_order_does_not_change_a_training_run(tmp_path):
    """The same seed and flags, with NumPy imported before rnnlab or after it: identical checkpoints.
    H = 256 on two threads takes the split loops; on one thread the bytes differ (the products sum in
    another order), which shows the two-thread runs did take them."""
    corpus = tmp_path / "c.txt"
    corpus.write_text(TEXT)
    flags = ["train", "--data", str(corpus), "--hidden", "256", "--seq-len", "16", "--batch-size", "8",
             "--max-steps", "6", "--sample-length", "0"]
    runs = {"numpy first": ("import numpy", {}), "rnnlab first": ("", {}),
            "one thread": ("", {"OPENBLAS_NUM_THREADS": "1"})}
    env = _clean_env()  # the default backend, OpenBLAS's default threads
    for name, (first, extra) in runs.items():
        code = f"{first}\nimport sys\nfrom rnnlab.cli import main\nsys.exit(main(sys.argv[1:]))"
        r = subprocess.run([sys.executable, "-c", code, *flags, "--out", str(tmp_path / name)],
                           capture_output=True, text=True, env=env | extra)
        assert r.returncode == 0, r.stderr
    data = {name: (tmp_path / name / "checkpoint.safetensors").read_bytes() for name in runs}
    assert data["numpy first"] == data["rnnlab first"]
    assert data["one thread"] != data["rnnlab first"]


@pytest.mark.skipif(rnnlab.backends.cpu.native.flush_mode() is None, reason="no subnormal mode to set here")
def test_flush_subnormals_only_inside_and_the_mode_comes_back(tmp_path, monkeypatch):
    from rnnlab.backends import flush_subnormals
    from rnnlab.backends.cpu.native import flush_mode
    from rnnlab.cli import main
    from rnnlab.train.loop import Trainer

    tiny, one = np.float32(1e-39), np.float32(1)  # a float32 subnormal
    assert tiny * one == tiny and flush_mode() is False
    with pytest.raises(KeyError):
        with flush_subnormals():
            assert tiny * one == 0  # read as 0 (DAZ)
            assert np.float32(1e-30) * np.float32(1e-10) == 0  # a result of 1e-40 written as 0 (FTZ)
            assert not np.any(np.full(64, 1e-39, np.float32) * 1)  # NumPy's vector loops too
            raise KeyError
    assert tiny * one == tiny and flush_mode() is False
    # a run with --flush-subnormals: the same losses as without, to float32 rounding, and the mode back
    corpus = tmp_path / "c.txt"
    corpus.write_text(TEXT)
    logs, modes, loop = [], [], Trainer._run
    monkeypatch.setattr(Trainer, "_run", lambda self: modes.append(flush_mode()) or loop(self))
    for flag in ("--no-flush-subnormals", "--flush-subnormals"):
        out = tmp_path / flag
        assert main(["train", "--data", str(corpus), "--cell", "rnn", "--hidden", "32", "--seq-len",
                                "16", "--batch-size", "8", "--max-steps", "6", "--log-every", "1", "--sample-length", "0", flag,
                                "--out", str(out)]) == 0
        rows = [json.loads(line) for line in (out / "metrics.jsonl").read_text().splitlines()]
        logs.append([r["train_loss"] for r in rows if "train_loss" in r])
        assert json.loads((out / "config.json").read_text())["flush_subnormals"] == (flag == "--flush-subnormals")
    assert modes == [False, True] and len(logs[0]) == len(logs[1]) == 6
    np.testing.assert_allclose(logs[1], logs[0], rtol=1e-5)
    assert flush_mode() is False
