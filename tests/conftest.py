import importlib.abc
import os
import sys
from pathlib import Path

import numpy as np
import pytest

sys.path.insert(0, str(Path(__file__).parent))  # tests/cases.py and tests/torch_reference.py

class _HiddenTorch(importlib.abc.MetaPathFinder):
    """`import torch` fails as if torch were not installed. (A None in sys.modules would do that too,
    but SciPy, under statsmodels, looks torch up in sys.modules and trips over the None.)"""

    def find_spec(self, name, path=None, target=None):
        if name == "torch" or name.startswith("torch."):
            raise ModuleNotFoundError(f"No module named {name!r} (hidden: RNNLAB_TEST_WITHOUT_TORCH=1)", name=name)
        return None


if os.environ.get("RNNLAB_TEST_WITHOUT_TORCH") == "1":
    # Behave exactly as if torch were not installed: the parity tests skip and the golden fixtures
    # carry the check. .ci/run uses this for its first pass.
    sys.meta_path.insert(0, _HiddenTorch())


@pytest.fixture(autouse=True)
def strict_floats():
    """Every overflow, invalid operation or division by zero is an error.

    Underflow is allowed: exp of a very negative logit rounding to 0 is correct behaviour.
    """
    old = np.seterr(all="raise", under="ignore")
    yield
    np.seterr(**old)


@pytest.fixture
def corpus(tmp_path):
    """A small text file (180 lines of a few repeated words) for language-model runs."""
    f = tmp_path / "corpus.txt"
    words = ["cat", "dog", "bird"] * 60
    f.write_text("".join(f"the {w} sat on the mat number {i % 7}.\n" for i, w in enumerate(words)))
    return f


@pytest.fixture
def browser_page():
    """(a page of headless Chromium driven by Playwright, the list its script errors go to); a skip where
    either is missing, a failure if RNNLAB_REQUIRE_BROWSER is set (CI installs both)."""
    import shutil

    chromium = shutil.which("chromium") or shutil.which("chromium-browser")
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        sync_playwright = None
    if chromium is None or sync_playwright is None:
        if os.environ.get("RNNLAB_REQUIRE_BROWSER"):
            pytest.fail("the browser test needs chromium and playwright (RNNLAB_REQUIRE_BROWSER is set)")
        pytest.skip("no chromium or playwright here (CI installs both)")
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=chromium, args=[
            "--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
            "--disable-sync"])
        page = browser.new_page()
        errors = []
        page.on("pageerror", lambda e: errors.append(str(e)))
        page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
        yield page, errors
        browser.close()
