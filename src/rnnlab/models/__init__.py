"""Models built from ``rnnlab.nn`` layers."""

from .classifier import POOLS, SequenceClassifier
from .language_model import LanguageModel
from .seq2seq import Memory, Seq2Seq

__all__ = ["LanguageModel", "SequenceClassifier", "POOLS", "Seq2Seq", "Memory"]
