"""The catalogue's model cases: attention, the encoder-decoder and the language model against central
differences (``checker``)."""

from __future__ import annotations

import numpy as np

from ..nn import Attention, SoftmaxCrossEntropy
from .checker import check_model, gradcheck, randomise

__all__ = ["attention_case", "check_attention", "seq2seq_case", "check_seq2seq", "check_language_model"]


def attention_case(kind: str, seed: int = 0, lengths=(5, 2, 4)):
    """(layer, inputs, upstream gradients, loss) of two decoder steps sharing one source's keys: a
    float64 ``Attention`` with random weights, values h (5, 3, H), queries s1, s2 (3, 4), ``lengths``,
    random dc1, dc2 and da1; loss = c1.dc1 + a1.da1 + c2.dc2."""
    rng = np.random.default_rng(seed)
    H = 4 if kind == "dot" else 6
    att = Attention(4, H, kind, attention_size=5, dtype=np.float64, seed=seed)
    randomise(att, rng, scale=0.8)
    x = {"h": rng.normal(size=(5, 3, H)), "s1": rng.normal(size=(3, 4)), "s2": rng.normal(size=(3, 4))}
    up = {"dc1": rng.normal(size=(3, H)), "dc2": rng.normal(size=(3, H)), "da1": rng.normal(size=(3, 5))}

    def loss() -> float:
        k = att.keys(x["h"])
        c1, a1 = att(x["s1"], k, x["h"], lengths)
        c2, _ = att(x["s2"], k, x["h"], lengths)
        return float((c1 * up["dc1"]).sum() + (a1 * up["da1"]).sum() + (c2 * up["dc2"]).sum())

    return att, x, up, loss


def check_attention(kind: str = "additive", seed: int = 0) -> dict[str, float]:
    att, x, up, loss = attention_case(kind, seed)
    loss()
    att.zero_grad()
    ds2, dk2, dh2 = att.backward(up["dc2"])
    ds1, dk1, dh1 = att.backward(up["dc1"], up["da1"])
    dh = dh1 + dh2 + att.keys_backward(dk1 + dk2)
    analytic = {"h": dh, "s1": ds1, "s2": ds2} | dict(att.grads)
    return gradcheck(loss, x | dict(att.params), analytic)


def seq2seq_case(cell: str = "lstm", attention: str = "additive", layers: int = 2, input_feeding: bool = True,
                 dropout: float = 0.0, seed: int = 0):
    """(model, source, lengths, decoder inputs, targets, mask) of a small float64 Seq2Seq with random
    weights and biases: sources of lengths 5, 2, 4, targets of lengths 4, 2, 3 (a mask over the rest)."""
    from ..models import Seq2Seq

    rng = np.random.default_rng(seed)
    model = Seq2Seq(7, 6, cell, hidden_size=4, num_layers=layers, embed_size=3, attention=attention,
                    input_feeding=input_feeding, dropout=dropout, dtype=np.float64, seed=seed)
    randomise(model, rng)
    x, lengths = rng.integers(0, 7, size=(5, 3)), np.array([5, 2, 4])
    y_in, y = rng.integers(0, 6, size=(4, 3)), rng.integers(0, 6, size=(4, 3))
    mask = (np.arange(4)[:, None] < np.array([4, 2, 3])[None, :]).astype(np.float64)
    return model, x, lengths, y_in, y, mask


def check_seq2seq(cell: str = "lstm", attention: str = "additive", layers: int = 2, input_feeding: bool = True,
                  dropout: float = 0.0, seed: int = 0, max_elements: int | None = None) -> dict[str, float]:
    """Gradcheck the encoder-decoder with masked cross-entropy (teacher forcing)."""
    model, x, lengths, y_in, y, mask = seq2seq_case(cell, attention, layers, input_feeding, dropout, seed)
    ce = SoftmaxCrossEntropy()
    # eps 1e-4: the attention's query weights get gradients of ~1e-5 in all here, where eps 1e-6 leaves
    # ~1e-10 of rounding noise (relative 1e-5); the truncation error at 1e-4 is ~1e-12
    return check_model(model, ce, lambda: ce.forward(model.forward(x, lengths, y_in), y, mask), seed, 1e-4,
                        max_elements)


def check_language_model(cell: str = "lstm", tie_weights: bool = True, dropout: float = 0.3, seed: int = 0,
                         max_elements: int | None = None, fuse_input: bool | None = None,
                         proj_size: int = 0, **options) -> dict[str, float]:
    """Gradcheck the whole LanguageModel with softmax cross-entropy: embedding, dropout, recurrent
    stack, decoder (tied or not) and loss, from a random carried-in state. ``fuse_input`` as in
    LanguageModel (True: the embedding-input fusion, which needs dropout 0); ``proj_size`` an LSTM
    with projections (tied: the embedding is proj_size wide); ``options`` the AWD-LSTM regularisers
    (LanguageModel's keywords), whose AR and TAR join the loss checked."""
    from ..models import LanguageModel

    rng = np.random.default_rng(seed)
    V, T, N = 7, 4, 3
    model = LanguageModel(V, cell, hidden_size=4, num_layers=2, dropout=dropout, tie_weights=tie_weights,
                          init_scale=0.5, dtype=np.float64, seed=seed, proj_size=proj_size,
                          **({"embed_size": proj_size or None} | options))
    model.fuse_input = fuse_input
    randomise(model, rng)
    x = rng.integers(0, V, size=(T, N))
    y = rng.integers(0, V, size=(T, N))
    state = model.initial_state(N)
    state = tuple(rng.normal(size=s.shape) for s in state) if isinstance(state, tuple) else rng.normal(size=state.shape)
    ce = SoftmaxCrossEntropy()

    def loss() -> float:
        for i, gen_owner in enumerate(m for m in model.children.values() if hasattr(m, "rng")):
            gen_owner.rng = np.random.default_rng(seed + i)  # the same dropout masks on every call
        model.rng = np.random.default_rng(seed + 99) if model.dropout_embed > 0 else None
        logits, _ = model.forward(x, state)
        return ce.forward(logits, y) + model.penalty

    loss()
    model.zero_grad()
    model.backward(ce.backward())
    named = {k: (p, g) for k, p, g in model.named_parameters()}
    return gradcheck(loss, {k: p for k, (p, _) in named.items()}, {k: g for k, (_, g) in named.items()},
                     max_elements=max_elements, seed=seed)
