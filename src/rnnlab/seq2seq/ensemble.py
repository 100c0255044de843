"""``Ensemble``: several trained encoder-decoders decoding as one, for ``beam_search``: at each step the
next-token distribution is the mean of the members' (its log is what ``step`` returns), each member
keeping its own state, input feeding and memory.

    p(y_i | y_<i, x) = (1/K) sum_k p_k(y_i | y_<i, x)
"""

from __future__ import annotations

from contextlib import ExitStack, contextmanager

import numpy as np

from ..functional import log_softmax

__all__ = ["Ensemble", "mean_log_probabilities"]


def mean_log_probabilities(logits: list[np.ndarray]) -> np.ndarray:
    """log((1/K) sum_k softmax(z_k)) over the last axis, in float64, from each member's logits."""
    logp = np.stack([log_softmax(z.astype(np.float64), axis=-1) for z in logits])
    top = logp.max(axis=0)
    return top + np.log(np.mean(np.exp(logp - top), axis=0))


class _Memories:
    def __init__(self, parts):
        self.parts = parts

    def repeat(self, k: int) -> _Memories:
        return _Memories([m.repeat(k) for m in self.parts])


class Ensemble:
    """``models``: Seq2Seq models of the same vocabularies. The decoder state is the members' per-layer
    entries one after another; the fed-back outputs are theirs side by side, (N, K H)."""

    def __init__(self, models: list) -> None:
        self.models = models
        self.children = models[0].children  # what beam_search may look at (attention)

    @contextmanager
    def inference(self):
        with ExitStack() as stack:
            for m in self.models:
                stack.enter_context(m.inference())
            yield

    def encode(self, x: np.ndarray, lengths):
        encoded = [m.encode(x, lengths) for m in self.models]
        self.layers = [len(state) for _, state in encoded]
        return _Memories([memory for memory, _ in encoded]), [s for _, state in encoded for s in state]

    def step(self, tokens: np.ndarray, state: list, feed: np.ndarray | None, memory: _Memories):
        """(log of the mean next-token probabilities (N, V), new state, new fed-back outputs, None)."""
        logits, states, feeds, at = [], [], [], 0
        widths = [m.hidden_size for m in self.models]
        parts = [None] * len(self.models) if feed is None else np.split(feed, np.cumsum(widths)[:-1], axis=1)
        for m, layers, part, mem in zip(self.models, self.layers, parts, memory.parts):
            z, s, o, _ = m.step(tokens, state[at:at + layers], part, mem)
            logits.append(z)
            states += s
            feeds.append(o)
            at += layers
        return mean_log_probabilities(logits), states, np.concatenate(feeds, axis=1), None
