"""rnnlab: recurrent neural networks with hand-derived backpropagation through time in NumPy."""

from . import blas  # noqa: F401  (first: sets OpenBLAS's idle-thread timeout before NumPy loads it)
from . import gradcheck, nn
from .heap import keep_heap
from .nn import GRU, LSTM, RNN, GRUCell, LSTMCell, RNNCell

__version__ = "0.1.0"

__all__ = ["nn", "gradcheck", "RNN", "LSTM", "GRU", "RNNCell", "LSTMCell", "GRUCell", "keep_heap", "__version__"]
