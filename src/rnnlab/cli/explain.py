"""``rnnlab explain``: one recurrent step with every number, forward and backward."""

from __future__ import annotations

import json

import numpy as np

from .args import UsageError

__all__ = ["cmd_explain", "vector"]


def vector(flag: str, text: str | None) -> np.ndarray | None:
    if text is None:
        return None
    try:
        v = np.array([float(t) for t in text.replace(",", " ").split()])
    except ValueError:
        raise UsageError(f"{flag} takes numbers separated by commas (like 0.5,0.1), got {text!r}") from None
    if v.size == 0 or not np.all(np.isfinite(v)):
        raise UsageError(f"{flag} takes finite numbers separated by commas (like 0.5,0.1), got {text!r}")
    return v


def _run_weights(run: str, layer: int) -> tuple[str, dict[str, np.ndarray]]:
    """(cell kind, layer ``layer``'s forward-direction weights) of a run folder's best weights."""
    from ..tasks import read_run_config
    from ..train import load_weights

    cfg = read_run_config(run)
    weights, _ = load_weights(run, "best")
    prefixes = sorted({k[:-len(f"weight_ih_l{layer}")] for k in weights if k.endswith(f"weight_ih_l{layer}")})
    if not prefixes:
        raise ValueError(f"{run} has no recurrent layer {layer} (its model has {cfg.layers} layers: 0..{cfg.layers - 1})")
    pre = prefixes[0]  # the first recurrent stack (an encoder-decoder's encoder)
    return cfg.cell, {k: weights[f"{pre}{k}_l{layer}"].astype(np.float64)
                      for k in ("weight_ih", "weight_hh", "bias_ih", "bias_hh") if f"{pre}{k}_l{layer}" in weights}


def cmd_explain(args) -> int:
    from ..insight.explain import explain_step, format_step, random_weights, worked_example

    x, h, c, dh, dc = (vector(f"--{n}", getattr(args, n)) for n in ("x", "h", "c", "dh", "dc"))
    cell = args.cell
    if args.run:
        if args.seed is not None:
            raise UsageError("--run and --seed both give weights; choose one")
        cell, weights = _run_weights(args.run, args.layer)
        if args.cell and args.cell != cell:
            raise UsageError(f"{args.run} is a {cell} run; drop --cell or make it {cell}")
        source = f"{args.run}, layer {args.layer}"
        H, D = weights["weight_hh"].shape[1], weights["weight_ih"].shape[1]
        if h is None:
            h = np.zeros(H)
            source += "; h_{t-1} = 0, the state each sequence starts from"
        if x is None:
            x = np.random.default_rng(0).normal(size=D)
            source += f"; x_t ({D} values) drawn from N(0, 1) with seed 0 (give --x)"
    elif (cell or "lstm") == "lstm" and args.seed is None and not any(v is not None for v in (x, h, c)):
        cell, (weights, example) = "lstm", worked_example()
        x, h, c = example["x"], example["h"], example["c"]
        source = ("the seed articles' worked example: gates set by the biases (W = 0) to f = [0.63, 0.82], "
                  "i = [0.41, 0.29], c~ = [0.72, -0.59]; o not given, 0.5")
    else:
        cell = cell or "lstm"
        x = np.array([0.5, 0.1]) if x is None else x
        h = np.array([0.2, 0.4]) if h is None else h
        seed = 0 if args.seed is None else args.seed
        weights = random_weights(cell, len(x), len(h), seed)
        source = f"weights from seed {seed}, PyTorch's initialisation"
    numbers = explain_step(cell, weights, x, h, c, dh, dc)
    if args.json:
        print(json.dumps({"cell": cell, "source": source} | {k: v.tolist() for k, v in numbers.items()}))
    else:
        print(format_step(cell, numbers, source))
    return 0
