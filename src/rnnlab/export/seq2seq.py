"""An encoder-decoder (``rnnlab.models.Seq2Seq``) as two ONNX graphs, the encoder and one decoder
step, so that a caller decodes (greedy or by beam search) in a loop of its own:

    encoder   tokens (Ts, N) int64, lengths (N,) int64
              -> memory m (Ts, N, H), keys (Ts, N, K), h0 (L, N, H)[, c0 (L, N, H)]
              m, finals = BiRNN(Es[tokens], lengths); per layer [fwd; bwd] of finals (Reshape, Transpose)
              h0 = tanh(B [h_fwd; h_bwd] + b)   (c0 = Bc [c_fwd; c_bwd] + bc)   keys = attention.keys(m)
    decoder   token (N,) int64, h (L, N, H)[, c], feed (N, H) (o of the previous step; zeros at the first),
              memory, keys, lengths
              -> logits (N, Vt), h_new[, c_new], o (N, H), attention (N, Ts)
              u = [Et[token]; feed]; each layer one ONNX RNN/LSTM/GRU step (T = 1); then
              e_j = v^T tanh(W s + k_j) (additive) or s . k_j (general, dot), masked past each length,
              a = softmax_j(e), c = sum_j a_j m_j, o = tanh(Wc [c; s] + bc), logits = Wo o + bo

Without attention, o = s and the memory, keys and lengths are not read (still inputs, for one calling
convention). Dropout is absent at inference.
"""

from __future__ import annotations

import numpy as np

from .graph import Graph
from .recurrent import GATE_ORDER, operator, recurrent_nodes, reorder

__all__ = ["encoder_graph", "decoder_graph"]


def encoder_graph(model):
    from onnx import TensorProto

    g = Graph()
    w = model.state_dict()
    H, L = model.hidden_size, model.num_layers
    tokens, lengths = g.input("tokens", "int64", ["Ts", "N"]), g.input("lengths", "int64", ["N"])
    e = g.node("Gather", [g.constant("source_embedding", w["source_embedding.weight"]), tokens], "embedded", axis=0)
    lengths32 = g.node("Cast", [lengths], "lengths32", to=TensorProto.INT32)
    m, finals = recurrent_nodes(g, model.encoder, e, None, "encoder", lengths32)
    states = []
    for i, (final, bridge) in enumerate(zip(finals, ("bridge", "bridge_c"))):
        # (2L, N, H/2) in the order l0 fwd, l0 bwd, l1 fwd, ... -> (L, N, H) = [fwd; bwd] per layer
        split = g.node("Reshape", [final, g.int64s("split_shape", [L, 2, -1, H // 2])], f"split{i}")
        both = g.node("Reshape", [g.node("Transpose", [split], f"moved{i}", perm=[0, 2, 1, 3]),
                                  g.int64s("both_shape", [L, -1, H])], f"both{i}")
        z = g.node("Add", [g.node("MatMul", [both, g.constant(f"{bridge}_wt", w[f"{bridge}.weight"].T)], f"{bridge}_mm"),
                           g.constant(f"{bridge}_b", w[f"{bridge}.bias"])], f"{bridge}_z")
        states.append(g.node("Tanh", [z], "h0_tanh") if i == 0 else z)
    kind = model.attention_kind
    key_matrix = {"additive": "attention.key_weight", "general": "attention.weight"}.get(kind)
    keys = g.node("MatMul", [m, g.constant("key_wt", w[key_matrix].T)], "keys_mm") if key_matrix else m
    g.output(m, "memory", "float", ["Ts", "N", H])
    g.output(keys, "keys", "float", ["Ts", "N", w[key_matrix].shape[0] if key_matrix else H])
    for name, s in zip(("h0", "c0"), states):
        g.output(s, name, "float", [L, "N", H])
    return g.model("rnnlab seq2seq encoder", __doc__)


def decoder_graph(model):
    g = Graph()
    w = model.state_dict()
    H, L, cell = model.hidden_size, model.num_layers, model.cell
    if cell not in GATE_ORDER:
        raise ValueError(f"export writes the decoder step of lstm, gru and rnn cells; this one is {cell}")
    names = ["h", "c"][:1 + model.two_states]
    token = g.input("token", "int64", ["N"])
    state = [g.input(n, "float", [L, "N", H]) for n in names]
    feed = g.input("feed", "float", ["N", H])
    memory = g.input("memory", "float", ["Ts", "N", H])
    K = w["attention.key_weight"].shape[0] if model.attention_kind == "additive" else H
    keys = g.input("keys", "float", ["Ts", "N", K])
    lengths = g.input("lengths", "int64", ["N"])
    u = g.node("Gather", [g.constant("target_embedding", w["target_embedding.weight"]), token], "embedded", axis=0)
    if model.input_feeding:
        u = g.node("Concat", [u, feed], "fed", axis=1)
    new: list[list[str]] = [[] for _ in names]
    for l in range(L):
        p = {k: w[f"cells.{l}.{k}"] for k in ("weight_ih", "weight_hh", "bias_ih", "bias_hh")}
        W, R = reorder(p["weight_ih"], cell)[None], reorder(p["weight_hh"], cell)[None]
        B = np.concatenate([reorder(p["bias_ih"], cell), reorder(p["bias_hh"], cell)])[None]
        rows = [g.int64s(f"row{l}", [l]), g.int64s(f"row{l + 1}", [l + 1]), g.int64s("axis0", [0])]
        inits = [g.node("Slice", [s, *rows], f"{n}{l}") for n, s in zip(names, state)]
        x = g.node("Unsqueeze", [u, g.int64s("axis0", [0])], f"x{l}")  # (1, N, in): one step
        out = operator(g, cell, H, W, R, B, x, inits, None, f"cell{l}")
        for k, o in enumerate(out[1:]):
            new[k].append(o)
        u = g.node("Squeeze", [out[1], g.int64s("axis0", [0])], f"s{l}")  # (N, H)
    top = u
    if model.attention_kind != "none":
        kind = model.attention_kind
        if kind == "additive":
            q = g.node("MatMul", [top, g.constant("query_wt", w["attention.query_weight"].T)], "query")
            t = g.node("Tanh", [g.node("Add", [keys, q], "scored_sum")], "scored")
            e = g.node("MatMul", [t, g.constant("score", w["attention.score_weight"])], "energies")  # (Ts, N)
        else:
            e = g.node("ReduceSum", [g.node("Mul", [keys, top], "products"), g.int64s("axis2", [2])], "energies",
                       keepdims=0)
        T = g.node("Gather", [g.node("Shape", [memory], "m_shape"), g.constant("zero", np.array(0, np.int64))], "Ts",
                   axis=0)
        steps = g.node("Range", [g.constant("zero", np.array(0, np.int64)), T, g.constant("one", np.array(1, np.int64))],
                       "steps")
        valid = g.node("Less", [g.node("Unsqueeze", [steps, g.int64s("axis1", [1])], "steps_col"),
                                g.node("Unsqueeze", [lengths, g.int64s("axis0", [0])], "lengths_row")], "valid")
        masked = g.node("Where", [valid, e, g.constant("minus_inf", np.array(-np.inf, np.float32))], "masked")
        a = g.node("Softmax", [masked], "weights", axis=0)  # (Ts, N)
        weighted = g.node("Mul", [memory, g.node("Unsqueeze", [a, g.int64s("axis2", [2])], "weights3")], "weighted")
        context = g.node("ReduceSum", [weighted, g.int64s("axis0", [0])], "context", keepdims=0)
        joined = g.node("Concat", [context, top], "joined", axis=1)
        o = g.node("Tanh", [g.node("Add", [g.node("MatMul", [joined, g.constant("combine_wt", w["combine.weight"].T)],
                                                  "combined"), g.constant("combine_b", w["combine.bias"])],
                                   "combined_b")], "attentional")
        g.output(g.node("Transpose", [a], "weights_t", perm=[1, 0]), "attention", "float", ["N", "Ts"])
    else:
        o = top
    logits = g.node("Add", [g.node("MatMul", [o, g.constant("out_wt", w["out.weight"].T)], "out_mm"),
                            g.constant("out_b", w["out.bias"])], "out_z")
    g.output(logits, "logits", "float", ["N", w["out.weight"].shape[0]])
    for n, parts in zip(names, new):
        g.output(g.node("Concat", parts, f"{n}_all", axis=0) if L > 1 else parts[0], f"{n}_new", "float", [L, "N", H])
    g.output(o, "o", "float", ["N", H])
    return g.model("rnnlab seq2seq decoder step", __doc__)
