"""Variable-length sequences in one array, for layers that take ``lengths`` (packed-sequence semantics)."""

from __future__ import annotations

import numpy as np

__all__ = ["pad"]


def pad(seqs: list[np.ndarray], dtype) -> tuple[np.ndarray, np.ndarray]:
    """(x (T, N) ids or (T, N, D) features, zero past each length; lengths (N,)), T the longest."""
    lengths = np.array([len(s) for s in seqs])
    x = np.zeros((lengths.max(), len(seqs)) + seqs[0].shape[1:], dtype)
    for n, s in enumerate(seqs):
        x[: len(s), n] = s
    return x, lengths
