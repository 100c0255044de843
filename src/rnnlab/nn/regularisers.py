"""The regularisers of AWD-LSTM (Merity, Keskar & Socher 2017) that act on activations and masks:

    locked dropout      y = x * m / (1 - p), one mask m (1, N, D) for every step of a batch (Gal &
                        Ghahramani 2016's variational dropout): ``LockedDropout``
    weight drop         W_hh' = W_hh * M / (1 - p), one DropConnect mask M for the whole batch
                        (``RNNBase(weight_drop=p)``); dW_hh = dW_hh' * M / (1 - p)
    embedding dropout   whole words dropped: E'[v] = E[v] * m_v / (1 - p), m (V,), so e_t = E'[x_t];
                        dE[v] += de_t * m_v / (1 - p) (``row_mask``)
    AR, TAR             alpha * mean(h_drop^2) + beta * mean((h_{t+1} - h_t)^2) on the last layer's
                        output, dropped (AR) and not (TAR), added to the loss (``activation_penalties``)

Each backward is the forward's mask applied again; the penalties' gradients are
    d(AR)/dh_drop = 2 alpha h_drop / size(h_drop)
    d(TAR)/dh_t   = 2 beta (h_t - h_{t-1} - (h_{t+1} - h_t)) / size(h[1:])   (terms past either end absent)
"""

from __future__ import annotations

import numpy as np

from .layers import Dropout

__all__ = ["LockedDropout", "row_mask", "activation_penalties"]


class LockedDropout(Dropout):
    """Dropout with one mask (1, N, D) over all T steps of x (T, N, D); training mode only."""

    def mask_shape(self, shape: tuple) -> tuple:
        return (1,) + tuple(shape[1:])


def row_mask(rng: np.random.Generator, shape, p: float, dtype) -> np.ndarray:
    """m / (1 - p) for m ~ Bernoulli(1 - p) of ``shape``: embedding dropout's (V,), one entry a word,
    and weight drop's (G*H, H), one a weight."""
    keep = 1.0 - p
    return (rng.random(shape) < keep).astype(dtype) / np.dtype(dtype).type(keep)


def activation_penalties(h: np.ndarray, h_drop: np.ndarray, alpha: float, beta: float):
    """(AR + TAR, d/dh, d/dh_drop) for the last layer's output h (T, N, H) and its dropped copy."""
    ar = alpha * float(np.mean(h_drop * h_drop)) if alpha else 0.0
    d_drop = (2 * alpha / h_drop.size) * h_drop if alpha else None
    tar, dh = 0.0, None
    if beta and h.shape[0] > 1:
        diff = h[1:] - h[:-1]
        tar = beta * float(np.mean(diff * diff))
        g = (2 * beta / diff.size) * diff
        dh = np.zeros_like(h)
        dh[1:] += g
        dh[:-1] -= g
    return ar + tar, dh, d_drop
