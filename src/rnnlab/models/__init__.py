"""Models built from ``rnnlab.nn`` layers."""

from .language_model import LanguageModel

__all__ = ["LanguageModel"]
