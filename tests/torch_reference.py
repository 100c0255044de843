"""The same cases run through torch.nn.RNN/LSTM/GRU (with packed sequences for lengths)."""

from __future__ import annotations

import numpy as np
import torch
from torch.nn.utils.rnn import pack_padded_sequence, pad_packed_sequence

from rnnlab.nn import cell_kind


def torch_layer(cfg, dtype=torch.float64):
    kw = dict(num_layers=cfg["num_layers"], bidirectional=cfg["bidirectional"],
              batch_first=cfg["batch_first"], dtype=dtype) | ({"proj_size": cfg["proj"]} if cfg.get("proj") else {})
    name, options = cell_kind(cfg["mode"]).torch
    return getattr(torch.nn, name)(cfg["D"], cfg["H"], **options, **kw)


def torch_run(cfg, arrays):
    """Forward, then backward of sum(y * dy) + sum(final_i * dfinal_i); float64 numpy results."""
    m = torch_layer(cfg)
    m.load_state_dict({k[6:]: torch.tensor(v) for k, v in arrays.items() if k.startswith("param.")})
    x = torch.tensor(arrays["x"], requires_grad=True)
    n = len(cell_kind(cfg["mode"]).state_names)
    s0 = [torch.tensor(arrays[f"state0.{i}"], requires_grad=True) for i in range(n)]
    inp = x
    if "lengths" in arrays:
        inp = pack_padded_sequence(x, torch.tensor(arrays["lengths"]), batch_first=cfg["batch_first"],
                                   enforce_sorted=False)
    y, final = m(inp, tuple(s0) if n == 2 else s0[0])
    if "lengths" in arrays:
        y, _ = pad_packed_sequence(y, batch_first=cfg["batch_first"], total_length=cfg["T"])
    final = final if isinstance(final, tuple) else (final,)
    loss = (y * torch.tensor(arrays["dy"])).sum()
    for i, f in enumerate(final):
        loss = loss + (f * torch.tensor(arrays[f"dfinal.{i}"])).sum()
    loss.backward()
    out = {"y": y.detach().numpy(), "dx": x.grad.numpy()}
    out |= {f"final.{i}": f.detach().numpy() for i, f in enumerate(final)}
    out |= {f"dstate0.{i}": s.grad.numpy() for i, s in enumerate(s0)}
    out |= {f"grad.{k}": p.grad.numpy() for k, p in m.named_parameters()}
    return {k: np.ascontiguousarray(v) for k, v in out.items()}
