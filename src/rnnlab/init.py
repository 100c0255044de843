"""Parameter initialisers.

All take a NumPy ``Generator`` so that a seed fixes every weight. ``recurrent`` re-initialises a
recurrent layer's weights by a named scheme:

    default     PyTorch's: every weight and bias ~ U(-1/sqrt(H), 1/sqrt(H)) (what layers start with)
    orthogonal  each gate's (H, H) block of W_hh a random orthogonal matrix (Saxe et al. 2014)
    identity    IRNN (Le, Jaitly & Hinton 2015), plain RNN cells only: W_hh = I, biases 0,
                W_ih ~ N(0, 0.001^2)

and ``forget_bias`` sets an LSTM's forget-gate bias (Gers, Schmidhuber & Cummins 2000; Jozefowicz et
al. 2015 recommend 1): b_ih's forget block = b, b_hh's = 0, so the gate starts near sigma(b).
"""

from __future__ import annotations

import numpy as np

__all__ = ["uniform", "normal", "orthogonal", "recurrent", "forget_bias", "SCHEMES"]

SCHEMES = ("default", "orthogonal", "identity")


def uniform(rng: np.random.Generator, shape: tuple[int, ...], scale: float, dtype) -> np.ndarray:
    """U(-scale, scale), PyTorch's default for recurrent layers with scale = 1/sqrt(H)."""
    return rng.uniform(-scale, scale, size=shape).astype(dtype)


def normal(rng: np.random.Generator, shape: tuple[int, ...], std: float, dtype) -> np.ndarray:
    """N(0, std^2), PyTorch's default for ``nn.Embedding`` with std = 1."""
    return (rng.standard_normal(size=shape) * std).astype(dtype)



def orthogonal(rng: np.random.Generator, n: int, dtype) -> np.ndarray:
    """A random (n, n) orthogonal matrix, uniform over the orthogonal group (QR of a Gaussian matrix with
    the signs of R's diagonal moved into Q)."""
    q, r = np.linalg.qr(rng.standard_normal((n, n)))
    return (q * np.sign(np.diag(r))).astype(dtype)


def recurrent(layer, scheme: str, rng: np.random.Generator) -> None:
    """Re-initialise the recurrent ``layer`` (an ``rnnlab.nn.RNNBase``) in place by ``scheme``."""
    if scheme not in SCHEMES:
        raise ValueError(f"unknown init {scheme!r}; expected one of {', '.join(SCHEMES)}")
    if scheme == "identity" and layer.mode not in ("rnn", "rnn_relu"):
        raise ValueError(f"init identity (IRNN) is for plain RNN cells (rnn, rnn_relu), not {layer.mode}")
    H = layer.hidden_size
    for name, w in layer.params.items():
        if scheme == "orthogonal" and name.startswith("weight_hh"):
            w[...] = np.concatenate([orthogonal(rng, H, w.dtype) for _ in range(w.shape[0] // H)])
        elif scheme == "identity":
            if name.startswith("weight_hh"):
                w[...] = np.eye(H, dtype=w.dtype)
            elif name.startswith("bias"):
                w[...] = 0
            else:
                w[...] = normal(rng, w.shape, 0.001, w.dtype)


def forget_bias(layer, value: float) -> None:
    """Set every layer and direction's LSTM forget-gate bias to ``value`` (in place)."""
    if layer.mode != "lstm":
        raise ValueError(f"a forget-gate bias is the LSTM's; this layer is {layer.mode}")
    H = layer.hidden_size
    for name, w in layer.params.items():  # gates i, f, g, o: the forget block is rows H..2H
        if name.startswith("bias_ih"):
            w[H:2 * H] = value
        elif name.startswith("bias_hh"):
            w[H:2 * H] = 0
