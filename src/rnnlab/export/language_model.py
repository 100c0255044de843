"""A recurrent language model (``rnnlab.models.LanguageModel``) as an ONNX graph, for inference:

    inputs   tokens (T, N) int64; h0 (L, N, H) float[, c0 (L, N, H) for an LSTM]
    outputs  logits (T, N, V); h_n[, c_n] (L, N, H): feed them back as h0[, c0] to continue the text

    e = E[tokens] (Gather)  ->  the recurrent stack (``export.recurrent``)  ->  logits = h W_dec^T + b_dec

T and N are dynamic. Dropout is absent at inference.
"""

from __future__ import annotations

from .graph import Graph
from .recurrent import recurrent_nodes

__all__ = ["language_model_graph"]


def language_model_graph(model, name: str = "rnnlab language model"):
    """The ``onnx.ModelProto`` of ``model``."""
    g = Graph()
    L, H = model.num_layers, model.hidden_size
    states = ["h0", "c0"][:model.rnn.kernel.n_states]
    tokens = g.input("tokens", "int64", ["T", "N"])
    init = tuple(g.input(s, "float", [L, "N", H]) for s in states)
    weights = model.state_dict()
    e = g.node("Gather", [g.constant("embedding", weights["embedding.weight"]), tokens], "embedded", axis=0)
    h, final = recurrent_nodes(g, model.rnn, e, init, "rnn")
    W = g.constant("decoder_weight_t", weights["decoder.weight"].T)
    logits = g.node("Add", [g.node("MatMul", [h, W], "decoded"), g.constant("decoder_bias", weights["decoder.bias"])],
                    "logits_sum")
    g.output(logits, "logits", "float", ["T", "N", model.vocab_size])
    for s, f in zip(states, final):
        g.output(f, f"{s[0]}_n", "float", [L, "N", H])
    return g.model(name, __doc__)
