"""Step kernels of the recurrent cells: the equations of one time step, forward and backward, in NumPy.

These are the reference: every other implementation of a step (the compiled CPU backend) is proven
equal to them. A kernel knows nothing about time loops, layers, directions or threads
(``rnnlab.backends`` drives it). ``CellKernel`` says what a new cell must provide;
``rnnlab.nn.register_cell`` makes it usable everywhere.
"""

from .base import CellKernel
from .gru import GRUKernel
from .ln_gru import LayerNormGRUKernel
from .ln_lstm import LayerNormLSTMKernel
from .lstm import LSTMKernel
from .rnn import RNNKernel

__all__ = ["CellKernel", "RNNKernel", "LSTMKernel", "GRUKernel", "LayerNormLSTMKernel", "LayerNormGRUKernel"]
