"""rnnlab: recurrent neural networks with hand-derived backpropagation through time in NumPy.

Importing rnnlab defines names and nothing else: no environment variable, allocator setting or thread
pool is touched.
"""

from . import backends, gradcheck, interop, kernels, models, nn, optim
from .backends import get_backend, set_backend, use_backend
from .heap import keep_heap
from .nn import GRU, LSTM, RNN, GRUCell, LSTMCell, RNNCell, register_cell

__version__ = "0.1.0"

__all__ = ["nn", "kernels", "backends", "gradcheck", "interop", "models", "optim", "RNN", "LSTM", "GRU", "RNNCell", "LSTMCell", "GRUCell",
           "register_cell", "get_backend", "set_backend", "use_backend", "keep_heap", "__version__"]
