"""How fast two runs of the same recipe drift apart: rnnlab and PyTorch, float32 and float64.

    python -m benchmarks.trajectory_drift --data-dir ../shared/data --steps 600 --seed 1

zaremba-small on ptb-word; all four runs start from rnnlab's initial weights for the seed and see
the same batches. Prints, every steps/6 steps, the distance of each run's weights from rnnlab's
float64 run, relative to that run's weight norm. Rounding differences (float32 against float64,
or two float64 implementations summing in different orders) grow exponentially with lr 1 and
clipping, so after an epoch the runs are independent draws: compare one-epoch results over seeds.
"""

from __future__ import annotations

import argparse
import tempfile

import numpy as np
import torch

from rnnlab.data import get_batch
from rnnlab.tasks import make_trainer
from rnnlab.tasks import resolve_config

from .torch_lm_reference import TorchLM, train_step


def flat(arrays) -> np.ndarray:
    return np.concatenate([np.asarray(a, dtype=np.float64).ravel() for a in arrays])


def main() -> None:
    ap = argparse.ArgumentParser(prog="python -m benchmarks.trajectory_drift")
    ap.add_argument("--data-dir", required=True)
    ap.add_argument("--steps", type=int, default=600)
    ap.add_argument("--seed", type=int, default=1)
    args = ap.parse_args()
    torch.set_num_threads(1)
    every = max(1, args.steps // 6)
    snaps = {}  # (side, dtype, step) -> flat weights
    for dtype in ("float64", "float32"):
        cfg = resolve_config("zaremba-small", flags=dict(data_dir=args.data_dir, dtype=dtype, seed=args.seed))
        ours = make_trainer(cfg, tempfile.mkdtemp(), progress=False)
        theirs = TorchLM(len(ours.task.vocab), cfg).to(getattr(torch, dtype))
        theirs.load_state_dict({k: torch.from_numpy(v.copy()) for k, v in ours.model.state_dict().items()})
        opt = torch.optim.SGD(theirs.parameters(), lr=cfg.lr)
        state = None
        for step in range(1, args.steps + 1):
            x, y = get_batch(ours.task.train_data, (step - 1) * cfg.seq_len, cfg.seq_len)
            ours.train_step((x, y))
            ours.step += 1
            _, _, state = train_step(theirs, opt, x, y, state, cfg)
            if step % every == 0:
                snaps["rnnlab", dtype, step] = flat(ours.model.state_dict().values())
                snaps["torch", dtype, step] = flat(p.detach().numpy() for p in theirs.state_dict().values())
    pairs = [(("torch", "float64"), ("rnnlab", "float64")), (("rnnlab", "float32"), ("rnnlab", "float64")),
             (("torch", "float32"), ("rnnlab", "float64")), (("rnnlab", "float32"), ("torch", "float32"))]
    print("step | " + " | ".join(f"{a[0]} {a[1]} vs {b[0]} {b[1]}" for a, b in pairs))
    for step in range(every, args.steps + 1, every):
        ref = np.linalg.norm(snaps["rnnlab", "float64", step])
        print(f"{step} | " + " | ".join(
            f"{np.linalg.norm(snaps[a + (step,)] - snaps[b + (step,)]) / ref:.1e}" for a, b in pairs))


if __name__ == "__main__":
    main()
