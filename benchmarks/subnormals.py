"""Training speed with and without flushing float32 subnormals, rnnlab and PyTorch side by side:
python -m benchmarks.subnormals [--steps S] [--rounds R].

Workload: the adding problem (modern, T = 200; fresh sequences every step), a tanh RNN of 130 units and
a linear read-out of its last state, MSE, Adam 2e-3, gradients clipped at norm 5, batch 32, one thread.
Its gradients vanish through the 200 steps into the float32 subnormal range (|x| < 1.2e-38), which
Intel cores compute in microcode. Four sides, each measurement in a fresh process: rnnlab plain and
with ``flush_subnormals`` (``--flush-subnormals``), PyTorch plain and with
``torch.set_flush_denormal(True)``; R rounds, the sides interleaved; S steps timed after 10 untimed.
Prints and writes benchmarks/results/subnormals.md: the median seconds per step of each side and the
ratios. Run it on a quiet machine.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

T, HIDDEN, BATCH, LR, CLIP, WARM = 200, 130, 32, 2e-3, 5.0, 10
SIDES = ("rnnlab", "rnnlab --flush-subnormals", "torch", "torch set_flush_denormal")
OUT = Path(__file__).parent / "results" / "subnormals.md"


def rnnlab_side(flush: bool, steps: int) -> float:
    from contextlib import nullcontext

    from rnnlab.backends import flush_subnormals
    from rnnlab.tasks import make_trainer
    from rnnlab.tasks import resolve_config

    cfg = resolve_config(flags=dict(task="adding", seq_len=T, cell="rnn", layers=1, hidden=HIDDEN,
                                    batch_size=BATCH, optimizer="adam", lr=LR, clip=CLIP, seed=0))
    trainer = make_trainer(cfg, Path(tempfile.mkdtemp()) / "run", log=lambda msg: None, progress=False)
    with flush_subnormals() if flush else nullcontext():
        for i in range(WARM + steps):
            if i == WARM:
                start = time.perf_counter()
            trainer.train_step(trainer.task.batch(1, i))
    return (time.perf_counter() - start) / steps


def torch_side(flush: bool, steps: int) -> float:
    import numpy as np
    import torch

    from rnnlab.data.longrange import adding

    torch.set_num_threads(1)
    torch.manual_seed(0)
    torch.set_flush_denormal(flush)
    rnn, head = torch.nn.RNN(2, HIDDEN, nonlinearity="tanh"), torch.nn.Linear(HIDDEN, 1)
    params = [*rnn.parameters(), *head.parameters()]
    opt = torch.optim.Adam(params, lr=LR)
    rng = np.random.default_rng(0)
    for i in range(WARM + steps):
        x, y, _ = adding(rng, BATCH, T)
        if i == WARM:
            start = time.perf_counter()
        out, _ = rnn(torch.from_numpy(x.astype(np.float32)))
        loss = torch.nn.functional.mse_loss(head(out[-1]).squeeze(1), torch.from_numpy(y.astype(np.float32)))
        opt.zero_grad()
        loss.backward()
        torch.nn.utils.clip_grad_norm_(params, CLIP)
        opt.step()
    return (time.perf_counter() - start) / steps


def measure(side: str, steps: int) -> float:
    """Seconds per step of ``side``, in a fresh one-thread process."""
    env = dict(os.environ, OPENBLAS_NUM_THREADS="1", OMP_NUM_THREADS="1")
    code = (f"from benchmarks.subnormals import *; import json; "
            f"print(json.dumps({'torch_side' if side.startswith('torch') else 'rnnlab_side'}"
            f"({side != 'rnnlab' and side != 'torch'}, {steps})))")
    out = subprocess.run([sys.executable, "-c", code], cwd=Path(__file__).parent.parent, env=env, check=True,
                         capture_output=True, text=True).stdout
    return json.loads(out.strip().splitlines()[-1])


def main() -> None:
    ap = argparse.ArgumentParser(prog="python -m benchmarks.subnormals")
    ap.add_argument("--steps", type=int, default=100)
    ap.add_argument("--rounds", type=int, default=3)
    args = ap.parse_args()
    times = {side: [] for side in SIDES}
    for r in range(args.rounds):
        for side in SIDES:
            times[side].append(measure(side, args.steps))
            print(f"round {r + 1} {side}: {times[side][-1] * 1e3:.1f} ms/step", flush=True)
    med = {side: statistics.median(t) for side, t in times.items()}
    import torch

    lines = [f"Adding T = {T}, tanh RNN {HIDDEN}, batch {BATCH}, Adam, one thread; {args.steps} steps after "
             f"{WARM}, median of {args.rounds} rounds; {platform.processor() or platform.machine()}, "
             f"torch {torch.__version__}", "",
             "| side | ms per step | vs the same side plain | rnnlab / PyTorch speed |", "|---|---:|---:|---:|"]
    for side in SIDES:
        plain = med["rnnlab" if side.startswith("rnnlab") else "torch"]
        twin = {"rnnlab": "torch", "rnnlab --flush-subnormals": "torch set_flush_denormal"}.get(side)
        speed = f"{med[twin] / med[side]:.2f}" if twin else ""
        lines.append(f"| {side} | {med[side] * 1e3:.1f} | {plain / med[side]:.2f}x | {speed} |")
    text = "\n".join(lines) + "\n"
    print("\n" + text)
    OUT.write_text(text)


if __name__ == "__main__":
    main()
