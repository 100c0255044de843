"""Layers with explicit forward and backward passes."""

from .module import Module
from .recurrent import GRU, LSTM, RNN, RNNBase

__all__ = ["Module", "RNNBase", "RNN", "LSTM", "GRU"]
