"""Folders that go on sys.path (tests/ by conftest, benchmarks/ when a script in it runs) must not
shadow standard-library modules: benchmarks/profile.py once hid `profile`, which cProfile imports,
and broke torch.optim in the whole test session."""

import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def test_no_module_shadows_the_standard_library():
    for folder in ("tests", "benchmarks", "scripts"):
        stems = {p.stem for p in (ROOT / folder).glob("*.py")} | {p.name for p in (ROOT / folder).iterdir() if p.is_dir()}
        clash = sorted(stems & set(sys.stdlib_module_names))
        assert not clash, f"{folder}/ has modules named like standard-library ones: {clash}"
