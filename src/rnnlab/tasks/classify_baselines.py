"""Baselines for sequence classification, run on the same splits as the recurrent classifier:

    majority       the training split's most frequent class, always
    bag of words   multinomial logistic regression on token counts, L2-penalised, full-batch Adam
    n-grams        the same on the counts of every run of 1..n tokens (``ngrams``; over characters, the
                   bag of character n-grams that is the standard baseline for Chinese text)
    1-NN DTW       the class of the training series nearest by dynamic time warping:
                   D[i, j] = |a_i - b_j|^2 + min(D[i-1, j], D[i, j-1], D[i-1, j-1]), distance D[m, n]
                   (squared Euclidean step cost, no window), each channel standardised beforehand

NumPy only; each returns the predicted class indices.
"""

from __future__ import annotations

import numpy as np

__all__ = ["majority", "bag_of_words", "ngrams", "dtw_distances", "nearest_dtw"]


def majority(train_y: np.ndarray, n: int) -> np.ndarray:
    return np.full(n, np.bincount(train_y).argmax())


def _counts(docs: list[np.ndarray], vocab_size: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(document, token, count) triples of the documents' token ids."""
    doc = np.concatenate([np.full(len(d), i) for i, d in enumerate(docs)])
    pairs, count = np.unique(doc * vocab_size + np.concatenate(docs), return_counts=True)
    return pairs // vocab_size, pairs % vocab_size, count.astype(np.float64)


def ngrams(train: list[np.ndarray], others: list[list[np.ndarray]], n: int) -> tuple[list, list[list], int]:
    """(train, others, size): each document's runs of 1..n token ids as ids of an n-gram vocabulary built
    from ``train`` (an n-gram never seen in training is dropped)."""
    table: dict[tuple, int] = {}

    def encode(doc, grow):
        out = []
        for k in range(1, n + 1):
            for i in range(len(doc) - k + 1):
                key = tuple(doc[i:i + k])
                if grow and key not in table:
                    table[key] = len(table)
                if key in table:
                    out.append(table[key])
        return np.array(out, np.int64)

    coded = [encode(d.tolist(), True) for d in train]
    return coded, [[encode(d.tolist(), False) for d in docs] for docs in others], len(table)


def bag_of_words(train: list[np.ndarray], train_y: np.ndarray, test: list[np.ndarray], vocab_size: int,
                 classes: int, l2: float = 1e-4, steps: int = 300, lr: float = 0.05) -> np.ndarray:
    """Logistic regression on log(1 + count) features:  z = X W + b,  minimise mean CE + l2 |W|^2 / 2."""
    d, t, c = _counts(train, vocab_size)
    c = np.log1p(c)
    n = len(train)
    Y = np.eye(classes)[train_y]
    W, b = np.zeros((vocab_size, classes)), np.zeros(classes)
    m = [np.zeros_like(W), np.zeros_like(b)]
    v = [np.zeros_like(W), np.zeros_like(b)]
    for step in range(1, steps + 1):
        Z = np.zeros((n, classes))
        np.add.at(Z, d, c[:, None] * W[t])  # X W, X sparse
        Z += b
        P = np.exp(Z - Z.max(1, keepdims=True))
        P /= P.sum(1, keepdims=True)
        G = (P - Y) / n  # dL/dZ
        gW = np.zeros_like(W)
        np.add.at(gW, t, c[:, None] * G[d])  # X^T G
        grads = (gW + l2 * W, G.sum(0))
        for k, (p, g) in enumerate(zip((W, b), grads)):  # Adam
            m[k] = 0.9 * m[k] + 0.1 * g
            v[k] = 0.999 * v[k] + 0.001 * g * g
            p -= lr * (m[k] / (1 - 0.9**step)) / (np.sqrt(v[k] / (1 - 0.999**step)) + 1e-8)
    d, t, c = _counts(test, vocab_size)
    Z = np.zeros((len(test), classes))
    np.add.at(Z, d, np.log1p(c)[:, None] * W[t])
    return (Z + b).argmax(1)


def dtw_distances(a: np.ndarray, others: list[np.ndarray]) -> np.ndarray:
    """DTW distance from the series a (m, D) to each of ``others`` (n_k, D), all at once."""
    n = max(len(o) for o in others)
    B = np.full((len(others), n, a.shape[1]), np.nan)
    for k, o in enumerate(others):
        B[k, : len(o)] = o
    cost = ((a[None, :, None, :] - B[:, None, :, :]) ** 2).sum(-1)  # (K, m, n), NaN past each length
    cost = np.where(np.isnan(cost), np.inf, cost)
    D = np.full((len(others), a.shape[0] + 1, n + 1), np.inf)
    D[:, 0, 0] = 0
    for i in range(1, a.shape[0] + 1):
        for j in range(1, n + 1):
            D[:, i, j] = cost[:, i - 1, j - 1] + np.minimum(np.minimum(D[:, i - 1, j], D[:, i, j - 1]), D[:, i - 1, j - 1])
    return D[np.arange(len(others)), a.shape[0], [len(o) for o in others]]


def nearest_dtw(train: list[np.ndarray], train_y: np.ndarray, test: list[np.ndarray]) -> np.ndarray:
    return np.array([train_y[dtw_distances(a, train).argmin()] for a in test])
