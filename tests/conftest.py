import os
import sys
from pathlib import Path

import numpy as np
import pytest

sys.path.insert(0, str(Path(__file__).parent))  # tests/cases.py and tests/torch_reference.py

if os.environ.get("RNNLAB_TEST_WITHOUT_TORCH") == "1":
    # Behave exactly as if torch were not installed: `import torch` raises ImportError, so the
    # parity tests skip and the golden fixtures carry the check. .ci/run uses this for its second pass.
    sys.modules["torch"] = None


@pytest.fixture(autouse=True)
def strict_floats():
    """Every overflow, invalid operation or division by zero is an error.

    Underflow is allowed: exp of a very negative logit rounding to 0 is correct behaviour.
    """
    old = np.seterr(all="raise", under="ignore")
    yield
    np.seterr(**old)
