"""Evaluation: loss in nats per token over a whole split, carrying the state through it.

    loss = -(1/M) sum_j log p(y_j | y_<j)     perplexity = exp(loss)     bits per token = loss / ln 2
"""

from __future__ import annotations

import math

import numpy as np

from ..data.batching import eval_streams, iterate

__all__ = ["evaluate", "summarise", "nll"]


def nll(logits: np.ndarray, targets: np.ndarray) -> np.ndarray:
    """-log softmax(z)[y] = log sum exp(z - max z) + max z - z[y], per position; z (..., V), y (...)."""
    m = logits.max(axis=-1, keepdims=True)
    lse = np.log(np.exp(logits - m).sum(axis=-1, dtype=np.float64)) + m[..., 0]
    return lse - np.take_along_axis(logits, targets[..., None], axis=-1)[..., 0]


def evaluate(model, ids: np.ndarray, batch_size: int, seq_len: int, group=None) -> tuple[float, int]:
    """Mean loss (nats/token) and token count of ``model`` over the token ids ``ids`` (L,): every token
    but the first is predicted once, from the tokens before it in its stream, so the count is L - 1
    whatever ``batch_size`` (``data.eval_streams``). The model is switched to eval mode (no dropout)
    and restored afterwards. With a data-parallel ``group`` (``rnnlab.train.distributed``) each rank runs
    its share of the streams (the tail goes with the last) and the ranks' sums are added.
    """
    data, tail = eval_streams(ids, batch_size)
    streams = range(data.shape[1])[group.part(data.shape[1])] if group else range(data.shape[1])
    data, tail = data[:, streams.start:streams.stop], tail if data.shape[1] - 1 in streams else None
    state = None
    total, count = 0.0, 0
    with model.inference():
        for _, x, y in iterate(data, seq_len) if len(streams) else ():
            logits, state = model.forward(x, state)  # (T, N, V)
            total += float(nll(logits, y).sum(dtype=np.float64))
            count += y.size
        if tail is not None:  # continues the last stream from its final state
            last = tuple(s[:, -1:] for s in state) if isinstance(state, tuple) else state[:, -1:]
            for i in range(0, tail.shape[0] - 1, seq_len):
                x, y = tail[i : i + seq_len + 1][:-1, None], tail[i + 1 : i + seq_len + 1, None]
                logits, last = model.forward(x, last)
                total += float(nll(logits, y).sum(dtype=np.float64))
                count += y.size
    if group and group.size > 1:
        total, count = group.allreduce(np.array([total, count], np.float64))
    return total / count, int(count)


def summarise(loss: float, tokens: int) -> dict:
    return {"loss": loss, "perplexity": math.exp(min(loss, 700.0)), "bits_per_token": loss / math.log(2),
            "tokens": tokens}
