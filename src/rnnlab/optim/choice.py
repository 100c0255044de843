"""The optimiser a run names (``--optimizer``): one of ``OPTIMIZERS``, or NT-ASGD (``averaging``)."""

from __future__ import annotations

from .averaging import NTASGD
from .optimizers import OPTIMIZERS, SGD, Optimizer, RMSprop

__all__ = ["make_optimizer"]


def make_optimizer(name: str, params, lr: float, momentum: float = 0.0, weight_decay: float = 0.0,
                   nesterov: bool = False, alpha: float = 0.99, nonmono: int = 5) -> Optimizer:
    if name == "ntasgd":
        if momentum:
            raise ValueError("--momentum applies to sgd and rmsprop, not ntasgd")
        return NTASGD(params, lr, nonmono=nonmono, weight_decay=weight_decay)
    if name not in OPTIMIZERS:
        raise ValueError(f"unknown optimizer {name!r}; expected one of {', '.join(OPTIMIZERS)}, ntasgd")
    if name == "sgd":
        return SGD(params, lr, momentum=momentum, nesterov=nesterov, weight_decay=weight_decay)
    if name == "rmsprop":
        return RMSprop(params, lr, alpha=alpha, momentum=momentum, weight_decay=weight_decay)
    if momentum:
        raise ValueError(f"--momentum applies to sgd and rmsprop, not {name}")
    return OPTIMIZERS[name](params, lr, weight_decay=weight_decay)
