"""Plot a run's metrics: loss (train and valid) and learning rate against steps, as a PNG.

matplotlib is imported here only (``pip install rnnlab[plot]``), with the Agg backend (no screen).
Chinese text is drawn with a CJK font when one is installed (``CJK_FONTS``, after the default font so
Latin text looks as before); without one, a figure with Chinese in it says once how to get one, rather
than drawing boxes behind a wall of "Glyph missing" warnings.
"""

from __future__ import annotations

import json
import math
from pathlib import Path

__all__ = ["read_metrics", "reported_validation", "plot_run", "plot_attention", "pyplot", "save_figure", "CJK_FONTS",
           "cjk_font"]

# families that draw Chinese, most common on Linux first, then macOS and Windows
CJK_FONTS = ("Noto Sans CJK SC", "Noto Sans CJK JP", "Source Han Sans SC", "WenQuanYi Zen Hei", "WenQuanYi Micro Hei",
             "Droid Sans Fallback", "AR PL UMing CN", "PingFang SC", "Heiti SC", "Microsoft YaHei", "SimHei")


def pyplot():
    """matplotlib.pyplot on the Agg backend (no screen), or an ImportError saying how to install it."""
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError as e:
        raise ImportError("plotting needs matplotlib: pip install 'rnnlab[plot]'") from e
    font = cjk_font()
    if font and font not in plt.rcParams["font.sans-serif"]:
        plt.rcParams["font.sans-serif"] = [plt.rcParams["font.sans-serif"][0], font, *plt.rcParams["font.sans-serif"][1:]]
    return plt


def cjk_font() -> str | None:
    """The first of ``CJK_FONTS`` matplotlib finds installed, or None."""
    from matplotlib import font_manager

    installed = {f.name for f in font_manager.fontManager.ttflist}
    return next((name for name in CJK_FONTS if name in installed), None)


def _chinese_drawable(texts) -> bool:
    """False, after a one-line note on stderr, when ``texts`` hold Chinese and no CJK font is installed."""
    from .data.text import han

    if cjk_font() is not None or not any(han(c) for t in texts for c in str(t)):
        return True
    import sys

    print("note: no Chinese font is installed, so the figure's Chinese shows as boxes; install one (Debian and "
          "Ubuntu: apt install fonts-noto-cjk; others: a Noto Sans CJK or WenQuanYi font)", file=sys.stderr)
    return False


def save_figure(fig, path: str | Path) -> Path:
    """Lay out, write as PNG, close; the path. A folder that does not exist is a FileNotFoundError
    (a mistyped path does not create folders)."""
    path = Path(path)
    if not path.parent.is_dir():
        pyplot().close(fig)
        raise FileNotFoundError(f"{path}: no such folder {path.parent}")
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    pyplot().close(fig)
    return path


def read_metrics(run: Path) -> list[dict]:
    from .train.run_folder import RunFolder

    path = RunFolder(run).metrics
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


def reported_validation(run: Path, weights: str = "best") -> tuple[int, float] | None:
    """(step, valid loss) of the weights ``rnnlab eval --weights`` reads: best, those of
    best.safetensors (its metadata); last, the latest validation in the metrics. None if there is none.
    (A validation at a stop that a resume continued is dropped from the metrics, but best.safetensors
    keeps its weights if they were the best.)"""
    from .train.checkpoint import load_checkpoint
    from .train.run_folder import RunFolder

    if weights == "best":
        path = RunFolder(run).best
        if not path.is_file():
            return None
        meta = load_checkpoint(path, arrays=False)[1]
        return meta["step"], meta["valid_loss"]
    valid = [(r["step"], r["valid_loss"]) for r in read_metrics(run) if "valid_loss" in r]
    return valid[-1] if valid else None


def plot_run(run: Path, out: Path | None = None, weights: str = "best") -> Path:
    """PNG of the run's losses and learning rate; its title reports the validation loss of ``weights``
    (best: the best validation's, which best.safetensors holds; last: the latest validation's), as
    ``rnnlab eval --weights`` does."""
    rows = read_metrics(run)
    train = [(r["step"], r["train_loss"]) for r in rows if "train_loss" in r]
    valid = [(r["step"], r["valid_loss"]) for r in rows if "valid_loss" in r]
    lr = [(r["step"], r["lr"]) for r in rows if "lr" in r]
    if not train and not valid:
        raise ValueError(f"{run} has no metrics yet; train for at least --log-every steps")
    plt = pyplot()
    from .train.run_folder import RunFolder

    cfg = RunFolder(run).read_config()
    fig, (ax1, ax2) = plt.subplots(2, 1, figsize=(8, 6), sharex=True, height_ratios=(3, 1))
    if train:
        ax1.plot(*zip(*train), label="train", lw=1, alpha=0.8)
    if valid:
        ax1.plot(*zip(*valid), "o-", label="valid", ms=3)
    reported = reported_validation(run, weights)
    if reported is not None:
        step, loss = reported
        ax1.set_title(f"{Path(run).name}: {cfg['layers']}x{cfg['hidden']} {cfg['cell']} on {cfg['data']} - {weights} "
                      f"valid loss {loss:.3f} (perplexity {math.exp(min(loss, 700)):.1f}, step {step})", fontsize=10)
    ax1.set_ylabel("loss (nats per token)")
    ax1.grid(alpha=0.3)
    ax1.legend()
    if lr:
        ax2.plot(*zip(*lr), color="tab:green")
    ax2.set_ylabel("learning rate")
    ax2.set_xlabel("step")
    ax2.grid(alpha=0.3)
    return save_figure(fig, Path(out) if out else Path(run) / "plot.png")


def plot_attention(path: str | Path, weights, source: list[str], output: list[str]) -> Path:
    """PNG heatmap of attention weights (len(output), len(source)): output tokens down, source across."""
    plt = pyplot()
    fig, ax = plt.subplots(figsize=(max(3, 0.4 * len(source) + 1.5), max(2.5, 0.35 * len(output) + 1)))
    ax.imshow(weights, cmap="viridis", vmin=0, vmax=1, aspect="auto")
    ax.set_xticks(range(len(source)), [repr(t)[1:-1] or " " for t in source])
    ax.set_yticks(range(len(output)), output)
    ax.set_xlabel("source")
    ax.set_ylabel("output")
    if _chinese_drawable(source + output):
        return save_figure(fig, path)
    import warnings

    with warnings.catch_warnings():  # said once above, not once a glyph
        warnings.filterwarnings("ignore", message="Glyph .* missing from font")
        return save_figure(fig, path)
