"""Sequence classification against its baselines on the same split: python -m benchmarks.classify NAME
[--data-dir D] [--seeds S] [rnnlab train flags...].

NAME is sentiment or japanese-vowels. For each seed: trains rnnlab's classifier (the flags after NAME,
--task classify added; the split depends on the seed where the set has no fixed one), takes the best
weights by validation accuracy, and measures the test split (with --ensemble K, each seed is an
ensemble of K, seeds 1..K, K+1..2K, ..., measured by the mean of its members' probabilities); then,
on the same training and test cases, the majority class and, for text, bag-of-words logistic regression, for series, 1-NN DTW.
Prints one markdown table and writes benchmarks/results/classify-NAME[-ensembleK].json. Run it on a quiet machine
(the times are part of the result).
"""

from __future__ import annotations

import argparse
import json
import platform
import shutil
import statistics
import tempfile
import time
from pathlib import Path

import numpy as np

from rnnlab.tasks.classify_baselines import bag_of_words, majority, nearest_dtw
from rnnlab.cli import main as rnnlab
from rnnlab.runs.members import run_members
from rnnlab.tasks import load_task
from rnnlab.tasks.classify import ensemble_logits, scores

RESULTS = Path(__file__).parent / "results"


def one_seed(name: str, data_dir: str, seed: int, flags: list[str]) -> dict[str, dict]:
    out = Path(tempfile.mkdtemp()) / "run"
    t = time.perf_counter()
    assert rnnlab(["train", "--task", "classify", "--data", name, "--data-dir", data_dir, "--seed", str(seed),
                   "--out", str(out), *flags]) == 0
    seconds = time.perf_counter() - t
    members = [load_task(run, "best") for run in run_members(out)]  # one, or an ensemble's (--ensemble K)
    task = members[0][1]
    y = task.labels["test"]
    logits = {s: ensemble_logits([t.predict(s) for _, t, _ in members]) for s in ("valid", "test")}
    valid = task.evaluate("valid", logits["valid"])["accuracy"]  # what the settings are chosen by; test is only reported
    rows = {"rnnlab": scores(y, logits["test"].argmax(1), len(task.classes)) | {
        "seconds": seconds, "best_step": [meta["step"] for _, _, meta in members], "valid_accuracy": valid}}
    train_x = task.inputs["train"] + task.inputs["valid"]  # the baselines pick nothing on valid: they train on it
    train_y = np.concatenate([task.labels["train"], task.labels["valid"]])
    t = time.perf_counter()
    rows["majority class"] = scores(y, majority(train_y, len(y)), len(task.classes)) | {
        "seconds": time.perf_counter() - t}
    t = time.perf_counter()
    if task.vocab is not None:
        predicted = bag_of_words(train_x, train_y, task.inputs["test"], len(task.vocab), len(task.classes))
        label = "bag-of-words logistic regression"
    else:
        predicted = nearest_dtw(train_x, train_y, task.inputs["test"])
        label = "1-NN DTW"
    rows[label] = scores(y, predicted, len(task.classes)) | {"seconds": time.perf_counter() - t}
    shutil.rmtree(out.parent)
    return rows


def main() -> None:
    ap = argparse.ArgumentParser(prog="python -m benchmarks.classify")
    ap.add_argument("name", choices=["sentiment", "japanese-vowels"])
    ap.add_argument("--data-dir", default=str(Path(__file__).resolve().parents[2] / "shared" / "data"))
    ap.add_argument("--seeds", type=int, default=3)
    args, flags = ap.parse_known_args()
    ensemble = int(flags[flags.index("--ensemble") + 1]) if "--ensemble" in flags else 1
    # an ensemble of K with --seed s has members s .. s+K-1: the next one starts after them
    runs = [one_seed(args.name, args.data_dir, 1 + ensemble * i, flags) for i in range(args.seeds)]
    table = {}
    valid = [r["rnnlab"]["valid_accuracy"] for r in runs]
    print(f"rnnlab valid accuracy {np.mean(valid) * 100:.1f} (flags: {' '.join(flags)})")
    print(f"| model ({args.name}, test split, {args.seeds} seeds) | accuracy | macro-F1 | seconds |")
    print("|---|---:|---:|---:|")
    for model in runs[0]:
        acc = [r[model]["accuracy"] for r in runs]
        f1 = [r[model]["macro_f1"] for r in runs]
        sec = [r[model]["seconds"] for r in runs]
        spread = lambda v: f" ± {statistics.stdev(v) * 100:.1f}" if len(v) > 1 else ""  # noqa: E731
        print(f"| {model} | {np.mean(acc) * 100:.1f}{spread(acc)} | {np.mean(f1) * 100:.1f}{spread(f1)} | "
              f"{np.mean(sec):.1f} |")
        table[model] = {"accuracy": acc, "macro_f1": f1, "seconds": sec}
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / f"classify-{args.name}{f'-ensemble{ensemble}' if ensemble > 1 else ''}.json").write_text(json.dumps(
        {"name": args.name, "flags": flags, "seeds": args.seeds, "results": table, "machine": platform.processor()
         or platform.machine(), "runs": runs}, indent=1) + "\n")


if __name__ == "__main__":
    main()
