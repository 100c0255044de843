"""A recurrent stack (``rnnlab.nn.RNNBase``: tanh/relu RNN, LSTM, GRU, one or two directions, several
layers) as ONNX nodes, one ONNX ``RNN``/``LSTM``/``GRU`` operator a layer.

The operators take the same equations as the library's (and PyTorch's) layers with other gate orders
and shapes:

    LSTM   library blocks i, f, g, o          ONNX i, o, f, c         (rows of W_ih, W_hh, both biases)
    GRU    library blocks r, z, n             ONNX z, r, h            with linear_before_reset = 1: the
                                                                      reset gate multiplies W_hn h + b_hn
    RNN    one block                          activation Tanh or Relu

An LSTM with projections and the layer-normalised cells, which those operators cannot express, become
``Scan``s (``export.scan``).

    W (D_dir, G*H, D_in) = weight_ih rows reordered, R (D_dir, G*H, H) = weight_hh, B (D_dir, 2*G*H) =
    [bias_ih | bias_hh], D_dir = 1 or 2 (forward, then reverse); X (T, N, D_in); Y (T, D_dir, N, H),
    turned into (T, N, D_dir*H) for the next layer; Y_h, Y_c (D_dir, N, H).
"""

from __future__ import annotations

import numpy as np

from .scan import SCANNED, scan_nodes

__all__ = ["GATE_ORDER", "recurrent_nodes", "operator", "reorder"]

# ONNX's gate blocks as indices of the library's
GATE_ORDER = {"lstm": [0, 3, 1, 2], "gru": [1, 0, 2], "rnn": [0], "rnn_relu": [0]}


def reorder(w: np.ndarray, cell: str) -> np.ndarray:
    blocks = np.split(w, len(GATE_ORDER[cell]), axis=0)
    return np.concatenate([blocks[k] for k in GATE_ORDER[cell]], axis=0)


def operator(graph, cell: str, H: int, W: np.ndarray, R: np.ndarray, B: np.ndarray, x: str, inits: list[str],
             lengths: str | None, name: str) -> list[str]:
    """One ONNX RNN/LSTM/GRU node over ``x`` (T, N, D) with the weights in ONNX's order and shapes
    (``reorder``; D_dir = W.shape[0]), initial states ``inits`` (none: zeros) and ``lengths``; returns
    the names of Y, Y_h (and Y_c)."""
    from onnx import helper

    dirs = W.shape[0]
    op = {"lstm": "LSTM", "gru": "GRU"}.get(cell, "RNN")
    inputs = [x, graph.constant(f"{name}_W", W), graph.constant(f"{name}_R", R), graph.constant(f"{name}_B", B),
              lengths or "", *inits]  # X, W, R, B, sequence_lens, initial_h, initial_c
    while inputs[-1] == "":  # optional inputs left out at the end
        inputs.pop()
    outputs = [f"{name}_Y", f"{name}_Yh"] + ([f"{name}_Yc"] if cell == "lstm" else [])
    attrs = dict(hidden_size=H, direction="bidirectional" if dirs == 2 else "forward")
    if cell == "gru":
        attrs["linear_before_reset"] = 1
    if op == "RNN":
        attrs["activations"] = ["Relu" if cell == "rnn_relu" else "Tanh"] * dirs
    graph.nodes.append(helper.make_node(op, inputs, outputs, name=name, **attrs))
    return outputs


def recurrent_nodes(graph, layer, x: str, state: tuple[str, ...] | None, prefix: str,
                    lengths: str | None = None) -> tuple[str, tuple[str, ...]]:
    """Add ``layer``'s operators to ``graph`` (an ``export.graph.Graph``) reading ``x`` (T, N, D), the
    initial ``state`` (h0[, c0]: (L*D_dir, N, H) names, or None for zeros) and each sequence's length
    (``lengths``: an int32 (N,) name, or None for all T); returns the output's name (T, N, D_dir*H) and
    the final state's names (each (L*D_dir, N, H): the forward direction's at each sequence's last step,
    the reverse one's at step 0)."""
    cell, H, L = layer.mode, layer.hidden_size, layer.num_layers
    if layer.proj_size or cell in SCANNED:
        return scan_nodes(graph, layer, x, state, prefix, lengths)
    if cell not in GATE_ORDER:
        raise ValueError(f"export has no ONNX form for a {cell} cell; it takes {', '.join((*GATE_ORDER, *SCANNED))}")
    dirs = 2 if layer.bidirectional else 1
    params = layer.state_dict()
    finals: list[list[str]] = [[] for _ in range(2 if cell == "lstm" else 1)]
    for k in range(L):
        suffixes = [f"_l{k}", f"_l{k}_reverse"][:dirs]
        W = np.stack([reorder(params[f"weight_ih{s}"], cell) for s in suffixes])
        R = np.stack([reorder(params[f"weight_hh{s}"], cell) for s in suffixes])
        B = np.stack([np.concatenate([reorder(params[f"bias_ih{s}"], cell), reorder(params[f"bias_hh{s}"], cell)])
                      for s in suffixes])
        name = f"{prefix}_l{k}"
        inits = []
        if state is not None:
            starts, ends = graph.int64s(f"{name}_start", [k * dirs]), graph.int64s(f"{name}_end", [(k + 1) * dirs])
            inits = [graph.node("Slice", [s, starts, ends, graph.int64s("axis0", [0])], f"{name}_init{i}")
                     for i, s in enumerate(state)]
        outputs = operator(graph, cell, H, W, R, B, x, inits, lengths, name)
        for f, out in zip(finals, outputs[1:]):
            f.append(out)
        # Y (T, D_dir, N, H) -> (T, N, D_dir, H) -> (T, N, D_dir*H)
        moved = graph.node("Transpose", [outputs[0]], f"{name}_moved", perm=[0, 2, 1, 3])
        x = graph.node("Reshape", [moved, graph.int64s(f"{name}_shape", [0, 0, dirs * H])], f"{name}_out")
    final = tuple(graph.node("Concat", f, f"{prefix}_state{i}", axis=0) if len(f) > 1 else f[0]
                  for i, f in enumerate(finals))
    return x, final

