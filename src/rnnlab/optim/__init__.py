"""Optimisers, gradient clipping and learning-rate schedules."""

from .clip import clip_grad_norm, clip_grad_value, global_norm
from .optimizers import (
           OPTIMIZERS,
           SGD,
           Adagrad,
           Adam,
           AdamW,
           Optimizer,
           RMSprop,
)
from .averaging import NTASGD
from .choice import make_optimizer
from .schedules import (
           SCHEDULES,
           Constant,
           Cosine,
           Plateau,
           Schedule,
           StepDecay,
           make_schedule,
)

__all__ = ["Optimizer", "SGD", "Adam", "AdamW", "RMSprop", "Adagrad", "NTASGD", "OPTIMIZERS", "make_optimizer",
           "clip_grad_norm", "clip_grad_value", "global_norm",
           "Schedule", "Constant", "StepDecay", "Plateau", "Cosine", "SCHEDULES", "make_schedule"]
