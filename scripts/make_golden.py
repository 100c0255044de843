"""Write tests/golden/*.safetensors: random cases and PyTorch's outputs and gradients for them.

    python scripts/make_golden.py      (needs torch==2.13.0; the fixtures are committed)

tests/test_golden.py then checks rnnlab against these numbers on machines without torch.
"""

import json
import sys
from pathlib import Path

import numpy as np
from safetensors.numpy import save_file

TESTS = Path(__file__).resolve().parent.parent / "tests"
sys.path.insert(0, str(TESTS))

from cases import MODES, make_case  # noqa: E402
from torch_reference import torch_run  # noqa: E402

GOLDEN_CASES = [
    # (num_layers, bidirectional, batch_first, lengths, seed)
    (1, False, False, False, 11),
    (3, True, True, True, 12),
]


def main() -> None:
    out_dir = TESTS / "golden"
    out_dir.mkdir(exist_ok=True)
    for mode in MODES:
        for layers, bi, bf, lengths, seed in GOLDEN_CASES:
            cfg, arrays = make_case(mode, layers, bi, bf, lengths, seed)
            ref = torch_run(cfg, arrays)
            tensors = dict(arrays) | {f"ref.{k}": v for k, v in ref.items()}
            name = f"{mode}_l{layers}_bi{int(bi)}_bf{int(bf)}_len{int(lengths)}.safetensors"
            save_file({k: np.ascontiguousarray(v) for k, v in tensors.items()}, str(out_dir / name),
                      metadata={"config": json.dumps(cfg), "made_by": "scripts/make_golden.py"})
            print("wrote", out_dir / name)


if __name__ == "__main__":
    main()
