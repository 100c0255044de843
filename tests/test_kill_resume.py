"""Kill a real training process with SIGKILL at random moments, resume it, and require the result to be
bit-identical to an uninterrupted run: weights, optimiser state, carried state and metrics.

The runs take the path users' runs take: the default backend, with OpenBLAS's threads, and a 2x200
LSTM, which on two threads runs the compiled loops split over both cores."""

import json
import os
import signal
import subprocess
import sys
import time

import numpy as np
import pytest
from safetensors.numpy import load_file

TEXT = "".join(f"{w} number {i} went to the {v}.\n" for i, (w, v) in enumerate(zip(["ant", "bee", "cat"] * 200,
                                                                                    ["sea", "hill"] * 300)))
ARGS = ["--hidden", "200", "--seq-len", "16", "--batch-size", "8", "--max-steps", "120", "--dropout", "0.2",
        "--checkpoint-every", "7", "--eval-every", "20", "--log-every", "3", "--sample-length", "0"]


def rnnlab(log, *args):
    env = {k: v for k, v in os.environ.items() if k not in ("OPENBLAS_NUM_THREADS", "RNNLAB_BACKEND")}
    with open(log, "ab") as f:  # the child keeps its own copy of the descriptor
        return subprocess.Popen([sys.executable, "-m", "rnnlab", *args], env=env, stdout=subprocess.DEVNULL,
                                stderr=f)


def state(run):
    arrays = load_file(str(run / "checkpoint.safetensors"))
    rows = [{k: v for k, v in json.loads(line).items() if k != "tokens_per_s"}
            for line in (run / "metrics.jsonl").read_text().splitlines()]
    return arrays, rows


def test_the_runs_take_the_split_loops_where_openblas_has_two_threads():
    from threadpoolctl import threadpool_info

    from rnnlab.backends import CPUBackend, available
    from rnnlab.backends.cpu.kernels import twin
    from rnnlab.kernels import LSTMKernel

    threads = max((lib["num_threads"] for lib in threadpool_info() if lib["internal_api"] == "openblas"), default=0)
    if "cpu" not in available() or threads < 2:
        pytest.skip("no compiled loops, or OpenBLAS on one thread: the runs below take the one-thread loop")
    assert CPUBackend().split.plan(twin(LSTMKernel()), 200, "forward", np.float32) is not None


def test_sigkill_then_resume_is_bit_identical(tmp_path):
    corpus = tmp_path / "c.txt"
    corpus.write_text(TEXT)
    ref = tmp_path / "ref"
    log = tmp_path / "log.txt"
    p = rnnlab(log, "train", "--data", str(corpus), "--out", str(ref), *ARGS)
    assert p.wait() == 0, log.read_text()
    want_arrays, want_rows = state(ref)

    rng = np.random.default_rng(0)
    interrupted = 0
    for attempt in range(3):
        run = tmp_path / f"killed{attempt}"
        p = rnnlab(log, "train", "--data", str(corpus), "--out", str(run), *ARGS)
        kills = 0
        while True:
            deadline = time.monotonic() + 60
            while not (run / "checkpoint.safetensors").exists() and p.poll() is None and time.monotonic() < deadline:
                time.sleep(0.01)
            time.sleep(rng.uniform(0, 0.6))
            if p.poll() is not None or kills == 2:
                break
            p.send_signal(signal.SIGKILL)
            p.wait()
            kills += 1
            interrupted += 1
            p = rnnlab(log, "train", "--resume", str(run), "--sample-length", "0")
        assert p.wait() == 0, log.read_text()
        arrays, rows = state(run)
        assert set(arrays) == set(want_arrays)
        for k in arrays:
            np.testing.assert_array_equal(arrays[k], want_arrays[k], err_msg=f"attempt {attempt}: {k}")
        assert rows == want_rows, f"attempt {attempt}: metrics differ"
    assert interrupted >= 2, "the runs finished before they could be killed: make the workload longer"


def test_ctrl_c_saves_and_resume_is_exact(tmp_path):
    corpus = tmp_path / "c.txt"
    corpus.write_text(TEXT)
    log = tmp_path / "log.txt"
    ref = tmp_path / "ref"
    assert rnnlab(log, "train", "--data", str(corpus), "--out", str(ref), *ARGS).wait() == 0, log.read_text()
    run = tmp_path / "run"
    p = rnnlab(log, "train", "--data", str(corpus), "--out", str(run), *ARGS)
    while not (run / "checkpoint.safetensors").exists() and p.poll() is None:
        time.sleep(0.01)
    p.send_signal(signal.SIGINT)
    assert p.wait() == 130, log.read_text()  # stopped at the next step boundary, after saving
    assert "stopped (interrupted)" in log.read_text()
    assert rnnlab(log, "train", "--resume", str(run), "--sample-length", "0").wait() == 0, log.read_text()
    want_arrays, want_rows = state(ref)
    arrays, rows = state(run)
    for k in arrays:
        np.testing.assert_array_equal(arrays[k], want_arrays[k], err_msg=k)
    assert rows == want_rows
