"""rnnlab: recurrent neural networks with hand-derived backpropagation through time in NumPy."""

from . import nn

__version__ = "0.1.0"

__all__ = ["nn", "__version__"]
