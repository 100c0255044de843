"""The catalogue: every check in one grid (``rnnlab gradcheck``, ``tests/test_gradcheck.py``)."""

from __future__ import annotations

from collections.abc import Callable, Iterator

from ..models.encoders import ENCODERS
from ..nn import cell_names
from .layers import (check_cell, check_context_lm, check_conv, check_cross_entropy, check_dropout, check_embedding,
                     check_encoder, check_linear, check_recurrent, check_regression)
from .models import check_attention, check_language_model, check_seq2seq

__all__ = ["default_grid"]


def default_grid(max_elements: int | None = 20, cells: list[str] | None = None
                 ) -> Iterator[tuple[str, str, Callable[[], dict[str, float]]]]:
    """(component, configuration, check) for every registered cell kind (or those in ``cells``, then
    without the other layers) over a grid of configurations, then every other layer and the model."""
    for mode in cell_names() if cells is None else cells:
        for layers in (1, 3):
            for bi in (False, True):
                for lengths in (False, True):
                    for bf in (False, True):
                        cfg = f"layers={layers} bidir={int(bi)} lengths={int(lengths)} batch_first={int(bf)}"
                        yield mode, cfg, (lambda m=mode, l=layers, b=bi, n=lengths, f=bf: check_recurrent(
                            m, l, b, f, n, max_elements=max_elements))
        yield mode, "layers=2 bidir=1 dropout=0.3", (lambda m=mode: check_recurrent(
            m, 2, True, False, True, dropout=0.3, max_elements=max_elements))
        yield f"{mode} cell", "N=3 D=3 H=4", (lambda m=mode: check_cell(m))
    if cells is not None:
        return
    yield "linear", "(3,2,5)->(3,2,4)", check_linear
    yield "embedding", "V=6 E=4, repeated ids", check_embedding
    yield "dropout", "p=0.4", check_dropout
    yield "cross_entropy", "mask", check_cross_entropy
    yield "cross_entropy", "no mask", lambda: check_cross_entropy(masked=False)
    for kind in ("additive", "general", "dot"):
        yield "attention", f"{kind}, two steps, lengths 5/2/4, da", lambda k=kind: check_attention(k)
    for cell in ("lstm", "gru"):
        for att in ("additive", "general", "dot", "none"):
            yield "seq2seq", f"{cell} 2 layers, {att} attention" + (", input feeding" if att != "none" else ""), (
                lambda c=cell, a=att: check_seq2seq(c, a, max_elements=max_elements))
    yield "seq2seq", "lstm 2 layers, additive, dropout 0.3", (
        lambda: check_seq2seq("lstm", "additive", dropout=0.3, max_elements=max_elements))
    yield "seq2seq", "rnn 1 layer, general, no input feeding", (
        lambda: check_seq2seq("rnn", "general", layers=1, input_feeding=False, max_elements=max_elements))
    for wn in (True, False):
        yield "causal_conv", f"k=3 d=2{', weight norm' if wn else ''}", lambda w=wn: check_conv(w)
    yield "causal_conv", "k=1 (the TCN's skip)", lambda: check_conv(False, 1, 1)
    for arch in ENCODERS:
        for pool, tokens in (("each", True), ("last", False), ("mean", False)):
            yield arch, f"2 layers, {pool}, {'tokens' if tokens else 'features'}, lengths 6/3/5, dropout 0.3", (
                lambda a=arch, p=pool, t=tokens: check_encoder(a, p, t, max_elements=max_elements))
        yield f"{arch} language model", "2 layers, 3 carried tokens + 4, dropout 0.3", (
            lambda a=arch: check_context_lm(a, max_elements=max_elements))
    yield "mse", "(5,3)", check_regression
    yield "mae", "(5,3)", lambda: check_regression("mae")
    for cell in ("rnn", "lstm", "gru"):
        yield "language_model", f"{cell} 2 layers, dropout 0.3, tied", (
            lambda c=cell: check_language_model(c, True, 0.3, max_elements=max_elements))
        yield "language_model", f"{cell} 2 layers, embedding fused with the first input product", (
            lambda c=cell: check_language_model(c, False, 0.0, max_elements=max_elements, fuse_input=True))
    yield "language_model", "lstm 2 layers, untied", (
        lambda: check_language_model("lstm", False, 0.0, max_elements=max_elements, fuse_input=False))
