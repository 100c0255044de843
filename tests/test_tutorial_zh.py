"""docs/zh/, the Chinese tutorial, runs as written: each page's ```sh blocks in order, by bash
(``set -e -o pipefail``), in one fresh folder a page, with the named data sets of ../shared/data
(RNNLAB_DATA). A ```text block right after a ```sh block is what that block prints: its lines appear,
in order, among the printed lines (```log blocks show output that varies from machine to machine: they
are not compared). Every page the index lists exists, one per source article."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
TUTORIAL = ROOT / "docs" / "zh"
SHARED = ROOT.parent / "shared" / "data"
PAGES = sorted(TUTORIAL.glob("[1-9]-*.md"))
NEEDS = {"sentiment": "sentiment", "zh-sentiment": "zh", "cmn-eng": "zh"}  # named data -> its folder there

# The commands call no torch and no backend of their own choosing: one of CI's three passes runs them.
once = pytest.mark.skipif(os.environ.get("RNNLAB_BACKEND") == "numpy" or
                          os.environ.get("RNNLAB_TEST_WITHOUT_TORCH") == "1",
                          reason="the tutorial runs once a CI run, in the pass with the default backend")


def blocks(page: Path) -> list[tuple[str, str | None]]:
    """(the sh block, the text block printed right after it, or None), in order."""
    found = re.findall(r"```(sh|text|log)\n(.*?)```", page.read_text(), flags=re.S)
    pairs = []
    for k, (kind, body) in enumerate(found):
        if kind == "sh":
            following = found[k + 1] if k + 1 < len(found) else ("", "")
            pairs.append((body, following[1] if following[0] == "text" else None))
    return pairs


def appears_in_order(expected: str, printed: str) -> str | None:
    """The first line of ``expected`` not found among ``printed``'s lines after the previous one's."""
    lines = [line.rstrip() for line in printed.splitlines()]
    at = 0
    for line in (e.rstrip() for e in expected.splitlines()):
        if not line:
            continue
        try:
            at = lines.index(line, at) + 1
        except ValueError:
            return line
    return None


def test_one_page_per_article_and_the_index_links_them():
    assert [p.name.split("-")[0] for p in PAGES] == ["1", "2", "3", "4", "5"]
    index = (TUTORIAL / "README.md").read_text()
    assert all(f"({p.name})" in index for p in PAGES)
    assert "docs/zh/README.md" in (ROOT / "README.zh-CN.md").read_text()
    assert all(blocks(p) for p in PAGES)


@once
@pytest.mark.parametrize("page", PAGES, ids=[p.stem for p in PAGES])
def test_the_pages_commands_run_and_print_what_the_page_shows(page, tmp_path):
    text = page.read_text()
    for name, folder in NEEDS.items():
        if f"--data {name} " in text and not (SHARED / folder).is_dir():
            pytest.skip(f"{SHARED / folder} is not present (the page trains on --data {name})")
    env = {k: v for k, v in os.environ.items() if k not in ("LC_ALL", "LC_MESSAGES", "RNNLAB_BACKEND")}
    env |= {"LANG": "C.UTF-8", "RNNLAB_DATA": str(SHARED),
            "PATH": f"{Path(sys.executable).parent}{os.pathsep}{env.get('PATH', '')}"}
    for command, expected in blocks(page):
        done = subprocess.run(["bash", "-e", "-o", "pipefail", "-c", command], cwd=tmp_path, env=env,
                              capture_output=True, text=True, timeout=300)
        assert done.returncode == 0, f"{page.name}: {command}\n{done.stderr[-2000:]}"
        if expected is not None:
            missing = appears_in_order(expected, done.stdout)
            assert missing is None, f"{page.name}: {command.splitlines()[0]}\ndoes not print {missing!r}"
