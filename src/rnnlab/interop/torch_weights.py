"""Copy weights between rnnlab recurrent layers and ``torch.nn.RNN/LSTM/GRU`` (and their cells).

Names, shapes and gate order are identical on both sides, so conversion is only tensor <-> array.
torch is imported inside the functions: rnnlab never needs it at run time.
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np

from ..nn import Embedding, Linear, RNNBase, RNNCellBase, cell_kind, cell_names

__all__ = ["layer_to_torch", "layer_from_torch", "torch_state_dict", "load_torch_state_dict"]


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


def layer_to_torch(module):
    """A new ``torch.nn`` module with the same configuration and weights as ``module``: a recurrent
    layer or cell of a kind with a PyTorch counterpart (RNN, LSTM, GRU), a Linear or an Embedding."""
    torch = _torch()
    if isinstance(module, (Linear, Embedding)):
        dt = _torch_dtype(module.dtype)
        if isinstance(module, Linear):
            out = torch.nn.Linear(module.in_features, module.out_features, bias="bias" in module.params, dtype=dt)
        else:
            out = torch.nn.Embedding(module.num_embeddings, module.embedding_dim, dtype=dt)
        out.load_state_dict(torch_state_dict(module))
        return out.train(module.training)
    if not isinstance(module, (RNNBase, RNNCellBase)):
        raise TypeError(f"to_torch supports recurrent layers and cells, Linear and Embedding, got {type(module).__name__}")
    kind = cell_kind(module.mode)
    if kind.torch is None:
        raise TypeError(f"cell kind {kind.name!r} has no PyTorch counterpart")
    name, options = kind.torch
    kw = dict(bias=module.bias, dtype=_torch_dtype(module.dtype), **options)
    if isinstance(module, RNNBase):
        kw |= dict(num_layers=module.num_layers, batch_first=module.batch_first, dropout=module.dropout,
                   bidirectional=module.bidirectional) | ({"proj_size": module.proj_size} if module.proj_size else {})
        out = getattr(torch.nn, name)(module.input_size, module.hidden_size, **kw)
    else:
        out = getattr(torch.nn, name + "Cell")(module.input_size, module.hidden_size, **kw)
    out.load_state_dict(torch_state_dict(module))
    if not module.training:
        out.eval()
    return out


def layer_from_torch(tmodule, dtype=None):
    """A new rnnlab module with the configuration and weights of a ``torch.nn`` recurrent layer or cell,
    Linear or Embedding; ``dtype`` defaults to the torch module's (float32 or float64)."""
    torch = _torch()
    first = next(tmodule.parameters())
    if dtype is None:
        dtype = {torch.float32: np.float32, torch.float64: np.float64}.get(first.dtype)
        if dtype is None:
            raise ValueError(f"from_torch supports float32 and float64 modules, got {first.dtype}")
    dtype = np.dtype(dtype)
    name = type(tmodule).__name__
    if name in ("Linear", "Embedding"):
        if name == "Linear":
            out = Linear(tmodule.in_features, tmodule.out_features, bias=tmodule.bias is not None, dtype=dtype)
        else:
            out = Embedding(tmodule.num_embeddings, tmodule.embedding_dim, dtype=dtype)
        load_torch_state_dict(out, {k: v.to(_torch_dtype(dtype)) for k, v in tmodule.state_dict().items()})
        return out.train(tmodule.training)
    base = name.removesuffix("Cell")
    if base not in ("RNN", "LSTM", "GRU"):
        raise TypeError(f"from_torch supports torch.nn.RNN/LSTM/GRU and their cells, got {name}")
    options = {"nonlinearity": tmodule.nonlinearity} if base == "RNN" else {}
    kind = next(k for k in map(cell_kind, cell_names()) if k.torch == (base, options))
    kw = dict(bias=tmodule.bias, dtype=dtype)
    if name == base:
        if getattr(tmodule, "proj_size", 0):
            kw["proj_size"] = tmodule.proj_size
        out = kind.layer(tmodule.input_size, tmodule.hidden_size, num_layers=tmodule.num_layers,
                         batch_first=tmodule.batch_first, dropout=tmodule.dropout,
                         bidirectional=tmodule.bidirectional, **kw)
    else:
        out = kind.cell(tmodule.input_size, tmodule.hidden_size, **kw)
    load_torch_state_dict(out, {k: v.to(_torch_dtype(dtype)) for k, v in tmodule.state_dict().items()})
    if not tmodule.training:
        out.eval()
    return out
