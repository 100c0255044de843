"""The causal feed-forward encoders (``rnnlab.models``: TCN, Transformer, window MLP) as ONNX nodes:

    x (T, N, D) -> y (T, N, C), T and N dynamic, the equations of each model's docstring.

    causal convolution   Conv over (N, C, T) with pads [(k-1) d, 0], dilation d; weight-normalised
                         layers exported as their W = g v / ||v||
    TCN block            y = relu(relu(conv2(relu(conv1(x)))) + (x or downsample(x)))   (in (N, C, T))
    window MLP           a = relu(Conv_W(x)), then relu(a A_l^T + b_l) per hidden layer
    Transformer          z = x W_in^T + b_in + P[:T] (Slice of P by T); per block
                         z += c_proj(softmax(q k^T / sqrt(d) + M) v) with M_ij = -inf for j > i (Where),
                         z += c_proj(gelu(c_fc(LayerNormalization(z)))); y = LayerNormalization(z)
                         gelu in its tanh form: x (1 + tanh(sqrt(2/pi) (x + 0.044715 x^3))) / 2

Dropout is absent at inference.
"""

from __future__ import annotations

import math

import numpy as np

__all__ = ["encoder_nodes", "linear_nodes"]


def linear_nodes(g, x: str, layer, name: str) -> str:
    """y = x W^T + b of an ``rnnlab.nn.Linear`` over the last axis of ``x``."""
    y = g.node("MatMul", [x, g.constant(f"{name}_weight_t", layer.params["weight"].T)], f"{name}_product")
    if "bias" not in layer.params:
        return y
    return g.node("Add", [y, g.constant(f"{name}_bias", layer.params["bias"])], name)


def _conv_weight(conv) -> np.ndarray:
    """W (C_out, C_in, k) of a ``CausalConv1d``: g v / ||v|| when weight-normalised."""
    if not conv.weight_norm:
        return conv.params["weight"]
    v = conv.params["weight_v"].astype(np.float64)
    return conv.params["weight_g"] * v / np.sqrt((v * v).sum(axis=(1, 2), keepdims=True))


def _conv(g, x: str, conv, name: str) -> str:
    """A causal convolution of ``x`` (N, C_in, T) -> (N, C_out, T)."""
    inputs = [x, g.constant(f"{name}_weight", _conv_weight(conv))]
    if "bias" in conv.params:
        inputs.append(g.constant(f"{name}_bias", conv.params["bias"]))
    return g.node("Conv", inputs, name, dilations=[conv.dilation], kernel_shape=[conv.kernel_size],
                  pads=[(conv.kernel_size - 1) * conv.dilation, 0])


def _tcn(g, x: str, tcn, prefix: str) -> str:
    a = g.node("Transpose", [x], f"{prefix}_nct", perm=[1, 2, 0])  # (T, N, C) -> (N, C, T)
    for i, block in enumerate(tcn.blocks):
        name = f"{prefix}_b{i}"
        h = g.node("Relu", [_conv(g, a, block.conv1, f"{name}_conv1")], f"{name}_a")
        h = g.node("Relu", [_conv(g, h, block.conv2, f"{name}_conv2")], f"{name}_b")
        r = _conv(g, a, block.downsample, f"{name}_down") if "downsample" in block.children else a
        a = g.node("Relu", [g.node("Add", [h, r], f"{name}_sum")], f"{name}_out")
    return g.node("Transpose", [a], f"{prefix}_out", perm=[2, 0, 1])


def _window_mlp(g, x: str, mlp, prefix: str) -> str:
    a = _conv(g, g.node("Transpose", [x], f"{prefix}_nct", perm=[1, 2, 0]), mlp.window_layer, f"{prefix}_window")
    a = g.node("Relu", [g.node("Transpose", [a], f"{prefix}_tnc", perm=[2, 0, 1])], f"{prefix}_a0")
    for i, layer in enumerate(mlp.hidden, start=1):
        a = g.node("Relu", [linear_nodes(g, a, layer, f"{prefix}_hidden{i}")], f"{prefix}_a{i}")
    return a


def _layer_norm(g, x: str, ln, name: str) -> str:
    return g.node("LayerNormalization", [x, g.constant(f"{name}_weight", ln.params["weight"]),
                                         g.constant(f"{name}_bias", ln.params["bias"])], name, axis=-1,
                  epsilon=ln.eps)


def _gelu(g, x: str, name: str) -> str:
    c = math.sqrt(2.0 / math.pi)
    cube = g.node("Mul", [g.node("Mul", [x, x], f"{name}_sq"), x], f"{name}_cube")
    inner = g.node("Add", [x, g.node("Mul", [cube, g.constant("gelu_k", np.array(0.044715))], f"{name}_kc")],
                   f"{name}_inner")
    t = g.node("Tanh", [g.node("Mul", [inner, g.constant("gelu_c", np.array(c))], f"{name}_u")], f"{name}_tanh")
    half = g.node("Mul", [x, g.constant("half", np.array(0.5))], f"{name}_half")
    return g.node("Mul", [half, g.node("Add", [t, g.constant("one_f", np.array(1.0))], f"{name}_1pt")], name)


def _attention(g, z: str, attn, mask: str, name: str) -> str:
    """Causal multi-head self-attention of ``z`` (T, N, C); ``mask`` (T, T) true above the diagonal."""
    C, h = attn.size, attn.heads
    qkv = linear_nodes(g, z, attn.c_attn, f"{name}_qkv")
    split = g.int64s(f"{name}_split", [C, C, C])
    from onnx import helper

    parts = [f"{name}_q", f"{name}_k", f"{name}_v"]
    g.nodes.append(helper.make_node("Split", [qkv, split], parts, name=f"{name}_split", axis=-1))
    heads = g.int64s("heads_shape", [0, 0, h, C // h])
    q, k, v = (g.node("Transpose", [g.node("Reshape", [p, heads], f"{p}_split")], f"{p}_heads", perm=[1, 2, 0, 3])
               for p in parts)  # (N, h, T, d)
    kt = g.node("Transpose", [k], f"{name}_kt", perm=[0, 1, 3, 2])
    S = g.node("Mul", [g.node("MatMul", [q, kt], f"{name}_qk"), g.constant(f"scale_{C // h}",
                                                                          np.array(1.0 / math.sqrt(C // h)))],
               f"{name}_scores")
    S = g.node("Where", [mask, g.constant("minus_inf", np.array(-np.inf, np.float32)), S], f"{name}_masked")
    P = g.node("Softmax", [S], f"{name}_p", axis=-1)
    Y = g.node("Transpose", [g.node("MatMul", [P, v], f"{name}_pv")], f"{name}_tnhd", perm=[2, 0, 1, 3])
    merged = g.node("Reshape", [Y, g.int64s("merge_shape", [0, 0, C])], f"{name}_merged")
    return linear_nodes(g, merged, attn.c_proj, f"{name}_proj")


def _transformer(g, x: str, tr, prefix: str) -> str:
    z = linear_nodes(g, x, tr.input, f"{prefix}_input") if "input" in tr.children else x
    T = g.node("Shape", [x], f"{prefix}_T", start=0, end=1)  # (1,)
    zero, one = g.int64s("zero1", [0]), g.constant("one", np.array(1, np.int64))
    P = g.node("Slice", [g.constant(f"{prefix}_wpe", tr.params["wpe"]), zero, T, zero], f"{prefix}_positions")
    z = g.node("Add", [z, g.node("Unsqueeze", [P, g.int64s("axis1", [1])], f"{prefix}_positions3")], f"{prefix}_z")
    steps = g.node("Range", [g.constant("zero", np.array(0, np.int64)),
                             g.node("Squeeze", [T, zero], f"{prefix}_T0"), one], f"{prefix}_steps")
    mask = g.node("Greater", [g.node("Unsqueeze", [steps, zero], f"{prefix}_row"),
                              g.node("Unsqueeze", [steps, g.int64s("axis1", [1])], f"{prefix}_col")], f"{prefix}_mask")
    for i, block in enumerate(tr.blocks):
        name = f"{prefix}_b{i}"
        z = g.node("Add", [z, _attention(g, _layer_norm(g, z, block.ln_1, f"{name}_ln1"), block.attn, mask,
                                         f"{name}_attn")], f"{name}_z1")
        u = linear_nodes(g, _layer_norm(g, z, block.ln_2, f"{name}_ln2"), block.c_fc, f"{name}_fc")
        z = g.node("Add", [z, linear_nodes(g, _gelu(g, u, f"{name}_gelu"), block.c_proj, f"{name}_mlp")],
                   f"{name}_z2")
    return _layer_norm(g, z, tr.ln_f, f"{prefix}_ln_f")


def encoder_nodes(g, encoder, x: str, prefix: str) -> str:
    """Add ``encoder``'s nodes to ``g`` reading ``x`` (T, N, D); the name of y (T, N, C)."""
    from ..models.tcn import TCN
    from ..models.transformer import Transformer
    from ..models.window_mlp import WindowMLP

    for kind, build in ((TCN, _tcn), (WindowMLP, _window_mlp), (Transformer, _transformer)):
        if isinstance(encoder, kind):
            return build(g, x, encoder, prefix)
    raise ValueError(f"export has no ONNX form for a {type(encoder).__name__} encoder")
