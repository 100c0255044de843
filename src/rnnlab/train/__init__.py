"""Training: the general settings, the task-general loop, checkpoints and the run folder."""

from .checkpoint import FORMAT_VERSION, load_checkpoint, load_weights, save_checkpoint
from .config import GENERAL, RunConfig, config_class
from .loop import NonFiniteError, Trainer
from .run_folder import RunFolder
from .settings import Setting

__all__ = ["Setting", "GENERAL", "RunConfig", "config_class", "Trainer", "NonFiniteError",
           "RunFolder", "save_checkpoint", "load_checkpoint", "load_weights", "FORMAT_VERSION"]
