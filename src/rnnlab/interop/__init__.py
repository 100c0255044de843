"""Weight exchange with other frameworks (their imports stay lazy, inside the functions)."""

from .torch_weights import from_torch, load_torch_state_dict, to_torch, torch_state_dict

__all__ = ["to_torch", "from_torch", "torch_state_dict", "load_torch_state_dict"]
