"""Plot a run's metrics: loss (train and valid) and learning rate against steps, as a PNG.

matplotlib is imported here only (``pip install rnnlab[plot]``), with the Agg backend (no screen).
"""

from __future__ import annotations

import json
import math
from pathlib import Path

__all__ = ["read_metrics", "plot_run"]


def read_metrics(run: Path) -> list[dict]:
    path = Path(run) / "metrics.jsonl"
    if not path.is_file():
        raise FileNotFoundError(f"{run} is not a run folder (no metrics.jsonl)")
    rows = []
    for i, line in enumerate(path.read_text().splitlines(), 1):
        if line.strip():
            try:
                rows.append(json.loads(line))
            except json.JSONDecodeError as e:
                raise ValueError(f"{path}:{i} is not JSON: {e}") from e
    return rows


def plot_run(run: Path, out: Path | None = None) -> Path:
    rows = read_metrics(run)
    train = [(r["step"], r["train_loss"]) for r in rows if "train_loss" in r]
    valid = [(r["step"], r["valid_loss"]) for r in rows if "valid_loss" in r]
    lr = [(r["step"], r["lr"]) for r in rows if "lr" in r]
    if not train and not valid:
        raise ValueError(f"{run} has no metrics yet; train for at least --log-every steps")
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError as e:
        raise ImportError("plotting needs matplotlib: pip install 'rnnlab[plot]'") from e
    cfg = json.loads((Path(run) / "config.json").read_text())
    fig, (ax1, ax2) = plt.subplots(2, 1, figsize=(8, 6), sharex=True, height_ratios=(3, 1))
    if train:
        ax1.plot(*zip(*train), label="train", lw=1, alpha=0.8)
    if valid:
        ax1.plot(*zip(*valid), "o-", label="valid", ms=3)
        best = min(v for _, v in valid)
        ax1.set_title(f"{Path(run).name}: {cfg['layers']}x{cfg['hidden']} {cfg['cell']} on {cfg['data']} - best valid "
                      f"loss {best:.3f} (perplexity {math.exp(min(best, 700)):.1f})", fontsize=10)
    ax1.set_ylabel("loss (nats per token)")
    ax1.grid(alpha=0.3)
    ax1.legend()
    if lr:
        ax2.plot(*zip(*lr), color="tab:green")
    ax2.set_ylabel("learning rate")
    ax2.set_xlabel("step")
    ax2.grid(alpha=0.3)
    fig.tight_layout()
    out = Path(out) if out else Path(run) / "plot.png"
    fig.savefig(out, dpi=110)
    plt.close(fig)
    return out
