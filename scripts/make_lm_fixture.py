"""Write tests/fixtures/lm_run/: the metrics, checkpoint arrays and metadata of tests/lm_run.py's run,
made with the code as it is now. tests/test_lm_unchanged.py requires later code to reproduce them
(to rounding: another CPU or BLAS may sum in another order). Run it only when a change to the
language model's training is intended, and say so in the commit."""

import json
import sys
import tempfile
from pathlib import Path

from safetensors.numpy import save_file

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))

from lm_run import FIXTURE, run  # noqa: E402


def main() -> None:
    with tempfile.TemporaryDirectory() as tmp:
        rows, arrays, meta = run(Path(tmp))
    FIXTURE.mkdir(parents=True, exist_ok=True)
    (FIXTURE / "metrics.json").write_text(json.dumps(rows, indent=1) + "\n")
    (FIXTURE / "meta.json").write_text(json.dumps(meta, indent=1, sort_keys=True) + "\n")
    save_file(arrays, str(FIXTURE / "checkpoint.safetensors"))
    print(f"wrote {FIXTURE}: {len(rows)} metrics rows, {len(arrays)} arrays")


if __name__ == "__main__":
    main()
