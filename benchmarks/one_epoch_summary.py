"""Paired summary of one-epoch runs made by one_epoch_vs_torch.sh:

    python -m benchmarks.one_epoch_summary OUT_DIR [OUT_DIR ...] --code COMMIT [--earlier FILE] [--json FILE]

--earlier folds in the runs of an earlier summary (each run keeps the code version it ran on).

Each seed gives a pair (rnnlab, PyTorch) from the same initial weights and batches; the paired
difference rnnlab - PyTorch in validation perplexity is summarised by its mean, standard deviation,
standard error and t statistic. With lr 1 and clipping the float32 trajectories are chaotic
(benchmarks/trajectory_drift.py), so each pair is a noisy draw and only the mean over seeds says
whether one side is better.
"""

from __future__ import annotations

import argparse
import json
import math
import statistics
from pathlib import Path

from rnnlab.plot import read_metrics


def pairs(folder: Path) -> dict[int, tuple[float, float]]:
    out = {}
    for t in sorted(folder.glob("torch-seed*.json")):
        seed = int(t.stem.removeprefix("torch-seed"))
        run = folder / f"rnnlab-seed{seed}"
        if not (run / "metrics.jsonl").exists():
            continue
        valid = [r for r in read_metrics(run) if "valid_perplexity" in r]
        out[seed] = (valid[-1]["valid_perplexity"], json.loads(t.read_text())["epochs"][-1]["valid_perplexity"])
    return out


def summary(diffs: list[float]) -> dict:
    n, mean = len(diffs), statistics.fmean(diffs)
    out = {"pairs": n, "mean": round(mean, 2), "rnnlab_worse_in": sum(d > 0 for d in diffs)}
    if n > 1:
        sd = statistics.stdev(diffs)
        se = sd / math.sqrt(n)
        out |= {"sd": round(sd, 2), "se": round(se, 2), "t": round(mean / se, 2)}
    return out


def main() -> None:
    ap = argparse.ArgumentParser(prog="python -m benchmarks.one_epoch_summary")
    ap.add_argument("folders", nargs="+", type=Path)
    ap.add_argument("--code", required=True, help="the rnnlab commit the runs in the folders used")
    ap.add_argument("--earlier", type=Path, help="an earlier summary JSON whose runs to include")
    ap.add_argument("--json", type=Path)
    args = ap.parse_args()
    runs = json.loads(args.earlier.read_text())["runs"] if args.earlier else []
    for folder in args.folders:
        for seed, (ours, theirs) in sorted(pairs(folder).items()):
            runs.append({"seed": seed, "code": args.code, "rnnlab": round(ours, 2), "torch": round(theirs, 2)})
    if not runs:
        raise SystemExit("no finished pairs (rnnlab-seedN/metrics.jsonl with torch-seedN.json) in " +
                         ", ".join(map(str, args.folders)))
    for r in runs:
        print(f"seed {r['seed']:>5} ({r['code']}): rnnlab {r['rnnlab']:7.2f}  PyTorch {r['torch']:7.2f}  "
              f"difference {r['rnnlab'] - r['torch']:+6.2f}")
    result = {"what": "zaremba-small, 1 epoch of ptb-word, validation perplexity; rnnlab and PyTorch 2.13.0 "
                      "from the same initial weights (rnnlab's draw for the seed), same batches, float32, "
                      "1 thread each (benchmarks/one_epoch_vs_torch.sh)",
              "runs": runs,
              "mean": {"rnnlab": round(statistics.fmean(r["rnnlab"] for r in runs), 2),
                       "torch": round(statistics.fmean(r["torch"] for r in runs), 2)},
              "paired_difference": summary([r["rnnlab"] - r["torch"] for r in runs]),
              "paired_difference_by_code": {code: summary([r["rnnlab"] - r["torch"] for r in runs if r["code"] == code])
                                            for code in dict.fromkeys(r["code"] for r in runs)}}
    print("mean:", result["mean"], " paired difference rnnlab - PyTorch:", result["paired_difference"])
    for code, s in result["paired_difference_by_code"].items():
        print(f"  code {code}: {s}")
    if args.json:
        args.json.write_text(json.dumps(result, indent=2) + "\n")


if __name__ == "__main__":
    main()
