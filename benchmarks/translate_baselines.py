"""A baseline of English-Chinese translation on rnnlab's own splits of cmn-eng:
python -m benchmarks.translate_baselines [--data-dir D]. The
number a translation model has to beat:

    retrieval   the translation of the most similar training source sentence: TF-IDF vectors of the
                source tokens and their bigrams (English words, Chinese characters, as rnnlab reads
                them), cosine similarity, the nearest training source's first reference

Both directions, valid and test splits, measured as rnnlab measures a run (sacrebleu corpus BLEU and
chrF against every reference, ``rnnlab.seq2seq.metrics.text_scores``). Prints a markdown table and
writes benchmarks/results/seq2seq/cmn-eng-baselines.json.
"""

from __future__ import annotations

import argparse
import json
from collections import Counter
from pathlib import Path

import numpy as np
from scipy import sparse

from rnnlab.data.pairs import load_cmn_eng
from rnnlab.data.text import detokenize
from rnnlab.seq2seq.metrics import text_scores

RESULTS = Path(__file__).parent / "results" / "seq2seq"


def features(sentences: list[list[str]]) -> list[list[str]]:
    """Each sentence's tokens and its bigrams."""
    return [s + [f"{a}\u0001{b}" for a, b in zip(s, s[1:])] for s in sentences]


def tfidf(train: list[list[str]], other: list[list[str]]) -> tuple[sparse.csr_matrix, sparse.csr_matrix]:
    """L2-normalised TF-IDF rows of ``train`` and ``other`` over the training vocabulary (idf from train:
    log((1 + n) / (1 + df)) + 1, scikit-learn's smooth idf)."""
    vocab = {f: i for i, f in enumerate(sorted({f for s in train for f in s}))}
    df = Counter(f for s in train for f in set(s))
    idf = np.array([np.log((1 + len(train)) / (1 + df[f])) + 1 for f in sorted(vocab)])

    def matrix(rows):
        data, cols, ptr = [], [], [0]
        for s in rows:
            counts = Counter(f for f in s if f in vocab)
            cols += [vocab[f] for f in counts]
            data += [c * idf[vocab[f]] for f, c in counts.items()]
            ptr.append(len(cols))
        m = sparse.csr_matrix((data, cols, ptr), shape=(len(rows), len(vocab)))
        norms = np.sqrt(np.asarray(m.multiply(m).sum(axis=1))).ravel()
        return sparse.diags(1 / np.maximum(norms, 1e-12)) @ m

    return matrix(train), matrix(other)


def main() -> None:
    ap = argparse.ArgumentParser(prog="python -m benchmarks.translate_baselines")
    ap.add_argument("--data-dir", default=str(Path(__file__).resolve().parents[2] / "shared" / "data"))
    args = ap.parse_args()
    results = {}
    print("| direction | split | method | BLEU | chrF |")
    print("|---|---|---|---:|---:|")
    for direction in ("en-zh", "zh-en"):
        data = load_cmn_eng(Path(args.data_dir), direction)
        chinese_out = direction == "en-zh"
        join = "".join if chinese_out else detokenize
        train = data["train"]
        for split in ("valid", "test"):
            refs = [[join(r) for r in rs] for rs in data[split].references]
            a, b = tfidf(features(train.sources), features(data[split].sources))
            nearest = np.asarray((b @ a.T).argmax(axis=1)).ravel()
            scores = text_scores([join(train.references[k][0]) for k in nearest], refs, chinese_out)
            results[f"{direction} {split} retrieval"] = scores
            print(f"| {direction} | {split} | retrieval | {scores['bleu']:.2f} | {scores['chrf']:.2f} |")
    RESULTS.mkdir(parents=True, exist_ok=True)
    (RESULTS / "cmn-eng-baselines.json").write_text(json.dumps(results, indent=1) + "\n")


if __name__ == "__main__":
    main()
