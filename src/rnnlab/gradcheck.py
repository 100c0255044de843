"""Gradient checking by central differences in float64.

    numerical dL/dx_i = (L(x + eps e_i) - L(x - eps e_i)) / (2 eps)

Each layer's loss is a random linear function of *all* its outputs, L = sum(y * dy) + sum(h_n * dh_n)
(+ sum(c_n * dc_n)), so its analytic gradients are exactly what ``backward(dy, dh_n)`` returns.
The error of a tensor is max|analytic - numerical| / max(max|analytic|, max|numerical|).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator

import numpy as np

from .models.encoders import ENCODERS
from .nn import Attention, Dropout, Embedding, L1Loss, Linear, MSELoss, SoftmaxCrossEntropy, cell_kind, cell_names

__all__ = [
    "numerical_gradient", "relative_error", "gradcheck",
    "check_recurrent", "check_cell", "check_linear", "check_embedding", "check_dropout",
    "check_cross_entropy", "check_language_model", "check_conv", "check_encoder", "check_context_lm",
    "default_grid", "TOLERANCE",
]

TOLERANCE = 1e-6  # float64 central differences with eps = 1e-6 land near 1e-9 on these sizes


def numerical_gradient(f: Callable[[], float], x: np.ndarray, eps: float = 1e-6,
                       indices: np.ndarray | None = None) -> np.ndarray:
    """Central differences of ``f()`` w.r.t. ``x`` (perturbed in place, restored), float64 only.

    ``indices`` (flat) limits the check to some elements; the others stay NaN.
    """
    if x.dtype != np.float64:
        raise ValueError(f"gradcheck needs float64 arrays, got {x.dtype}")
    flat = x.reshape(-1)  # a view: x must be contiguous
    if not np.shares_memory(flat, x):
        raise ValueError("gradcheck needs contiguous arrays")
    grad = np.full(x.size, np.nan)
    for i in range(x.size) if indices is None else indices:
        old = flat[i]
        flat[i] = old + eps
        fp = f()
        flat[i] = old - eps
        fm = f()
        flat[i] = old
        grad[i] = (fp - fm) / (2 * eps)
    return grad.reshape(x.shape)


def relative_error(analytic: np.ndarray, numerical: np.ndarray) -> float:
    """max|a - n| / max(max|a|, max|n|) over the elements where n is known (0 if both are 0)."""
    known = ~np.isnan(numerical)
    a, n = np.asarray(analytic)[known], numerical[known]
    scale = max(np.abs(a).max(initial=0.0), np.abs(n).max(initial=0.0))
    return 0.0 if scale == 0 else float(np.abs(a - n).max() / scale)


def gradcheck(f: Callable[[], float], wrt: dict[str, np.ndarray], analytic: dict[str, np.ndarray],
              eps: float = 1e-6, max_elements: int | None = None, seed: int = 0) -> dict[str, float]:
    """Relative error of each ``analytic[name]`` against central differences of ``f`` over ``wrt[name]``.

    ``max_elements`` checks a random subset of that many elements per tensor (all if None).
    """
    rng = np.random.default_rng(seed)
    errors = {}
    for name, x in wrt.items():
        idx = None
        if max_elements is not None and x.size > max_elements:
            idx = rng.choice(x.size, size=max_elements, replace=False)
        errors[name] = relative_error(analytic[name], numerical_gradient(f, x, eps, idx))
    return errors


def _randomise(module, rng, scale=0.5):
    """Random weights *and* biases (the default init may hide bias bugs)."""
    module.load_state_dict({k: rng.normal(size=v.shape) * scale for k, v in module.state_dict().items()})


def check_recurrent(mode: str, num_layers: int = 2, bidirectional: bool = True, batch_first: bool = False,
                    lengths: bool = True, dropout: float = 0.0, T: int = 4, N: int = 3, D: int = 3,
                    H: int = 4, seed: int = 0, max_elements: int | None = None) -> dict[str, float]:
    """Gradcheck the recurrent layer of cell kind ``mode`` on random data; returns errors by tensor name."""
    rng = np.random.default_rng(seed)
    layer = cell_kind(mode).layer(D, H, num_layers=num_layers, bidirectional=bidirectional, batch_first=batch_first,
                                  dropout=dropout, dtype=np.float64, seed=seed)
    _randomise(layer, rng)
    dirs = 2 if bidirectional else 1
    x = rng.normal(size=(N, T, D) if batch_first else (T, N, D))
    states = [rng.normal(size=(num_layers * dirs, N, H)) for _ in range(layer.kernel.n_states)]
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
    _randomise(cell, rng)
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
    _randomise(lin, rng)
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


def _reseed(module, seed: int, path: str = "") -> None:
    """Give every dropout generator in ``module`` a fresh one fixed by ``seed`` and its place: the same
    masks on every forward of a gradcheck."""
    if isinstance(getattr(module, "rng", None), np.random.Generator):
        module.rng = np.random.default_rng([seed, len(path)])
    for name, child in sorted(module.children.items()):
        _reseed(child, seed, f"{path}{name}.")


def _check_model(model, ce, forward, seed: int, eps: float, max_elements: int | None, x=None) -> dict[str, float]:
    """Gradcheck every parameter of ``model`` (and its input ``x``, if given: what ``model.backward``
    returns) for the loss ``forward()`` (the model's forward, then ``ce``'s), with the same dropout masks
    on every call."""
    def loss() -> float:
        _reseed(model, seed)
        value = forward()
        model.clear_records()
        return value

    _reseed(model, seed)
    forward()
    model.zero_grad()
    dx = model.backward(ce.backward())
    named = list(model.named_parameters())
    wrt, analytic = {k: p for k, p, _ in named}, {k: g for k, _, g in named}
    if x is not None:
        wrt, analytic = wrt | {"input": x}, analytic | {"input": dx}
    return gradcheck(loss, wrt, analytic, eps=eps, max_elements=max_elements, seed=seed)


def check_conv(weight_norm: bool = True, kernel_size: int = 3, dilation: int = 2, seed: int = 0) -> dict[str, float]:
    """CausalConv1d (T=7, N=2, 3 -> 4 channels), a random linear function of its output."""
    from .nn.conv import CausalConv1d

    rng = np.random.default_rng(seed)
    conv = CausalConv1d(3, 4, kernel_size, dilation, weight_norm=weight_norm, dtype=np.float64, seed=seed)
    _randomise(conv, rng)
    x, dy = rng.normal(size=(7, 2, 3)), rng.normal(size=(7, 2, 4))
    f = lambda: float((conv.forward(x) * dy).sum())  # noqa: E731
    f()
    dx = conv.backward(dy)
    conv.clear_records()
    return gradcheck(f, {"input": x} | conv.params, {"input": dx} | conv.grads)


def check_encoder(arch: str, pool: str = "each", tokens: bool = True, dropout: float = 0.3, seed: int = 0,
                  max_elements: int | None = None) -> dict[str, float]:
    """Gradcheck a SequenceClassifier around the encoder ``arch`` (2 layers, widths 4 in and 5 or 6 out, so
    the TCN has a 1x1 skip convolution and the Transformer an input projection; 2 heads) with cross-entropy: token ids (V=6) or features (D=3) in, lengths 6/3/5,
    masked per-step loss ("each") or one label per sequence."""
    from .models import SequenceClassifier
    from .models.encoders import make_encoder

    rng = np.random.default_rng(seed)
    T, N, C = 6, 3, 4
    lengths = np.array([6, 3, 5])
    width = 4 if tokens else 3
    enc = make_encoder(arch, width, 6 if arch == "transformer" else 5, 2, dropout, kernel_size=3, window=4, heads=2,
                       max_len=T, dtype=np.float64, seed=seed)
    inputs = dict(vocab_size=6, embed_size=width) if tokens else dict(input_size=width)
    model = SequenceClassifier(C, pool=pool, dropout=dropout, dtype=np.float64, seed=seed, encoder=enc, **inputs)
    _randomise(model, rng)
    x = rng.integers(0, 6, size=(T, N)) if tokens else rng.normal(size=(T, N, width))
    y = rng.integers(0, C, size=(T, N) if pool == "each" else (N,))
    mask = (np.arange(T)[:, None] < lengths).astype(np.float64) if pool == "each" else None
    ce = SoftmaxCrossEntropy()
    # eps 1e-5: a weight-normalised layer's g gets gradients of ~1e-4 here, where eps 1e-6 leaves rounding
    # noise near 1e-6 relative; at 1e-4 the Transformer's truncation error is ~4e-7; at 1e-5 every
    # encoder lands below 1e-8 (no ReLU input lies within 1e-5 of its kink in these cases)
    return _check_model(model, ce, lambda: ce.forward(model.forward(x, lengths), y, mask), seed, 1e-5, max_elements,
                        None if tokens else x)


def check_context_lm(arch: str, seed: int = 0, max_elements: int | None = None) -> dict[str, float]:
    """Gradcheck a ContextLanguageModel on the encoder ``arch`` (V=6, 2 layers, dropout 0.3) with
    cross-entropy over T=4 new tokens after 3 carried ones."""
    from .models import ContextLanguageModel
    from .models.encoders import make_encoder

    rng = np.random.default_rng(seed)
    enc = make_encoder(arch, 4, 6, 2, 0.3, kernel_size=2, window=3, heads=2, max_len=7, dtype=np.float64, seed=seed)
    model = ContextLanguageModel(6, enc, 3, dropout=0.3, dtype=np.float64, seed=seed)
    _randomise(model, rng)
    state, x, y = rng.integers(0, 6, size=(3, 2)), rng.integers(0, 6, size=(4, 2)), rng.integers(0, 6, size=(4, 2))
    ce = SoftmaxCrossEntropy()
    return _check_model(model, ce, lambda: ce.forward(model.forward(x, state)[0], y), seed, 1e-5, max_elements)


def attention_case(kind: str, seed: int = 0, lengths=(5, 2, 4)):
    """(layer, inputs, upstream gradients, loss) of two decoder steps sharing one source's keys: a
    float64 ``Attention`` with random weights, values h (5, 3, H), queries s1, s2 (3, 4), ``lengths``,
    random dc1, dc2 and da1; loss = c1.dc1 + a1.da1 + c2.dc2."""
    rng = np.random.default_rng(seed)
    H = 4 if kind == "dot" else 6
    att = Attention(4, H, kind, attention_size=5, dtype=np.float64, seed=seed)
    _randomise(att, rng, scale=0.8)
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
    from .models import Seq2Seq

    rng = np.random.default_rng(seed)
    model = Seq2Seq(7, 6, cell, hidden_size=4, num_layers=layers, embed_size=3, attention=attention,
                    input_feeding=input_feeding, dropout=dropout, dtype=np.float64, seed=seed)
    _randomise(model, rng)
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
    return _check_model(model, ce, lambda: ce.forward(model.forward(x, lengths, y_in), y, mask), seed, 1e-4,
                        max_elements)


def check_language_model(cell: str = "lstm", tie_weights: bool = True, dropout: float = 0.3, seed: int = 0,
                         max_elements: int | None = None, fuse_input: bool | None = None) -> dict[str, float]:
    """Gradcheck the whole LanguageModel with softmax cross-entropy: embedding, dropout, recurrent
    stack, decoder (tied or not) and loss, from a random carried-in state. ``fuse_input`` as in
    LanguageModel (True: the embedding-input fusion, which needs dropout 0)."""
    from .models import LanguageModel

    rng = np.random.default_rng(seed)
    V, T, N = 7, 4, 3
    model = LanguageModel(V, cell, hidden_size=4, num_layers=2, dropout=dropout, tie_weights=tie_weights,
                          init_scale=0.5, dtype=np.float64, seed=seed)
    model.fuse_input = fuse_input
    _randomise(model, rng)
    x = rng.integers(0, V, size=(T, N))
    y = rng.integers(0, V, size=(T, N))
    state = model.initial_state(N)
    state = tuple(rng.normal(size=s.shape) for s in state) if isinstance(state, tuple) else rng.normal(size=state.shape)
    ce = SoftmaxCrossEntropy()

    def loss() -> float:
        for i, gen_owner in enumerate(m for m in model.children.values() if hasattr(m, "rng")):
            gen_owner.rng = np.random.default_rng(seed + i)  # the same dropout masks on every call
        logits, _ = model.forward(x, state)
        return ce.forward(logits, y)

    loss()
    model.zero_grad()
    model.backward(ce.backward())
    named = {k: (p, g) for k, p, g in model.named_parameters()}
    return gradcheck(loss, {k: p for k, (p, _) in named.items()}, {k: g for k, (_, g) in named.items()},
                     max_elements=max_elements, seed=seed)


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
