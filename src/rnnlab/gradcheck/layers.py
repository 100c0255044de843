"""The catalogue's layer cases: each layer, cell, loss and feed-forward block of rnnlab against
central differences (``checker``), with random weights and biases, non-zero initial states and random
upstream gradients."""

from __future__ import annotations

import numpy as np

from ..nn import Dropout, Embedding, L1Loss, Linear, MSELoss, SoftmaxCrossEntropy, cell_kind
from .checker import check_model, gradcheck, randomise

__all__ = ["check_recurrent", "check_cell", "check_linear", "check_embedding", "check_dropout", "check_cross_entropy",
           "check_regression", "check_conv", "check_encoder", "check_context_lm"]


def check_recurrent(mode: str, num_layers: int = 2, bidirectional: bool = True, batch_first: bool = False,
                    lengths: bool = True, dropout: float = 0.0, T: int = 4, N: int = 3, D: int = 3,
                    H: int = 4, seed: int = 0, max_elements: int | None = None, **options) -> dict[str, float]:
    """Gradcheck the recurrent layer of cell kind ``mode`` on random data, ``options`` passed to the
    layer (``proj_size``, ``weight_drop``, ``locked_dropout``); returns errors by tensor name."""
    rng = np.random.default_rng(seed)
    layer = cell_kind(mode).layer(D, H, num_layers=num_layers, bidirectional=bidirectional, batch_first=batch_first,
                                  dropout=dropout, dtype=np.float64, seed=seed, **options)
    randomise(layer, rng)
    dirs = 2 if bidirectional else 1
    x = rng.normal(size=(N, T, D) if batch_first else (T, N, D))
    states = [rng.normal(size=(num_layers * dirs, N, w)) for w in layer.state_widths()]
    lens = rng.integers(1, T + 1, size=N) if lengths else None
    if lens is not None:
        lens[0] = T  # at least one full-length sequence, so every step is exercised
    pack = tuple if len(states) > 1 else (lambda s: s[0])
    state = pack(states)
    y, final = layer.forward(x, state, lens)
    dy = rng.normal(size=y.shape)
    dfinal = [rng.normal(size=s.shape) for s in states]

    def loss() -> float:
        layer.rng = np.random.default_rng(seed + 1)  # the same dropout masks on every call
        y, fin = layer.forward(x, state, lens)
        fin = fin if isinstance(fin, tuple) else (fin,)
        return float((y * dy).sum() + sum((f * g).sum() for f, g in zip(fin, dfinal)))

    loss()
    layer.zero_grad()
    dx, dstate = layer.backward(dy, pack(dfinal))
    dstate = dstate if isinstance(dstate, tuple) else (dstate,)
    names = [f"state_{n}" for n in layer.kernel.state_names]
    wrt = {"input": x} | dict(zip(names, states)) | layer.params
    analytic = {"input": dx} | dict(zip(names, dstate)) | layer.grads
    return gradcheck(loss, wrt, analytic, max_elements=max_elements, seed=seed)


def check_cell(mode: str, N: int = 3, D: int = 3, H: int = 4, seed: int = 0) -> dict[str, float]:
    """Gradcheck the single-step cell of kind ``mode`` with a random state and random upstream gradients."""
    rng = np.random.default_rng(seed)
    cell = cell_kind(mode).cell(D, H, dtype=np.float64)
    randomise(cell, rng)
    x = rng.normal(size=(N, D))
    states = [rng.normal(size=(N, H)) for _ in range(cell.kernel.n_states)]
    dnew = [rng.normal(size=(N, H)) for _ in states]
    pack = tuple if len(states) > 1 else (lambda s: s[0])

    def loss() -> float:
        new = cell.forward(x, pack(states))
        new = new if isinstance(new, tuple) else (new,)
        return float(sum((a * g).sum() for a, g in zip(new, dnew)))

    loss()
    dx, dprev = cell.backward(pack(dnew))
    dprev = dprev if isinstance(dprev, tuple) else (dprev,)
    names = [f"state_{n}" for n in cell.kernel.state_names]
    wrt = {"input": x} | dict(zip(names, states)) | cell.params
    analytic = {"input": dx} | dict(zip(names, dprev)) | cell.grads
    return gradcheck(loss, wrt, analytic, seed=seed)


def check_linear(seed: int = 0) -> dict[str, float]:
    rng = np.random.default_rng(seed)
    lin = Linear(5, 4, dtype=np.float64)
    randomise(lin, rng)
    x = rng.normal(size=(3, 2, 5))
    dy = rng.normal(size=(3, 2, 4))
    f = lambda: float((lin.forward(x) * dy).sum())  # noqa: E731
    f()
    dx = lin.backward(dy)
    return gradcheck(f, {"input": x} | lin.params, {"input": dx} | lin.grads)


def check_embedding(seed: int = 0) -> dict[str, float]:
    rng = np.random.default_rng(seed)
    emb = Embedding(6, 4, dtype=np.float64, seed=seed)
    idx = rng.integers(0, 6, size=(5, 3))
    idx[0, 0] = idx[1, 1]  # a repeated index must accumulate
    dy = rng.normal(size=(5, 3, 4))
    f = lambda: float((emb.forward(idx) * dy).sum())  # noqa: E731
    f()
    emb.backward(dy)
    return gradcheck(f, emb.params, emb.grads)


def check_dropout(seed: int = 0) -> dict[str, float]:
    rng = np.random.default_rng(seed)
    drop = Dropout(0.4)
    x = rng.normal(size=(4, 5))
    dy = rng.normal(size=(4, 5))

    def f() -> float:
        drop.rng = np.random.default_rng(seed)
        return float((drop.forward(x) * dy).sum())

    f()
    return gradcheck(f, {"input": x}, {"input": drop.backward(dy)})


def check_cross_entropy(seed: int = 0, masked: bool = True) -> dict[str, float]:
    rng = np.random.default_rng(seed)
    ce = SoftmaxCrossEntropy()
    z = rng.normal(size=(4, 3, 7)) * 3
    y = rng.integers(0, 7, size=(4, 3))
    mask = (rng.random((4, 3)) < 0.7).astype(np.float64) if masked else None
    if mask is not None:
        mask[0, 0] = 1
    f = lambda: ce.forward(z, y, mask)  # noqa: E731
    f()
    return gradcheck(f, {"logits": z}, {"logits": ce.backward(1.0)})


def check_regression(loss: str = "mse", seed: int = 0) -> dict[str, float]:
    rng = np.random.default_rng(seed)
    fn = MSELoss() if loss == "mse" else L1Loss()
    f, y = rng.normal(size=(5, 3)), rng.normal(size=(5, 3))  # no f = y: |.| has no derivative there
    fn.forward(f, y)
    return gradcheck(lambda: fn.forward(f, y), {"predictions": f}, {"predictions": fn.backward(1.0)})


def check_conv(weight_norm: bool = True, kernel_size: int = 3, dilation: int = 2, seed: int = 0) -> dict[str, float]:
    """CausalConv1d (T=7, N=2, 3 -> 4 channels), a random linear function of its output."""
    from ..nn.conv import CausalConv1d

    rng = np.random.default_rng(seed)
    conv = CausalConv1d(3, 4, kernel_size, dilation, weight_norm=weight_norm, dtype=np.float64, seed=seed)
    randomise(conv, rng)
    x, dy = rng.normal(size=(7, 2, 3)), rng.normal(size=(7, 2, 4))
    f = lambda: float((conv.forward(x) * dy).sum())  # noqa: E731
    f()
    dx = conv.backward(dy)
    conv.clear_records()
    return gradcheck(f, {"input": x} | conv.params, {"input": dx} | conv.grads)


def check_encoder(arch: str, pool: str = "each", tokens: bool = True, dropout: float = 0.3, seed: int = 0,
                  max_elements: int | None = None) -> dict[str, float]:
    """Gradcheck a SequenceModel around the encoder ``arch`` (2 layers, widths 4 in and 5 or 6 out, so
    the TCN has a 1x1 skip convolution and the Transformer an input projection; 2 heads) with cross-entropy: token ids (V=6) or features (D=3) in, lengths 6/3/5,
    masked per-step loss ("each") or one label per sequence."""
    from ..models import SequenceModel
    from ..models.encoders import make_encoder

    rng = np.random.default_rng(seed)
    T, N, C = 6, 3, 4
    lengths = np.array([6, 3, 5])
    width = 4 if tokens else 3
    enc = make_encoder(arch, width, 6 if arch == "transformer" else 5, 2, dropout, kernel_size=3, window=4, heads=2,
                       max_len=T, dtype=np.float64, seed=seed)
    inputs = dict(vocab_size=6, embed_size=width) if tokens else dict(input_size=width)
    model = SequenceModel(C, pool=pool, dropout=dropout, dtype=np.float64, seed=seed, encoder=enc, **inputs)
    randomise(model, rng)
    x = rng.integers(0, 6, size=(T, N)) if tokens else rng.normal(size=(T, N, width))
    y = rng.integers(0, C, size=(T, N) if pool == "each" else (N,))
    mask = (np.arange(T)[:, None] < lengths).astype(np.float64) if pool == "each" else None
    ce = SoftmaxCrossEntropy()
    # eps 1e-5: a weight-normalised layer's g gets gradients of ~1e-4 here, where eps 1e-6 leaves rounding
    # noise near 1e-6 relative; at 1e-4 the Transformer's truncation error is ~4e-7; at 1e-5 every
    # encoder lands below 1e-8 (no ReLU input lies within 1e-5 of its kink in these cases)
    return check_model(model, ce, lambda: ce.forward(model.forward(x, lengths), y, mask), seed, 1e-5, max_elements,
                        None if tokens else x)


def check_context_lm(arch: str, seed: int = 0, max_elements: int | None = None) -> dict[str, float]:
    """Gradcheck a ContextLanguageModel on the encoder ``arch`` (V=6, 2 layers, dropout 0.3) with
    cross-entropy over T=4 new tokens after 3 carried ones."""
    from ..models import ContextLanguageModel
    from ..models.encoders import make_encoder

    rng = np.random.default_rng(seed)
    enc = make_encoder(arch, 4, 6, 2, 0.3, kernel_size=2, window=3, heads=2, max_len=7, dtype=np.float64, seed=seed)
    model = ContextLanguageModel(6, enc, 3, dropout=0.3, dtype=np.float64, seed=seed)
    randomise(model, rng)
    state, x, y = rng.integers(0, 6, size=(3, 2)), rng.integers(0, 6, size=(4, 2)), rng.integers(0, 6, size=(4, 2))
    ce = SoftmaxCrossEntropy()
    return check_model(model, ce, lambda: ce.forward(model.forward(x, state)[0], y), seed, 1e-5, max_elements)
