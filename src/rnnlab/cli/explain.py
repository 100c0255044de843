"""``rnnlab explain``: one recurrent step with every number, forward and backward."""

from __future__ import annotations

import json
from pathlib import Path

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


def _matrix(flag: str, text: str | None, T: int, width: int) -> np.ndarray | None:
    """Rows of numbers separated by ; (one a step), T rows of ``width`` values."""
    if text is None:
        return None
    rows = [vector(flag, part) for part in text.split(";")]
    if len(rows) != T or any(r.size != width for r in rows):
        raise UsageError(f"{flag} takes {T} step(s) of {width} number(s), separated by ; (like 0.5,0.1;0.2,0.3), "
                         f"got {text!r}")
    return np.array(rows)


def _page(args, cell: str, w: dict, x, h0, targets, result: dict, lang: str) -> None:
    """--html: the page of the network unrolled, the RNN, LSTM and GRU on the same inputs (``cell`` with
    its weights, the others from --seed)."""
    from ..insight.unrolled import random_network, unroll
    from ..insight.unrolled_page import build_unrolled_page

    D, H, O = x.shape[1], h0.size, w["W_hy"].shape[0]
    views = {}
    for kind in ("rnn", "lstm", "gru"):
        r = result if kind == cell else unroll(kind, random_network(kind, D, H, O, args.seed or 0), x, h0, targets,
                                                loss=args.loss, last_only=args.loss_at == "last")
        views[kind] = _plain({"x": x, "steps": r["steps"], "loss": r["loss"], "grads": {"h": r["grads"]["h"]}})
    if cell not in views:
        views[cell] = _plain({"x": x, "steps": result["steps"], "loss": result["loss"],
                              "grads": {"h": result["grads"]["h"]}})
    out = Path(args.html)
    out.write_text(build_unrolled_page(views, cell, lang), encoding="utf-8")
    import sys

    print(f"wrote {out}", file=sys.stderr)


def _plain(v):
    """Arrays as lists, through dicts and lists (for JSON)."""
    if isinstance(v, np.ndarray):
        return v.tolist()
    if isinstance(v, dict):
        return {k: _plain(u) for k, u in v.items()}
    if isinstance(v, (list, tuple)):
        return [_plain(u) for u in v]
    return v


def _unrolled(args) -> int:
    """--steps T: the layer unrolled with an output layer and a loss, forward and BPTT."""
    from ..insight.messages import language, text
    from ..insight.unrolled import format_unrolled, from_article, random_network, to_article, unroll
    from ..nn import cell_kind

    T, lang = args.steps, language(args.lang)
    if args.html and not Path(args.html).expanduser().parent.is_dir():
        raise UsageError(f"--html {args.html}: no such folder {Path(args.html).parent}")
    if args.c is not None or args.dh is not None or args.dc is not None:
        raise UsageError("with --steps the gradients come from the loss; drop --c, --dh and --dc")
    seed = 0 if args.seed is None else args.seed
    if args.weights and (args.run or args.seed is not None):
        raise UsageError("--weights, --run and --seed each give the weights; choose one")
    stored = {}  # a --json output given as --weights: its inputs, initial state and targets too
    if args.weights:
        path = Path(args.weights)
        if not path.is_file():
            raise FileNotFoundError(f"--weights {path}: no such file")
        try:
            given = json.loads(path.read_text())
        except json.JSONDecodeError as e:
            raise ValueError(f"--weights {path} is not JSON: {e}") from None
        cell = cell_kind(args.cell or "lstm").name
        try:
            w = from_article(cell, given.get("weights", given) if isinstance(given, dict) else {})
        except ValueError as e:
            raise ValueError(f"--weights {path}: {e}") from None
        H, D = w["weight_hh"].shape[1], w["weight_ih"].shape[1]
        source = f"weights from {path}"
        if isinstance(given, dict) and "weights" in given:
            stored = {k: given[k] for k in ("x", "h0", "targets") if k in given}
    elif args.run:
        cell, layer = _run_weights(args.run, args.layer)
        if args.cell and args.cell != cell:
            raise UsageError(f"{args.run} is a {cell} run; drop --cell or make it {cell}")
        H, D = layer["weight_hh"].shape[1], layer["weight_ih"].shape[1]
        w = random_network(cell, D, H, args.output_size or 2, seed) | layer
        source = f"{args.run}, layer {args.layer}; output layer from seed {seed}"
    else:
        cell = cell_kind(args.cell or "lstm").name
        D, H = args.input_size or 3, args.hidden_size or 4
        w = random_network(cell, D, H, args.output_size or 2, seed)
        source = text(lang, "source_seed", seed=seed)
    O = w["W_hy"].shape[0]
    ce = args.loss == "ce"
    for name, flag, shape in (("x", "x", (T, D)), ("h0", "h", (H,)), ("targets", "targets", (T,) if ce else (T, O))):
        if name in stored and getattr(args, flag) is None and np.shape(stored[name]) != shape:
            raise UsageError(f"--weights {args.weights} holds {name} of shape {np.shape(stored[name])}, where --steps "
                             f"{T} takes {shape}; give --{flag}")
    x = _matrix("--x", args.x, T, D)
    x = np.asarray(stored["x"], float) if x is None and "x" in stored else x
    x = np.random.default_rng([seed, 2]).normal(size=(T, D)) if x is None else x
    h0 = vector("--h", args.h)
    h0 = np.asarray(stored["h0"], float) if h0 is None and "h0" in stored else h0
    h0 = np.zeros(H) if h0 is None else h0
    if h0.size != H:
        raise UsageError(f"--h has {h0.size} value{'s' * (h0.size != 1)}; the layer has {H} hidden units")
    if args.targets is None and "targets" in stored:
        targets = np.asarray(stored["targets"], int if ce else float)
    elif ce:
        targets = _matrix("--targets", args.targets, T, 1)
        if targets is None or np.any(targets != np.round(targets)) or np.any((targets < 0) | (targets >= O)):
            raise UsageError(f"--loss ce takes --targets of {T} class(es) in 0..{O - 1}, one a step (like 0;1;1)")
        targets = targets[:, 0].astype(int)
    else:
        targets = _matrix("--targets", args.targets, T, O)
        targets = np.zeros((T, O)) if targets is None else targets
    if ce and (np.any(targets < 0) or np.any(targets >= O)):
        raise UsageError(f"--loss ce takes --targets of {T} class(es) in 0..{O - 1}, one a step (like 0;1;1)")
    result = unroll(cell, w, x, h0, targets, loss=args.loss, last_only=args.loss_at == "last")
    if args.html:
        _page(args, cell, w, x, h0, targets, result, lang)
        if not args.json:
            return 0
    weights = to_article(cell, w) | {"W_hy": w["W_hy"], "b_y": w["b_y"]}
    if args.json:
        plain = lambda v: v.tolist() if isinstance(v, np.ndarray) else v  # noqa: E731
        print(json.dumps({"cell": cell, "source": source, "weights": {k: plain(v) for k, v in weights.items()},
                          "x": x.tolist(), "h0": h0.tolist(), "targets": targets.tolist(),
                          "steps": [{k: plain(v) for k, v in s.items()} for s in result["steps"]],
                          "loss": result["loss"], "dL/do": result["dL/do"].tolist(), "grads": {k: plain(v) for k, v in result["grads"].items()},
                          "contributions": {k: [plain(c) for c in v] for k, v in result["contributions"].items()}}))
        return 0
    print(format_unrolled(cell, weights, x, h0, targets, result, source, args.loss, lang))
    return 0


def cmd_explain(args) -> int:
    from ..insight.explain import explain_step, format_step, random_weights, worked_example, worked_example_note
    from ..insight.messages import language, text

    if args.steps:
        return _unrolled(args)
    if any(v is not None for v in (args.input_size, args.hidden_size, args.output_size, args.targets, args.weights,
                                   args.html)) or args.loss != "mse" or args.loss_at != "all":
        raise UsageError("--input-size, --hidden-size, --output-size, --targets, --weights, --html, --loss and "
                         "--loss-at go with --steps T")

    x, h, c, dh, dc = (vector(f"--{n}", getattr(args, n)) for n in ("x", "h", "c", "dh", "dc"))
    cell, worked = args.cell, False
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
        source = text(language(args.lang), "source_worked")
        worked = True
    else:
        cell = cell or "lstm"
        x = np.array([0.5, 0.1]) if x is None else x
        h = np.array([0.2, 0.4]) if h is None else h
        seed = 0 if args.seed is None else args.seed
        weights = random_weights(cell, len(x), len(h), seed)
        source = text(language(args.lang), "source_seed", seed=seed)
    numbers = explain_step(cell, weights, x, h, c, dh, dc)
    note = worked_example_note(language(args.lang)) if worked else None
    if args.json:
        print(json.dumps({"cell": cell, "source": source} | ({"note": note} if note else {})
                         | {k: v.tolist() for k, v in numbers.items()}))
    else:
        print(format_step(cell, numbers, source, language(args.lang)) + (f"\n\n{note}" if note else ""))
    return 0
