"""Models built from ``rnnlab.nn`` layers."""

from .sequence import POOLS, SequenceModel
from .context_lm import ContextLanguageModel
from .language_model import LanguageModel
from .seq2seq import Memory, Seq2Seq
from .tcn import TCN
from .transformer import Transformer
from .window_mlp import WindowMLP

__all__ = ["LanguageModel", "ContextLanguageModel", "SequenceModel", "POOLS", "Seq2Seq", "Memory",
           "TCN", "Transformer", "WindowMLP"]
