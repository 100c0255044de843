"""Models built from ``rnnlab.nn`` layers."""

from .language_model import CELLS, LanguageModel

__all__ = ["LanguageModel", "CELLS"]
