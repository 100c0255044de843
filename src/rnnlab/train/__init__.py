"""Training: configuration, the loop, checkpoints."""

from .checkpoint import FORMAT_VERSION, load_checkpoint, save_checkpoint
from .config import PRESETS, TrainConfig, resolve_config
from .loop import NonFiniteError, Trainer, build_model, load_run

__all__ = ["TrainConfig", "PRESETS", "resolve_config", "Trainer", "NonFiniteError", "build_model", "load_run",
           "save_checkpoint", "load_checkpoint", "FORMAT_VERSION"]
