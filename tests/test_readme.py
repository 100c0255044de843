"""The Python examples of the README and of the library's guide (docs/library.md) run as written (all
but the two-line registry sketch, whose kernel class lives in tests/test_registry.py), the custom
classifier learns its task, and every guide the README links to exists."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
README = (ROOT / "README.md").read_text()
GUIDE = (ROOT / "docs" / "library.md").read_text()
BLOCKS = [b for text in (README, GUIDE) for b in re.findall(r"```python\n(.*?)```", text, flags=re.S)
          if "MGUKernel" not in b]


def test_the_readme_and_the_guide_have_their_examples():
    assert len(BLOCKS) == 3 and BLOCKS[0] == BLOCKS[1] and "class Classifier(Module)" in BLOCKS[2]
    assert len(BLOCKS[2].splitlines()) < 30
    assert len(README.splitlines()) <= 200
    links = re.findall(r"\]\((docs/[^)#]+)", README)
    assert len(set(links)) == 10 and all((ROOT / link).is_file() for link in links)


@pytest.mark.parametrize("block", BLOCKS[1:], ids=["layer", "classifier"])
def test_a_readme_example_runs(block, capsys):
    namespace: dict = {}
    exec(compile(block, "README.md", "exec"), namespace)
    if "accuracy" in namespace:
        assert namespace["accuracy"] >= 0.9
        assert re.fullmatch(r"held-out accuracy \d\.\d\d\n", capsys.readouterr().out)


def test_the_chinese_readme_gives_the_same_two_commands_and_its_examples_run(capsys):
    chinese = (ROOT / "README.zh-CN.md").read_text()
    commands = lambda text: re.findall(r"```sh\n(.*?)```", text, flags=re.S)[:2]  # noqa: E731
    assert commands(chinese) == commands(README)
    from rnnlab.cli import main

    explain = [line.split("#")[0].split()[1:] for block in re.findall(r"```sh\n(.*?)```", chinese, flags=re.S)
               for line in block.splitlines() if line.startswith("rnnlab explain")]
    assert len(explain) == 2
    for argv in explain:
        assert main(argv) == 0
        assert "隐藏状态" in capsys.readouterr().out  # in the articles' terms
