"""Weight exchange with other frameworks (their imports stay lazy, inside the functions)."""

from .convert import from_torch, to_torch
from .torch_weights import load_torch_state_dict, torch_state_dict

__all__ = ["to_torch", "from_torch", "torch_state_dict", "load_torch_state_dict"]
