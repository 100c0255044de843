"""The commands that look inside a network: ``rnnlab explain`` (one step with every number) and
``rnnlab inspect`` (a run's activations, gradient flow and gate saturation: text, HTML page, PNGs)."""

from __future__ import annotations

import json

import numpy as np

from .cli_args import UsageError

__all__ = ["cmd_explain", "cmd_inspect"]


def _vector(flag: str, text: str | None) -> np.ndarray | None:
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
    from .train import load_weights
    from .train.config import read_run_config

    cfg = read_run_config(run)
    weights, _ = load_weights(run, "best")
    prefixes = sorted({k[:-len(f"weight_ih_l{layer}")] for k in weights if k.endswith(f"weight_ih_l{layer}")})
    if not prefixes:
        raise ValueError(f"{run} has no recurrent layer {layer} (its model has {cfg.layers} layers: 0..{cfg.layers - 1})")
    pre = prefixes[0]  # the first recurrent stack (an encoder-decoder's encoder)
    return cfg.cell, {k: weights[f"{pre}{k}_l{layer}"].astype(np.float64)
                      for k in ("weight_ih", "weight_hh", "bias_ih", "bias_hh") if f"{pre}{k}_l{layer}" in weights}


def cmd_explain(args) -> int:
    from .explain import explain_step, format_step, random_weights, worked_example

    x, h, c, dh, dc = (_vector(f"--{n}", getattr(args, n)) for n in ("x", "h", "c", "dh", "dc"))
    cell = args.cell
    if args.run:
        if args.seed is not None:
            raise UsageError("--run and --seed both give weights; choose one")
        cell, weights = _run_weights(args.run, args.layer)
        if args.cell and args.cell != cell:
            raise UsageError(f"{args.run} is a {cell} run; drop --cell or make it {cell}")
        source = f"{args.run}, layer {args.layer}"
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


def _pngs(info: dict, prefix: str) -> list[str]:
    """PREFIX-flow.png (gradient flow and step singular values) and, for gated cells,
    PREFIX-saturation.png."""
    from .plot import pyplot, save_figure

    plt = pyplot()
    fig, (a, b) = plt.subplots(1, 2, figsize=(10, 3.8))
    for name, ys in info["flow"].items():
        a.semilogy(ys, label=name)
    a.set_xlabel("lag T - t")
    a.set_ylabel("||dL/dh_t||")
    a.set_title("gradient flow")
    for name, ys in info["jacobian"].items():
        b.plot(ys, label=name)
    b.set_xlabel("step t")
    b.set_ylabel("singular value of d s_t / d s_{t-1}")
    b.legend()
    fig.suptitle(f"{info['run']} ({info['cell']})")
    written = [f"{prefix}-flow.png"]
    save_figure(fig, written[0])
    if info["saturation"]:
        fig, ax = plt.subplots(figsize=(4.5, 4.5))
        for gate, (left, right) in info["saturation"].items():
            ax.scatter(left, right, s=12, alpha=0.7, label=f"{gate} gate")
        ax.plot([0, 1], [1, 0], color="#ccc", lw=0.8)
        ax.set_xlim(0, 1)
        ax.set_ylim(0, 1)
        ax.set_xlabel("fraction left-saturated (< 0.1)")
        ax.set_ylabel("fraction right-saturated (> 0.9)")
        ax.legend()
        written.append(f"{prefix}-saturation.png")
        save_figure(fig, written[1])
    return written


def cmd_inspect(args) -> int:
    from pathlib import Path

    from .inspection import inspect_run
    from .page import build_page

    units = None if args.units is None else [int(u) for u in _vector("--units", args.units)]
    info = inspect_run(args.run, args.text, units, args.top)
    if args.json:
        print(json.dumps(info))
    if args.html:
        out = Path(args.html)
        if not out.parent.is_dir():
            raise FileNotFoundError(f"--html {out}: no such folder {out.parent}")
        out.write_text(build_page(f"Inside {info['run']} ({info['cell']})", info["about"], info["tokens"],
                                  info["units"], info["values"], info["signed"], info["flow"], info["jacobian"],
                                  info["saturation"]), encoding="utf-8")
        print(f"wrote {out}")
    if args.png:
        for path in _pngs(info, args.png):
            print(f"wrote {path}")
    if not (args.json or args.html or args.png):
        flow = info["flow"]["||dL/dh_t||"]
        lags = [j for j in (0, 1, 5, 10, 20, 50, 100, 200, 400) if j < len(flow)]
        print(f"{info['run']} ({info['cell']}): {info['about']}")
        print("||dL/dh_t|| at lag " + ", ".join(f"{j}: {flow[j]:.3g}" for j in lags))
        for gate, (left, right) in info["saturation"].items():
            print(f"{gate} gate: left-saturated {np.mean(left):.0%}, right-saturated {np.mean(right):.0%} of steps "
                  f"(mean over units)")
        norms = info["parameter_norms"]
        print("||dL/dW||: " + ", ".join(f"{k} {v:.3g}" for k, v in norms.items() if "weight" in k))
        print("(--html PAGE.html for the page, --png PREFIX for figures)")
    return 0
