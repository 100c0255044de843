"""A recurrent sequence model (``rnnlab.models.SequenceModel``: a classifier's or a regression's) as an
ONNX graph, for inference:

    inputs   tokens (T, N) int64, or features (T, N, D) float; lengths (N,) int64 in [1, T]
    outputs  logits (N, C) (pool "each": (T, N, C))

    e = E[tokens], or (features - mean) / std when the run standardised its series
    y, h_n = the recurrent stack, reading each sequence up to its length (ONNX's sequence_lens),
           or y = a causal feed-forward encoder (``export.feedforward``)
    p = pool(y):  last  [h_n of the last layer, each direction] (Slice, Transpose, Reshape); an
                        encoder's y at step length - 1: sum_t [t = length - 1] y_t
                  mean  sum_t mask_t y_t / length,  mask_t = t < length  (Range, Less)
                  max   max_t (y_t where mask_t, else -inf)              (Where, ReduceMax)
    logits = p W^T + b

T and N are dynamic.
"""

from __future__ import annotations

import numpy as np

from .feedforward import encoder_nodes
from .graph import Graph
from .recurrent import recurrent_nodes

__all__ = ["sequence_model_graph"]


def sequence_model_graph(model, mean: np.ndarray | None = None, std: np.ndarray | None = None,
                         name: str = "rnnlab sequence model"):
    """The ``onnx.ModelProto`` of ``model``; ``mean`` and ``std`` (D,) standardise features first."""
    from onnx import TensorProto

    g = Graph()
    weights = model.state_dict()
    if "embedding" in model.children:
        tokens = g.input("tokens", "int64", ["T", "N"])
        e = g.node("Gather", [g.constant("embedding", weights["embedding.weight"]), tokens], "embedded", axis=0)
    else:
        stack = model.encoder if "encoder" in model.children else model.rnn
        e = g.input("features", "float", ["T", "N", stack.input_size])
        if mean is not None:
            centred = g.node("Sub", [e, g.constant("mean", mean)], "centred")
            e = g.node("Div", [centred, g.constant("std", std)], "standardised")
    lengths = g.input("lengths", "int64", ["N"])
    dirs, H = model.dirs, model.hidden_size
    if "encoder" in model.children:
        y = encoder_nodes(g, model.encoder, e, "encoder")
    else:
        lengths32 = g.node("Cast", [lengths], "lengths32", to=TensorProto.INT32)
        y, final = recurrent_nodes(g, model.rnn, e, None, "rnn", lengths32)
    if model.pool in ("mean", "max") or model.pool == "last" and "encoder" in model.children:  # steps (T,) needed
        T = g.node("Gather", [g.node("Shape", [y], "y_shape"), g.constant("zero", np.array(0, np.int64))], "T", axis=0)
        steps = g.node("Range", [g.constant("zero", np.array(0, np.int64)), T, g.constant("one", np.array(1, np.int64))],
                       "steps")
        steps_col = g.node("Unsqueeze", [steps, g.int64s("axis1", [1])], "steps_col")
    if model.pool == "last" and "encoder" in model.children:
        last = g.node("Sub", [lengths, g.constant("one", np.array(1, np.int64))], "last_step")
        at = g.node("Equal", [steps_col, g.node("Unsqueeze", [last, g.int64s("axis0", [0])], "last_row")], "at_last")
        picked = g.node("Mul", [y, g.node("Cast", [g.node("Unsqueeze", [at, g.int64s("axis2", [2])], "at_last3")],
                                          "at_last_f", to=TensorProto.FLOAT)], "picked")
        p = g.node("ReduceSum", [picked, g.int64s("axis0", [0])], "pooled", keepdims=0)
    elif model.pool == "last":
        L = model.rnn.num_layers
        top = g.node("Slice", [final[0], g.int64s("top_start", [(L - 1) * dirs]), g.int64s("top_end", [L * dirs]),
                               g.int64s("axis0", [0])], "top")  # (dirs, N, H)
        p = g.node("Reshape", [g.node("Transpose", [top], "top_n", perm=[1, 0, 2]), g.int64s("pooled_shape",
                                                                                            [0, dirs * H])], "pooled")
    elif model.pool in ("mean", "max"):
        mask = g.node("Less", [steps_col, g.node("Unsqueeze", [lengths, g.int64s("axis0", [0])], "lengths_row")],
                      "mask")
        mask3 = g.node("Unsqueeze", [mask, g.int64s("axis2", [2])], "mask3")  # (T, N, 1)
        if model.pool == "mean":
            kept = g.node("Mul", [y, g.node("Cast", [mask3], "mask_f", to=TensorProto.FLOAT)], "kept")
            total = g.node("ReduceSum", [kept, g.int64s("axis0", [0])], "total", keepdims=0)
            count = g.node("Cast", [g.node("Unsqueeze", [lengths, g.int64s("axis1", [1])], "lengths_col")], "count",
                           to=TensorProto.FLOAT)
            p = g.node("Div", [total, count], "pooled")
        else:
            floor = g.constant("minus_inf", np.array(-np.inf, np.float32))
            p = g.node("ReduceMax", [g.node("Where", [mask3, y, floor], "masked")], "pooled", axes=[0], keepdims=0)
    else:  # each: one output a step
        p = y
    W = g.constant("out_weight_t", weights["out.weight"].T)
    logits = g.node("Add", [g.node("MatMul", [p, W], "projected"), g.constant("out_bias", weights["out.bias"])],
                    "logits_sum")
    g.output(logits, "logits", "float", (["T"] if model.pool == "each" else []) + ["N", model.num_classes])
    return g.model(name, __doc__)
