"""Optimisers with PyTorch's update rules (``torch.optim``), written for NumPy arrays in place.

Each takes ``params``: a list of (name, param, grad) as given by ``Module.named_parameters()``.
``g`` below is the gradient, ``p`` the parameter, ``t`` the step count starting at 1, ``wd`` the
weight decay (L2: g <- g + wd p, except AdamW which decays the weights directly).
State (moment buffers, step count) saves to arrays + JSON and loads back exactly.
"""

from __future__ import annotations

import numpy as np

__all__ = ["Optimizer", "SGD", "Adam", "AdamW", "RMSprop", "Adagrad", "OPTIMIZERS"]


def _check(name: str, value: float, low: float = 0.0, high: float | None = None, strict: bool = False):
    ok = np.isfinite(value) and (value > low if strict else value >= low) and (high is None or value < high)
    if not ok:
        bound = f"{'>' if strict else '>='} {low}" + ("" if high is None else f" and < {high}")
        raise ValueError(f"{name} must be a finite number {bound}, got {value!r}")
    return float(value)


class Optimizer:
    buffers: tuple[str, ...] = ()  # names of per-parameter state arrays

    def __init__(self, params, lr: float, weight_decay: float = 0.0) -> None:
        self.params = list(params)
        if not self.params:
            raise ValueError("optimizer got no parameters")
        self.lr = _check("learning rate", lr, strict=True)
        self.weight_decay = _check("weight decay", weight_decay)
        self.t = 0
        self.state = {b: {n: np.zeros_like(p) for n, p, _ in self.params} for b in self.buffers}

    def _grad(self, p, g):
        return g + self.weight_decay * p if self.weight_decay else g

    def step(self) -> None:
        self.t += 1
        for name, p, g in self.params:
            self._update(name, p, g)

    def _update(self, name, p, g) -> None:  # pragma: no cover - abstract
        raise NotImplementedError

    def state_dict(self) -> tuple[dict[str, np.ndarray], dict]:
        """(arrays named "<buffer>.<param name>", JSON-able scalars)."""
        arrays = {f"{b}.{n}": a for b, d in self.state.items() for n, a in d.items()}
        return arrays, {"type": type(self).__name__, "t": self.t, "lr": self.lr}

    def load_state_dict(self, arrays: dict[str, np.ndarray], meta: dict) -> None:
        if meta.get("type") != type(self).__name__:
            raise ValueError(f"optimizer state is for {meta.get('type')}, not {type(self).__name__}")
        for b, d in self.state.items():
            for n, a in d.items():
                key = f"{b}.{n}"
                if key not in arrays or arrays[key].shape != a.shape:
                    raise ValueError(f"optimizer state lacks {key} of shape {a.shape}")
                a[...] = arrays[key]
        self.t, self.lr = int(meta["t"]), float(meta["lr"])


class SGD(Optimizer):
    """buf <- mu buf + g (buf = g at t = 1);  g <- g + mu buf (Nesterov) or buf;  p <- p - lr g."""

    buffers = ("momentum",)

    def __init__(self, params, lr: float, momentum: float = 0.0, nesterov: bool = False,
                 weight_decay: float = 0.0) -> None:
        self.momentum = _check("momentum", momentum, high=1.0)
        if nesterov and momentum == 0:
            raise ValueError("Nesterov momentum needs momentum > 0")
        self.nesterov = nesterov
        if not self.momentum:
            self.buffers = ()
        super().__init__(params, lr, weight_decay)

    def _update(self, name, p, g):
        g = self._grad(p, g)
        if self.momentum:
            buf = self.state["momentum"][name]
            if self.t == 1:
                buf[...] = g
            else:
                buf *= self.momentum
                buf += g
            g = g + self.momentum * buf if self.nesterov else buf
        p -= self.lr * g


class Adam(Optimizer):
    """m <- b1 m + (1-b1) g;  v <- b2 v + (1-b2) g^2;  p <- p - lr (m/(1-b1^t)) / (sqrt(v/(1-b2^t)) + eps)."""

    buffers = ("exp_avg", "exp_avg_sq")
    decoupled = False

    def __init__(self, params, lr: float = 1e-3, betas=(0.9, 0.999), eps: float = 1e-8,
                 weight_decay: float = 0.0) -> None:
        self.b1 = _check("beta1", betas[0], high=1.0)
        self.b2 = _check("beta2", betas[1], high=1.0)
        self.eps = _check("eps", eps)
        super().__init__(params, lr, weight_decay)

    def _update(self, name, p, g):
        if self.decoupled:
            p *= 1 - self.lr * self.weight_decay
        else:
            g = self._grad(p, g)
        m, v = self.state["exp_avg"][name], self.state["exp_avg_sq"][name]
        m *= self.b1
        m += (1 - self.b1) * g
        v *= self.b2
        v += (1 - self.b2) * g * g
        bc1, bc2 = 1 - self.b1**self.t, 1 - self.b2**self.t
        p -= (self.lr / bc1) * m / (np.sqrt(v / bc2) + self.eps)


class AdamW(Adam):
    """Adam with decoupled weight decay: p <- p (1 - lr wd) before the Adam step."""

    decoupled = True

    def __init__(self, params, lr: float = 1e-3, betas=(0.9, 0.999), eps: float = 1e-8,
                 weight_decay: float = 1e-2) -> None:
        super().__init__(params, lr, betas, eps, weight_decay)


class RMSprop(Optimizer):
    """v <- a v + (1-a) g^2;  buf <- mu buf + g / (sqrt(v) + eps);  p <- p - lr buf (buf = the
    scaled gradient itself when mu = 0)."""

    buffers = ("square_avg", "momentum")

    def __init__(self, params, lr: float = 1e-2, alpha: float = 0.99, eps: float = 1e-8,
                 momentum: float = 0.0, weight_decay: float = 0.0) -> None:
        self.alpha = _check("alpha", alpha, high=1.0)
        self.eps = _check("eps", eps)
        self.momentum = _check("momentum", momentum, high=1.0)
        super().__init__(params, lr, weight_decay)

    def _update(self, name, p, g):
        g = self._grad(p, g)
        v = self.state["square_avg"][name]
        v *= self.alpha
        v += (1 - self.alpha) * g * g
        step = g / (np.sqrt(v) + self.eps)
        if self.momentum:
            buf = self.state["momentum"][name]
            buf *= self.momentum
            buf += step
            step = buf
        p -= self.lr * step


class Adagrad(Optimizer):
    """s <- s + g^2;  p <- p - lr g / (sqrt(s) + eps)."""

    buffers = ("sum",)

    def __init__(self, params, lr: float = 1e-2, eps: float = 1e-10, weight_decay: float = 0.0) -> None:
        self.eps = _check("eps", eps)
        super().__init__(params, lr, weight_decay)

    def _update(self, name, p, g):
        g = self._grad(p, g)
        s = self.state["sum"][name]
        s += g * g
        p -= self.lr * g / (np.sqrt(s) + self.eps)


OPTIMIZERS = {"sgd": SGD, "adam": Adam, "adamw": AdamW, "rmsprop": RMSprop, "adagrad": Adagrad}
