"""Gradient checking by central differences in float64.

    numerical dL/dx_i = (L(x + eps e_i) - L(x - eps e_i)) / (2 eps)

Each layer's loss is a random linear function of *all* its outputs, L = sum(y * dy) + sum(h_n * dh_n)
(+ sum(c_n * dc_n)), so its analytic gradients are exactly what ``backward(dy, dh_n)`` returns.
The error of a tensor is max|analytic - numerical| / max(max|analytic|, max|numerical|).
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

__all__ = ["numerical_gradient", "relative_error", "gradcheck", "check_model", "randomise", "TOLERANCE"]

TOLERANCE = 1e-6  # float64 central differences with eps = 1e-6 land near 1e-9 on these sizes


def numerical_gradient(f: Callable[[], float], x: np.ndarray, eps: float = 1e-6,
                       indices: np.ndarray | None = None) -> np.ndarray:
    """Central differences of ``f()`` w.r.t. ``x`` (perturbed in place, restored), float64 only.

    ``indices`` (flat) limits the check to some elements; the others stay NaN.
    """
    if x.dtype != np.float64:
        raise ValueError(f"gradcheck needs float64 arrays, got {x.dtype}")
    flat = x.reshape(-1)  # a view: x must be contiguous
    if not np.shares_memory(flat, x):
        raise ValueError("gradcheck needs contiguous arrays")
    grad = np.full(x.size, np.nan)
    for i in range(x.size) if indices is None else indices:
        old = flat[i]
        flat[i] = old + eps
        fp = f()
        flat[i] = old - eps
        fm = f()
        flat[i] = old
        grad[i] = (fp - fm) / (2 * eps)
    return grad.reshape(x.shape)


def relative_error(analytic: np.ndarray, numerical: np.ndarray) -> float:
    """max|a - n| / max(max|a|, max|n|) over the elements where n is known (0 if both are 0)."""
    known = ~np.isnan(numerical)
    a, n = np.asarray(analytic)[known], numerical[known]
    scale = max(np.abs(a).max(initial=0.0), np.abs(n).max(initial=0.0))
    return 0.0 if scale == 0 else float(np.abs(a - n).max() / scale)


def gradcheck(f: Callable[[], float], wrt: dict[str, np.ndarray], analytic: dict[str, np.ndarray],
              eps: float = 1e-6, max_elements: int | None = None, seed: int = 0) -> dict[str, float]:
    """Relative error of each ``analytic[name]`` against central differences of ``f`` over ``wrt[name]``.

    ``max_elements`` checks a random subset of that many elements per tensor (all if None).
    """
    rng = np.random.default_rng(seed)
    errors = {}
    for name, x in wrt.items():
        idx = None
        if max_elements is not None and x.size > max_elements:
            idx = rng.choice(x.size, size=max_elements, replace=False)
        errors[name] = relative_error(analytic[name], numerical_gradient(f, x, eps, idx))
    return errors


def randomise(module, rng, scale=0.5):
    """Random weights *and* biases (the default init may hide bias bugs)."""
    module.load_state_dict({k: rng.normal(size=v.shape) * scale for k, v in module.state_dict().items()})


def reseed(module, seed: int, path: str = "") -> None:
    """Give every dropout generator in ``module`` a fresh one fixed by ``seed`` and its place: the same
    masks on every forward of a gradcheck."""
    if isinstance(getattr(module, "rng", None), np.random.Generator):
        module.rng = np.random.default_rng([seed, len(path)])
    for name, child in sorted(module.children.items()):
        reseed(child, seed, f"{path}{name}.")


def check_model(model, ce, forward, seed: int, eps: float, max_elements: int | None, x=None) -> dict[str, float]:
    """Gradcheck every parameter of ``model`` (and its input ``x``, if given: what ``model.backward``
    returns) for the loss ``forward()`` (the model's forward, then ``ce``'s), with the same dropout masks
    on every call."""
    def loss() -> float:
        reseed(model, seed)
        value = forward()
        model.clear_records()
        return value

    reseed(model, seed)
    forward()
    model.zero_grad()
    dx = model.backward(ce.backward())
    named = list(model.named_parameters())
    wrt, analytic = {k: p for k, p, _ in named}, {k: g for k, _, g in named}
    if x is not None:
        wrt, analytic = wrt | {"input": x}, analytic | {"input": dx}
    return gradcheck(loss, wrt, analytic, eps=eps, max_elements=max_elements, seed=seed)
