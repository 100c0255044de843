"""Layers with explicit forward and backward passes."""

from .grad_mode import is_grad_enabled, no_grad
from .cell import GRUCell, LSTMCell, RNNCell, RNNCellBase
from .layers import Dropout, Embedding, Linear
from .loss import SoftmaxCrossEntropy
from .module import Module
from .recurrent import GRU, LSTM, RNN, RNNBase

__all__ = [
    "Module",
    "RNNBase", "RNN", "LSTM", "GRU",
    "RNNCellBase", "RNNCell", "LSTMCell", "GRUCell",
    "Linear", "Embedding", "Dropout",
    "SoftmaxCrossEntropy",
    "no_grad", "is_grad_enabled",
]
