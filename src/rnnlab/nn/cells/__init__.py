"""Per-step kernels of the recurrent cells: the equations of one time step, forward and backward.

A kernel knows nothing about time loops, layers or directions; ``rnnlab.nn.bptt`` drives it.
"""

from .gru import GRUKernel
from .lstm import LSTMKernel
from .rnn import RNNKernel

__all__ = ["RNNKernel", "LSTMKernel", "GRUKernel", "kernel_for"]


def kernel_for(mode: str):
    """Kernel for ``mode`` in {"rnn_tanh", "rnn_relu", "lstm", "gru"}."""
    if mode == "rnn_tanh":
        return RNNKernel("tanh")
    if mode == "rnn_relu":
        return RNNKernel("relu")
    if mode == "lstm":
        return LSTMKernel()
    if mode == "gru":
        return GRUKernel()
    raise ValueError(f"unknown recurrent mode {mode!r}; expected rnn_tanh, rnn_relu, lstm or gru")
