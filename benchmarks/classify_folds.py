"""K-fold cross-validation of a text classifier against its baselines on the same folds:
python -m benchmarks.classify_folds NAME [--folds K] [--ngrams N] [--data-dir D] [rnnlab train flags...].

Runs ``rnnlab train --task classify --data NAME --folds K`` (the flags after NAME), then, on each fold's
own split (its training and validation folds to train, its test fold to measure), the majority class,
bag-of-words logistic regression on the run's own tokens, and logistic regression on the counts of
every run of 1..N characters (the bag of character n-grams, the standard baseline for Chinese text).
Prints a markdown table and writes benchmarks/results/classify-NAME-Kfold.json. Run it on a quiet
machine (the times are part of it).
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

from rnnlab.cli import main as rnnlab
from rnnlab.tasks import load_task
from rnnlab.tasks.classify import scores
from rnnlab.data.vocab import Vocab
from rnnlab.tasks.classify_baselines import bag_of_words, majority, ngrams
from rnnlab.tasks.classify_data import load_splits

RESULTS = Path(__file__).parent / "results"


def main() -> None:
    ap = argparse.ArgumentParser(prog="python -m benchmarks.classify_folds")
    ap.add_argument("name")
    ap.add_argument("--folds", type=int, default=10)
    ap.add_argument("--ngrams", type=int, default=2)
    ap.add_argument("--data-dir", default=str(Path(__file__).resolve().parents[2] / "shared" / "data"))
    args, flags = ap.parse_known_args()
    out = Path(tempfile.mkdtemp()) / "run"
    t = time.perf_counter()
    assert rnnlab(["train", "--task", "classify", "--data", args.name, "--data-dir", args.data_dir, "--folds",
                   str(args.folds), "--out", str(out), *flags]) == 0
    seconds = (time.perf_counter() - t) / args.folds
    summary = json.loads((out / "folds.json").read_text())
    grams = f"character 1..{args.ngrams}-gram logistic regression"
    rows = {"rnnlab": [f["accuracy"] for f in summary["folds"]], "majority class": [],
            "bag-of-words logistic regression (the run's tokens)": [], grams: []}
    tokens = None
    for k in range(1, args.folds + 1):
        cfg, task, _ = load_task(out / f"fold-{k}", "best")
        tokens = cfg.tokens
        train = task.inputs["train"] + task.inputs["valid"]  # the baselines choose nothing on valid
        y = np.concatenate([task.labels["train"], task.labels["valid"]])
        test, truth, C = task.inputs["test"], task.labels["test"], len(task.classes)
        rows["majority class"].append(scores(truth, majority(y, len(truth)), C)["accuracy"])
        rows["bag-of-words logistic regression (the run's tokens)"].append(
            scores(truth, bag_of_words(train, y, test, len(task.vocab), C), C)["accuracy"])
        _, texts = load_splits(cfg)  # the fold's own split, as raw text
        chars = Vocab.build((c for s in ("train", "valid") for t in texts[s].texts for c in t), "char", unk=True)
        ids = {s: [chars.encode(list(t)) for t in texts[s].texts] for s in texts}
        coded, (coded_test,), size = ngrams(ids["train"] + ids["valid"], [ids["test"]], args.ngrams)
        rows[grams].append(scores(truth, bag_of_words(coded, y, coded_test, size, C), C)["accuracy"])
    print(f"| model ({args.name}, {args.folds}-fold cross-validation, {tokens} tokens) | accuracy | folds |")
    print("|---|---:|---|")
    for model, acc in rows.items():
        print(f"| {model} | {np.mean(acc) * 100:.1f} ± {statistics.stdev(acc) * 100:.1f} | "
              f"{' '.join(f'{a * 100:.1f}' for a in acc)} |")
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / f"classify-{args.name}-{args.folds}fold.json").write_text(json.dumps(
        {"name": args.name, "flags": flags, "folds": args.folds, "tokens": tokens, "accuracy": rows,
         "rnnlab_seconds_per_fold": seconds, "machine": platform.processor() or platform.machine()}, indent=1) + "\n")
    shutil.rmtree(out.parent)


if __name__ == "__main__":
    main()
