"""Sampling text from a language model: temperature, top-k, top-p (nucleus), greedy at temperature 0.

At each step, with logits z over the vocabulary:
    greedy (T = 0):   next = argmax z
    otherwise:        p = softmax(z / T); keep the k most likely (top-k) and/or the smallest set whose
                      mass reaches top_p (top-p); renormalise; draw with a seeded generator.
"""

from __future__ import annotations

import numpy as np

from ..data.text import spaced

from ..data.vocab import EOS
from ..functional import softmax
from .stepper import Stepper

__all__ = ["sample", "next_token", "check_sampling_args"]


def check_sampling_args(length: int, temperature: float, top_k: int | None, top_p: float | None) -> None:
    if isinstance(length, bool) or not isinstance(length, int) or length < 1:
        raise ValueError(f"length must be a positive integer, got {length!r}")
    if not (np.isfinite(temperature) and temperature >= 0):
        raise ValueError(f"temperature must be a finite number >= 0, got {temperature!r}")
    if top_k is not None and (isinstance(top_k, bool) or not isinstance(top_k, int) or top_k < 1):
        raise ValueError(f"top-k must be a positive integer, got {top_k!r}")
    if top_p is not None and not (0 < top_p <= 1):
        raise ValueError(f"top-p must be in (0, 1], got {top_p!r}")


def next_token(logits: np.ndarray, rng: np.random.Generator, temperature: float = 1.0,
               top_k: int | None = None, top_p: float | None = None) -> int:
    """Draw one id from logits (V,)."""
    z = logits.astype(np.float64)
    if temperature == 0:
        return int(np.argmax(z))
    p = softmax(z / temperature)
    if top_k is not None and top_k < p.size:
        cut = np.partition(p, -top_k)[-top_k]
        p = np.where(p >= cut, p, 0.0)
    if top_p is not None and top_p < 1:
        order = np.argsort(-p, kind="stable")
        mass = np.cumsum(p[order]) / p.sum()
        keep = order[: int(np.searchsorted(mass, top_p)) + 1]  # smallest prefix reaching top_p
        q = np.zeros_like(p)
        q[keep] = p[keep]
        p = q
    cdf = np.cumsum(p)
    return int(min(np.searchsorted(cdf, rng.random() * cdf[-1], side="right"), p.size - 1))  # inverse CDF


def sample(model, vocab, prime: str = "", length: int = 200, temperature: float = 1.0,
           top_k: int | None = None, top_p: float | None = None, seed: int | None = None) -> str:
    """Continue ``prime`` (or a line start) by ``length`` tokens; returns prime + continuation."""
    check_sampling_args(length, temperature, top_k, top_p)
    rng = np.random.default_rng(seed)
    tokens = vocab.tokenize(prime) if prime else []
    if vocab.kind == "word" and tokens and tokens[-1] == EOS and not prime.endswith("\n"):
        tokens = tokens[:-1]  # a prime without a line end does not end its sentence
    ids = vocab.encode(tokens, strict=True)  # a character or word the vocabulary lacks is an error
    if ids.size == 0:
        start = EOS if vocab.kind == "word" else "\n"
        ids = np.array([vocab.stoi.get(start, 0)], np.int64)
    recurrent = hasattr(model, "rnn")
    # a feed-forward model reads the last R tokens it can see (R its receptive field: a Transformer's
    # positions), whatever it carried in training: --context 0 trains on windows, and should not sample
    # from one token
    window = None if recurrent else model.encoder.receptive_field
    with model.inference():
        logits, state = model.forward((ids if recurrent else ids[-window:])[:, None])  # (P, 1, V): the prime at once
        if recurrent:
            stepper = Stepper(model)  # then one token at a time, a few NumPy calls per layer
            stepper.reset(state)
        last = logits[-1, 0]
        out = []
        token = np.empty(1, np.int64)
        for _ in range(length):
            token[0] = next_token(last, rng, temperature, top_k, top_p)
            out.append(int(token[0]))
            if recurrent:
                last = stepper.step(token)[0]
            else:
                logits, _ = model.forward(np.append(ids, out)[-window:, None])
                last = logits[-1, 0]
    text = vocab.decode(out)
    if vocab.kind == "word" and prime and text and not prime[-1].isspace() and spaced(prime, text):
        text = " " + text  # words are spaced apart, except next to Chinese
    return prime + text
