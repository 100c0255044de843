"""The README's Python examples run as written (all but the two-line registry sketch, whose kernel
class lives in tests/test_registry.py), and the custom classifier learns its task."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

README = (Path(__file__).resolve().parents[1] / "README.md").read_text()
BLOCKS = [b for b in re.findall(r"```python\n(.*?)```", README, flags=re.S) if "MGUKernel" not in b]


def test_the_readme_has_its_examples():
    assert len(BLOCKS) == 2 and "class Classifier(Module)" in BLOCKS[1]
    assert len(BLOCKS[1].splitlines()) < 30


@pytest.mark.parametrize("block", BLOCKS, ids=["layer", "classifier"])
def test_a_readme_example_runs(block, capsys):
    namespace: dict = {}
    exec(compile(block, "README.md", "exec"), namespace)
    if "accuracy" in namespace:
        assert namespace["accuracy"] >= 0.9
        assert re.fullmatch(r"held-out accuracy \d\.\d\d\n", capsys.readouterr().out)
