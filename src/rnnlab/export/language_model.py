"""A recurrent language model (``rnnlab.models.LanguageModel``) as an ONNX graph, for inference:

    inputs   tokens (T, N) int64; h0 (L, N, R) float[, c0 (L, N, H) for an LSTM]
    outputs  logits (T, N, V); h_n (L, N, R)[, c_n (L, N, H)]: feed them back as h0[, c0] to continue

R = H, or P for an LSTM with projections (a ``Scan`` a layer, ``export.recurrent``).

    e = E[tokens] (Gather)  ->  the recurrent stack (``export.recurrent``)  ->  logits = h W_dec^T + b_dec

A language model on a feed-forward encoder (``rnnlab.models.ContextLanguageModel``) carries tokens
instead of states:

    inputs   tokens (T, N) int64; context (K', N) int64, the previous call's last tokens (K' = 0 at the
             start of a text)
    outputs  logits (T, N, V) of the T new positions; context_n (min(K, K' + T), N): feed it back

    u = [context; tokens] (Concat)  ->  E[u]  ->  the encoder (``export.feedforward``)  ->  its last T
    steps (Slice)  ->  logits;  context_n = u[-K:] (Slice)

T and N are dynamic. Dropout is absent at inference.
"""

from __future__ import annotations

import numpy as np

from .feedforward import encoder_nodes
from .graph import Graph
from .recurrent import recurrent_nodes

__all__ = ["language_model_graph", "context_language_model_graph"]


def language_model_graph(model, name: str = "rnnlab language model"):
    """The ``onnx.ModelProto`` of ``model`` (with a last layer of its own width, its stack's states are
    inputs and outputs of their own: h0_top[, c0_top] -> h_n_top[, c_n_top])."""
    g = Graph()
    states = ["h0", "c0"][:model.rnn.kernel.n_states]
    tokens = g.input("tokens", "int64", ["T", "N"])
    E = model.children["embedding"].params["weight"]
    h = g.node("Gather", [g.constant("embedding", E), tokens], "embedded", axis=0)
    outputs = []
    for k, rnn in enumerate(model.stacks()):
        sfx = "_top" if k else ""
        init = tuple(g.input(f"{s}{sfx}", "float", [rnn.num_layers, "N", w]) for s, w in zip(states, rnn.state_widths()))
        h, final = recurrent_nodes(g, rnn, h, init, f"rnn{sfx}")
        outputs += [(f, f"{s[0]}_n{sfx}", [rnn.num_layers, "N", w]) for s, f, w in zip(states, final, rnn.state_widths())]
    decoder = model.children["decoder"].params  # the embedding's matrix when tied
    W = g.constant("decoder_weight_t", decoder["weight"].T)
    logits = g.node("Add", [g.node("MatMul", [h, W], "decoded"), g.constant("decoder_bias", decoder["bias"])],
                    "logits_sum")
    g.output(logits, "logits", "float", ["T", "N", model.vocab_size])
    for f, out, shape in outputs:
        g.output(f, out, "float", shape)
    return g.model(name, __doc__)


def context_language_model_graph(model, name: str = "rnnlab language model"):
    """The ``onnx.ModelProto`` of a ``ContextLanguageModel``."""
    g = Graph()
    tokens = g.input("tokens", "int64", ["T", "N"])
    context = g.input("context", "int64", ["K", "N"])
    weights = model.state_dict()
    u = g.node("Concat", [context, tokens], "u", axis=0)
    e = g.node("Gather", [g.constant("embedding", weights["embedding.weight"]), u], "embedded", axis=0)
    y = encoder_nodes(g, model.encoder, e, "encoder")
    T = g.node("Shape", [tokens], "T", start=0, end=1)
    end = g.int64s("end", [np.iinfo(np.int64).max])
    axis0 = g.int64s("axis0", [0])
    new = g.node("Slice", [y, g.node("Neg", [T], "minus_T"), end, axis0], "new_steps")
    W = g.constant("decoder_weight_t", weights["decoder.weight"].T)
    logits = g.node("Add", [g.node("MatMul", [new, W], "decoded"), g.constant("decoder_bias", weights["decoder.bias"])],
                    "logits_sum")
    g.output(logits, "logits", "float", ["T", "N", model.vocab_size])
    if model.context:
        kept = g.node("Slice", [u, g.int64s("minus_K", [-model.context]), end, axis0], "kept")
    else:  # nothing carried: an empty (0, N)
        kept = g.node("Slice", [u, end, end, axis0], "kept")
    g.output(kept, "context_n", "int64", ["K_n", "N"])
    return g.model(name, __doc__)
