"""Truncated-BPTT batching with N parallel streams and carried state (Zaremba's and pytorch/examples'
layout).

The token stream is cut into N equal streams, one per batch column (the tail that does not fit is
dropped), and read T steps at a time; the target is the next token:

    ids  = a b c d e f g h i j k l m n o p q r s t u v w x      (24 tokens), N = 4
    data = [[a g m s]        (6, 4): column n is stream n
            [b h n t]
            [c i o u]
            [d j p v]
            [e k q w]
            [f l r x]]
    batch at i = 0, T = 2:  x = data[0:2] = [[a g m s], [b h n t]]
                            y = data[1:3] = [[b h n t], [c i o u]]

Consecutive batches continue each stream, so the final state of one batch is the right initial state
of the next. The last batch of an epoch may be shorter than T.

Evaluation must predict every token of a split but the first, whatever N: ``eval_streams`` lets
stream n read ids[nS : nS + S + 1] (S = (L - 1) // N targets each, the streams overlapping by one
token), so that targets 1..NS are each predicted once, and hands back the tail, the L - 1 - NS targets
left, which continue the last stream from its final state.
"""

from __future__ import annotations

from collections.abc import Iterator

import numpy as np

__all__ = ["batchify", "eval_streams", "get_batch", "num_batches", "iterate", "jittered_spans"]


def batchify(ids: np.ndarray, batch_size: int) -> np.ndarray:
    """(L,) token ids -> (L // N, N) with column n = ids[n * L//N : (n+1) * L//N]."""
    ids = np.asarray(ids)
    steps = ids.shape[0] // batch_size
    if steps < 2:
        raise ValueError(f"{ids.shape[0]} tokens are too few for {batch_size} streams: each stream needs "
                         f"at least 2 tokens (one input, one target)")
    return ids[: steps * batch_size].reshape(batch_size, steps).T.copy()


def num_batches(data: np.ndarray, seq_len: int) -> int:
    """Batches per pass over ``data`` (S, N): ceil((S - 1) / T)."""
    return -(-(data.shape[0] - 1) // seq_len)


def get_batch(data: np.ndarray, i: int, seq_len: int) -> tuple[np.ndarray, np.ndarray]:
    """Inputs data[i : i+T] and targets data[i+1 : i+1+T], both (T', N), T' = min(T, S - 1 - i)."""
    t = min(seq_len, data.shape[0] - 1 - i)
    return data[i : i + t], data[i + 1 : i + 1 + t]


def jittered_spans(rows: int, seq_len: int, rng: np.random.Generator) -> list[tuple[int, int, int]]:
    """(start, steps, drawn length) of each batch of one pass over ``rows`` rows with variable-length
    BPTT (Merity et al. 2017): base T, or T/2 with probability 0.05; length max(5, int(N(base, 5))), at
    most T + 20; batches end to end, the last one ending with the data."""
    spans, i = [], 0
    while i < rows - 1:
        base = seq_len if rng.random() < 0.95 else seq_len / 2
        drawn = min(max(5, int(rng.normal(base, 5))), seq_len + 20)
        spans.append((i, min(drawn, rows - 1 - i), drawn))
        i += drawn
    return spans


def iterate(data: np.ndarray, seq_len: int, start: int = 0) -> Iterator[tuple[int, np.ndarray, np.ndarray]]:
    """Yield (batch index, x, y) from batch ``start`` to the end of the pass."""
    for b in range(start, num_batches(data, seq_len)):
        x, y = get_batch(data, b * seq_len, seq_len)
        yield b, x, y


def eval_streams(ids: np.ndarray, batch_size: int) -> tuple[np.ndarray, np.ndarray | None]:
    """(data (S+1, N), tail): column n = ids[nS : nS + S + 1] with S = (L - 1) // N, and tail =
    ids[NS:] (its L - 1 - NS targets follow stream N - 1), or None when nothing is left. N is lowered
    to L - 1 for a split shorter than that."""
    ids = np.asarray(ids)
    if ids.shape[0] < 2:
        raise ValueError(f"{ids.shape[0]} tokens are too few to evaluate: at least 2 are needed")
    N = min(batch_size, ids.shape[0] - 1)
    S = (ids.shape[0] - 1) // N
    data = np.stack([ids[n * S : n * S + S + 1] for n in range(N)], axis=1)
    return data, (ids[N * S :] if ids.shape[0] - 1 > N * S else None)
