"""rnnlab against stored PyTorch results (tests/golden, made by scripts/make_golden.py).

This runs with or without torch installed, so the numbers are always checked.
"""

import json
from pathlib import Path

import pytest
from cases import max_relative_error, rnnlab_run
from safetensors import safe_open
from safetensors.numpy import load_file

FIXTURES = sorted((Path(__file__).parent / "golden").glob("*.safetensors"))


def test_fixtures_exist():
    assert len(FIXTURES) == 8, "run scripts/make_golden.py"


@pytest.mark.parametrize("path", FIXTURES, ids=lambda p: p.stem)
def test_matches_stored_torch_results(path):
    with safe_open(str(path), framework="numpy") as f:
        cfg = json.loads(f.metadata()["config"])
    tensors = load_file(str(path))
    ref = {k[4:]: v for k, v in tensors.items() if k.startswith("ref.")}
    arrays = {k: v for k, v in tensors.items() if not k.startswith("ref.")}
    ours = rnnlab_run(cfg, arrays)
    assert set(ours) == set(ref)
    err, where = max_relative_error(ours, ref)
    assert err < 1e-8, f"{where}: relative error {err:.2e}"
