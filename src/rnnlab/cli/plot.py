"""``rnnlab plot``: a run's losses and learning rate against steps, as a PNG."""

from __future__ import annotations

from pathlib import Path

__all__ = ["cmd_plot"]


def cmd_plot(args) -> int:
    from ..plot import plot_run
    from .args import check_png

    check_png("--out", args.out)
    out = plot_run(Path(args.run), Path(args.out) if args.out else None, args.weights)
    print(f"wrote {out}")
    return 0
