"""Decoding a trained ``Seq2Seq`` by beam search, batched over sources; beam 1 is greedy decoding
(each step's input the previous step's argmax, until every sequence has produced EOS or ``max_length``
tokens).

Beam search keeps the B best partial outputs of each source by total log-probability; a beam that has
produced EOS is finished: it keeps its score and emits nothing more. At the end each source's output
is the beam with the best score / length^alpha (``length_norm`` alpha: 0 ranks by total log-probability,
which favours short outputs; 1 by the mean per token), the length counting the EOS.
"""

from __future__ import annotations

import numpy as np

from ..functional import log_softmax

__all__ = ["beam_search", "attention_weights"]


def _each(state: list, f) -> list:
    """``f`` applied to every array of a decoder state (per layer: an array, or a tuple such as (h, c))."""
    return [tuple(f(p) for p in s) if isinstance(s, tuple) else f(s) for s in state]


def _strip(seq: list[int], eos: int) -> list[int]:
    return seq[:seq.index(eos)] if eos in seq else seq


def beam_search(model, x: np.ndarray, lengths, bos: int, eos: int, beam: int, max_length: int,
                length_norm: float = 1.0) -> list[list[int]]:
    """Output ids (without EOS) of each source of x (Ts, N), the best of ``beam`` beams."""
    N, B = x.shape[1], beam
    with model.inference():
        memory, state = model.encode(x, lengths)
        memory = memory.repeat(B)
        state = _each(state, lambda p: np.repeat(p, B, axis=0))
        scores = np.tile(np.r_[0.0, np.full(B - 1, -np.inf)], N)  # (N B,): one live beam to start
        done = np.zeros(N * B, bool)
        steps = np.zeros(N * B, int)
        history = np.zeros((N * B, 0), np.int64)
        tokens, feed = np.full(N * B, bos), None
        for _ in range(max_length):
            z, state, feed, _ = model.step(tokens, state, feed, memory)
            logp = log_softmax(z.astype(np.float64), axis=1)  # (N B, V)
            V = logp.shape[1]
            logp[done] = -np.inf
            logp[done, eos] = 0.0  # a finished beam stays as it is
            total = (scores[:, None] + logp).reshape(N, B * V)
            best = np.argsort(-total, axis=1, kind="stable")[:, :B]  # (N, B)
            rows = (np.arange(N)[:, None] * B + best // V).ravel()  # the beam each survivor extends
            tokens = (best % V).ravel()
            scores = np.take_along_axis(total, best, axis=1).ravel()
            steps = steps[rows] + ~done[rows]
            done = done[rows] | (tokens == eos)
            history = np.concatenate([history[rows], tokens[:, None]], axis=1)
            state = _each(state, lambda p: p[rows])
            feed = None if feed is None else feed[rows]
            if done.all():
                break
    ranked = (scores / np.maximum(steps, 1) ** length_norm).reshape(N, B)
    ranked[~np.isfinite(ranked)] = -np.inf
    pick = ranked.argmax(axis=1) + np.arange(N) * B
    return [_strip(history[i].tolist(), eos) for i in pick]


def attention_weights(model, x: np.ndarray, lengths, output: list[int], bos: int) -> np.ndarray:
    """The attention weights (len(output), Ts) over one source x (Ts, 1) while the decoder reads
    ``output`` (teacher-forced after BOS)."""
    if "attention" not in model.children:
        raise ValueError("this model has no attention")
    rows = []
    with model.inference():
        memory, state = model.encode(x, lengths)
        feed, tokens = None, np.array([bos])
        for token in output:
            _, state, feed, a = model.step(tokens, state, feed, memory)
            rows.append(a[0])
            tokens = np.array([token])
    return np.array(rows)
