"""Models built from ``rnnlab.nn`` layers."""

from .classifier import POOLS, SequenceClassifier
from .language_model import LanguageModel

__all__ = ["LanguageModel", "SequenceClassifier", "POOLS"]
