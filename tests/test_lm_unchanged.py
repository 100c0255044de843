"""The language model trains as it did when tests/fixtures/lm_run was written (scripts/make_lm_fixture.py):
every metrics row, every checkpoint array and the checkpoint's counters, optimiser, schedule and random
states. On the machine that wrote the fixture this holds to the last bit; elsewhere another BLAS may
sum in another order, so floats are compared to 1e-9 relative (float64)."""

import json

import numpy as np
import pytest
from lm_run import FIXTURE, run
from safetensors.numpy import load_file


def close(a, b):
    return a == pytest.approx(b, rel=1e-9, abs=1e-12) if isinstance(b, float) else a == b


def test_the_language_model_trains_as_the_fixture_says(tmp_path):
    rows, arrays, meta = run(tmp_path)
    want_rows = json.loads((FIXTURE / "metrics.json").read_text())
    assert [sorted(r) for r in rows] == [sorted(r) for r in want_rows]
    for got, want in zip(rows, want_rows):
        assert all(close(got[k], want[k]) for k in want), (got, want)
    want_arrays = load_file(str(FIXTURE / "checkpoint.safetensors"))
    assert sorted(arrays) == sorted(want_arrays)
    for k, v in want_arrays.items():
        np.testing.assert_allclose(arrays[k], v, rtol=1e-9, atol=1e-12, err_msg=k)
    want_meta = json.loads((FIXTURE / "meta.json").read_text())
    assert sorted(meta) == sorted(want_meta)
    for k in ("step", "epoch", "batch", "format_version", "optimizer", "schedule", "rng"):
        assert meta[k] == want_meta[k], k
    assert close(meta["best_valid"], want_meta["best_valid"])
    assert all(close(meta["window"][k], v) for k, v in want_meta["window"].items())
