"""Copy weights between rnnlab recurrent layers and ``torch.nn.RNN/LSTM/GRU`` (and their cells).

Names, shapes and gate order are identical on both sides, so conversion is only tensor <-> array.
torch is imported inside the functions: rnnlab never needs it at run time.
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np

from ..nn import GRU, LSTM, RNN, GRUCell, LSTMCell, RNNCell
from ..nn.cell import RNNCellBase
from ..nn.recurrent import RNNBase

__all__ = ["to_torch", "from_torch", "torch_state_dict", "load_torch_state_dict"]


def _torch():
    try:
        import torch
    except ImportError as e:  # pragma: no cover - depends on the environment
        raise ImportError("PyTorch interop needs torch: pip install torch") from e
    return torch


def torch_state_dict(module) -> dict:
    """Our parameters as a PyTorch state_dict of tensors (copies, same dtype)."""
    torch = _torch()
    return {k: torch.from_numpy(v.copy()) for k, v in module.state_dict().items()}


def load_torch_state_dict(module, state: Mapping) -> None:
    """Load a PyTorch state_dict (tensors or arrays) into an rnnlab module; names/shapes/dtypes checked."""
    arrays = {k: (v.detach().cpu().numpy() if hasattr(v, "detach") else np.asarray(v)) for k, v in state.items()}
    module.load_state_dict(arrays)


def _torch_dtype(dtype):
    torch = _torch()
    return {np.dtype(np.float32): torch.float32, np.dtype(np.float64): torch.float64}[np.dtype(dtype)]


def to_torch(module):
    """A new ``torch.nn`` module with the same configuration and weights as ``module``."""
    torch = _torch()
    dt = _torch_dtype(module.dtype)
    if isinstance(module, RNNBase):
        kw = dict(num_layers=module.num_layers, bias=module.bias, batch_first=module.batch_first,
                  dropout=module.dropout, bidirectional=module.bidirectional, dtype=dt)
        if module.mode.startswith("rnn_"):
            out = torch.nn.RNN(module.input_size, module.hidden_size, nonlinearity=module.nonlinearity, **kw)
        else:
            out = {"lstm": torch.nn.LSTM, "gru": torch.nn.GRU}[module.mode](module.input_size, module.hidden_size, **kw)
    elif isinstance(module, RNNCellBase):
        kw = dict(bias=module.bias, dtype=dt)
        if isinstance(module, RNNCell):
            out = torch.nn.RNNCell(module.input_size, module.hidden_size, nonlinearity=module.nonlinearity, **kw)
        else:
            out = {LSTMCell: torch.nn.LSTMCell, GRUCell: torch.nn.GRUCell}[type(module)](
                module.input_size, module.hidden_size, **kw)
    else:
        raise TypeError(f"to_torch supports recurrent layers and cells, got {type(module).__name__}")
    out.load_state_dict(torch_state_dict(module))
    if not module.training:
        out.eval()
    return out


def from_torch(tmodule, dtype=None):
    """A new rnnlab module with the configuration and weights of a ``torch.nn`` recurrent layer or cell.

    ``dtype`` defaults to the torch module's (float32 or float64).
    """
    torch = _torch()
    first = next(tmodule.parameters())
    if dtype is None:
        dtype = {torch.float32: np.float32, torch.float64: np.float64}.get(first.dtype)
        if dtype is None:
            raise ValueError(f"from_torch supports float32 and float64 modules, got {first.dtype}")
    dtype = np.dtype(dtype)
    name = type(tmodule).__name__
    if name in ("RNN", "LSTM", "GRU"):
        if getattr(tmodule, "proj_size", 0):
            raise ValueError("LSTM with proj_size > 0 has no rnnlab counterpart")
        kw = dict(num_layers=tmodule.num_layers, bias=tmodule.bias, batch_first=tmodule.batch_first,
                  dropout=tmodule.dropout, bidirectional=tmodule.bidirectional, dtype=dtype)
        if name == "RNN":
            out = RNN(tmodule.input_size, tmodule.hidden_size, nonlinearity=tmodule.nonlinearity, **kw)
        else:
            out = {"LSTM": LSTM, "GRU": GRU}[name](tmodule.input_size, tmodule.hidden_size, **kw)
    elif name in ("RNNCell", "LSTMCell", "GRUCell"):
        kw = dict(bias=tmodule.bias, dtype=dtype)
        if name == "RNNCell":
            out = RNNCell(tmodule.input_size, tmodule.hidden_size, nonlinearity=tmodule.nonlinearity, **kw)
        else:
            out = {"LSTMCell": LSTMCell, "GRUCell": GRUCell}[name](tmodule.input_size, tmodule.hidden_size, **kw)
    else:
        raise TypeError(f"from_torch supports torch.nn.RNN/LSTM/GRU and their cells, got {name}")
    load_torch_state_dict(out, {k: v.to(_torch_dtype(dtype)) for k, v in tmodule.state_dict().items()})
    if not tmodule.training:
        out.eval()
    return out
