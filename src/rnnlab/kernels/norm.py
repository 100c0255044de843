"""Layer normalisation of each row of a step's arrays, without gain or shift (the cells add their own):

    v (N, K) -> v_hat = (v - mu) / s,   mu = mean_k v,   s = sqrt(mean_k (v - mu)^2 + eps)

Backward, given dv_hat (the gradient of v_hat):

    dv = (dv_hat - mean_k dv_hat - v_hat * mean_k (dv_hat * v_hat)) / s
"""

from __future__ import annotations

import numpy as np

__all__ = ["EPS", "normalise", "normalise_backward", "products_backward"]

EPS = 1e-5


def normalise(v: np.ndarray, out: np.ndarray, s_out: np.ndarray) -> np.ndarray:
    """v_hat of v (N, K) into ``out`` (N, K), s into ``s_out`` (N, 1); returns ``out``."""
    mu = v.mean(axis=-1, keepdims=True)
    np.subtract(v, mu, out=out)
    np.sqrt((out * out).mean(axis=-1, keepdims=True) + v.dtype.type(EPS), out=s_out)
    out /= s_out
    return out


def normalise_backward(dv_hat: np.ndarray, v_hat: np.ndarray, s: np.ndarray) -> np.ndarray:
    """dL/dv (N, K) from dL/dv_hat, v_hat (N, K) and s (N, 1)."""
    return (dv_hat - dv_hat.mean(axis=-1, keepdims=True)
            - v_hat * (dv_hat * v_hat).mean(axis=-1, keepdims=True)) / s


def products_backward(dx_hat: np.ndarray, dh_hat: np.ndarray, ws: dict, k: int, out=None):
    """(dxp, dhp) of step k of a layer-normalised cell from the gradients of its normalised products
    norm(x W_ih^T) and norm(h W_hh^T) (each already times its gain), whose v_hat and s the workspace keeps
    as xn, sx and hn, sh; dxp written into ``out`` when given."""
    dxp = normalise_backward(dx_hat, ws["xn"][k], ws["sx"][k])
    if out is not None:
        out[...] = dxp
        dxp = out
    return dxp, normalise_backward(dh_hat, ws["hn"][k], ws["sh"][k])
