"""The feed-forward sequence encoders by name, for the configs and ``rnnlab compare``:

    tcn          ``TCN``: ``layers`` temporal blocks of ``hidden`` channels, kernel ``kernel_size``
    transformer  ``Transformer``: ``layers`` pre-norm blocks of width ``hidden``, ``heads`` heads,
                 positions for ``max_len`` steps
    mlp          ``WindowMLP``: ``layers`` layers of ``hidden`` units over the last ``window`` inputs

Each maps x (T, N, input_size) -> y (T, N, hidden) causally and plugs into ``SequenceModel``
(``encoder=``) in place of its recurrent stack.
"""

from __future__ import annotations

import numpy as np

from .tcn import TCN
from .transformer import Transformer
from .window_mlp import WindowMLP

__all__ = ["ENCODERS", "make_encoder"]

ENCODERS = ("tcn", "transformer", "mlp")


def make_encoder(arch: str, input_size: int, hidden: int, layers: int, dropout: float = 0.0, *, kernel_size: int = 7,
                 window: int = 16, heads: int = 4, max_len: int = 256, dtype=np.float32, seed: int | None = None):
    """The encoder called ``arch`` (one of ENCODERS); ValueError naming them otherwise."""
    if arch == "tcn":
        return TCN(input_size, hidden, layers, kernel_size, dropout, dtype, seed)
    if arch == "transformer":
        return Transformer(input_size, hidden, layers, heads, max_len, dropout, dtype, seed)
    if arch == "mlp":
        return WindowMLP(input_size, hidden, layers, window, dropout, dtype, seed)
    raise ValueError(f"unknown model {arch!r}; expected one of {', '.join(ENCODERS)}")
