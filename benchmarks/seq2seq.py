"""Sequence to sequence on its benchmark sets: python -m benchmarks.seq2seq LABEL --data NAME [--beam B]
[--example TEXT] [rnnlab train flags...].

Trains one run (the flags after LABEL, --task seq2seq added), keeps the weights of the best validation
loss, and measures the valid and test splits by greedy decoding and by beam search (--beam, default 5);
writes benchmarks/results/seq2seq/LABEL.json and, with --example, LABEL.png (that input's attention
weights). Run it on a quiet machine (the time is part of the result).
"""

from __future__ import annotations

import argparse
import json
import platform
import shutil
import tempfile
import time
from pathlib import Path

from rnnlab.cli import main as rnnlab
from rnnlab.tasks import load_task

RESULTS = Path(__file__).parent / "results" / "seq2seq"


def main() -> None:
    ap = argparse.ArgumentParser(prog="python -m benchmarks.seq2seq")
    ap.add_argument("label")
    ap.add_argument("--beam", type=int, default=5)
    ap.add_argument("--example", help="an input whose attention weights to draw")
    args, flags = ap.parse_known_args()
    out = Path(tempfile.mkdtemp()) / "run"
    t = time.perf_counter()
    assert rnnlab(["train", "--task", "seq2seq", *flags, "--out", str(out)]) == 0
    seconds = time.perf_counter() - t
    cfg, task, meta = load_task(out, "best")
    record = {"label": args.label, "flags": flags, "train_seconds": seconds, "best_step": meta["step"],
              "parameters": task.model.num_parameters(),
              "machine": platform.processor() or platform.machine(), "about": task.about()}
    for split in ("valid", "test"):
        for beam in (1, args.beam):
            t = time.perf_counter()
            record[f"{split} beam {beam}"] = task.evaluate(split, beam) | {"seconds": time.perf_counter() - t}
            print(f"{args.label} {split} beam {beam}: {record[f'{split} beam {beam}']}", flush=True)
    RESULTS.mkdir(parents=True, exist_ok=True)
    if args.example and cfg.attention != "none":
        rnnlab(["translate", str(out), args.example, "--attention-plot", str(RESULTS / f"{args.label}.png")])
    (RESULTS / f"{args.label}.json").write_text(json.dumps(record, indent=1) + "\n")
    shutil.rmtree(out.parent)


if __name__ == "__main__":
    main()
