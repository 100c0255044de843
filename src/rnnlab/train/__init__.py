"""Training: configuration, the task-general loop, checkpoints."""

from .checkpoint import FORMAT_VERSION, load_checkpoint, load_weights, save_checkpoint
from .config import TrainConfig, resolve_config
from .presets import PRESETS
from .loop import NonFiniteError, Trainer

__all__ = ["TrainConfig", "PRESETS", "resolve_config", "Trainer", "NonFiniteError", "save_checkpoint",
           "load_checkpoint", "load_weights", "FORMAT_VERSION"]
