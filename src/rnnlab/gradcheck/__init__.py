"""Gradient checking by central differences in float64: the checker (``checker``) and its catalogue of
cases (``layers``, ``models``, all of them in ``grid.default_grid``)."""

from .checker import TOLERANCE, check_model, gradcheck, numerical_gradient, randomise, relative_error
from .grid import default_grid
from .layers import (check_cell, check_context_lm, check_conv, check_cross_entropy, check_dropout, check_embedding,
                     check_encoder, check_linear, check_recurrent, check_regression)
from .models import attention_case, check_attention, check_language_model, check_seq2seq, seq2seq_case

__all__ = ["numerical_gradient", "relative_error", "gradcheck", "check_model", "randomise", "TOLERANCE",
           "check_recurrent", "check_cell", "check_linear", "check_embedding", "check_dropout", "check_cross_entropy",
           "check_regression", "check_conv", "check_encoder", "check_context_lm", "attention_case", "check_attention",
           "seq2seq_case", "check_seq2seq", "check_language_model", "default_grid"]
