"""``rnnlab inspect``: a run's activations, gradient flow and gate saturation as text, an HTML page or
PNGs."""

from __future__ import annotations

import json

import numpy as np

from .explain import vector

__all__ = ["cmd_inspect"]


def _pngs(info: dict, prefix: str) -> list[str]:
    """PREFIX-flow.png (gradient flow and step singular values) and, for gated cells,
    PREFIX-saturation.png."""
    from ..plot import pyplot, save_figure

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

    from ..insight.inspection import inspect_run
    from ..insight.messages import language, quantity_term, text
    from ..insight.page import build_page
    from .args import check_png

    lang = language(args.lang)
    if args.png:
        check_png("--png", args.png + "-flow.png")
    units = None if args.units is None else [int(u) for u in vector("--units", args.units)]
    info = inspect_run(args.run, args.text, units, args.top)
    if args.json:
        print(json.dumps(info))
    if args.html:
        out = Path(args.html)
        if not out.parent.is_dir():
            raise FileNotFoundError(f"--html {out}: no such folder {out.parent}")
        out.write_text(build_page(info, lang), encoding="utf-8")
        print(f"wrote {out}")
    if args.png:
        for path in _pngs(info, args.png):
            print(f"wrote {path}")
    if not (args.json or args.html or args.png):
        flow = info["flow"]["||dL/dh_t||"]
        lags = [j for j in (0, 1, 5, 10, 20, 50, 100, 200, 400) if j < len(flow)]
        print(f"{info['run']} ({info['cell']}): {info['about']}")
        print(text(lang, "flow_at", lags=", ".join(f"{j}: {flow[j]:.3g}" for j in lags)))
        for gate, (left, right) in info["saturation"].items():
            print(text(lang, "gate_saturated", gate=quantity_term(lang, f"{gate} gate"), left=np.mean(left),
                       right=np.mean(right)))
        norms = info["parameter_norms"]
        print(text(lang, "weight_norms", norms=", ".join(f"{k} {v:.3g}" for k, v in norms.items() if "weight" in k)))
        print(text(lang, "more"))
    return 0
