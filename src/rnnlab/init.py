"""Parameter initialisers.

All take a NumPy ``Generator`` so that a seed fixes every weight.
"""

from __future__ import annotations

import numpy as np

__all__ = ["uniform", "normal"]


def uniform(rng: np.random.Generator, shape: tuple[int, ...], scale: float, dtype) -> np.ndarray:
    """U(-scale, scale), PyTorch's default for recurrent layers with scale = 1/sqrt(H)."""
    return rng.uniform(-scale, scale, size=shape).astype(dtype)


def normal(rng: np.random.Generator, shape: tuple[int, ...], std: float, dtype) -> np.ndarray:
    """N(0, std^2), PyTorch's default for ``nn.Embedding`` with std = 1."""
    return (rng.standard_normal(size=shape) * std).astype(dtype)

