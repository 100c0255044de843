"""Layers with explicit forward and backward passes."""

from .grad_mode import is_grad_enabled, no_grad
from .cell import GRUCell, LSTMCell, RNNCell, RNNCellBase
from .layers import GELU, Dropout, Embedding, LayerNorm, Linear, ReLU
from .loss import SoftmaxCrossEntropy
from .regression import L1Loss, MSELoss
from .attention import ATTENTION_KINDS, Attention
from .conv import CausalConv1d
from .self_attention import CausalSelfAttention
from .containers import ModuleList, Sequential
from .module import Module, Parameter
from .recurrent import GRU, LSTM, RNN, RNNBase
from .registry import CellKind, cell_kind, cell_names, register_cell, unregister_cell

__all__ = [
    "Module", "Parameter", "Sequential", "ModuleList",
    "RNNBase", "RNN", "LSTM", "GRU",
    "RNNCellBase", "RNNCell", "LSTMCell", "GRUCell",
    "Linear", "Embedding", "Dropout", "ReLU", "GELU", "LayerNorm",
    "Attention", "ATTENTION_KINDS", "CausalConv1d", "CausalSelfAttention",
    "SoftmaxCrossEntropy", "MSELoss", "L1Loss",
    "no_grad", "is_grad_enabled",
    "CellKind", "register_cell", "unregister_cell", "cell_kind", "cell_names",
]
