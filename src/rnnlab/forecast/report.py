"""What ``rnnlab forecast`` shows: one table of every method, the JSON summary, and a plot of the
history, the actuals, each method's forecasts and rnnlab's interval (matplotlib, imported here only)."""

from __future__ import annotations

import math
from pathlib import Path

from .metrics import METRICS

__all__ = ["owa", "summary", "table", "plot_forecasts"]


def owa(r: dict, naive2: dict) -> float:
    """The M4 competition's overall weighted average: (sMAPE / Naive2's + MASE / Naive2's) / 2, of the
    means over the same series and windows (1: as good as Naive2; lower is better)."""
    return 0.5 * (r["smape"] / naive2["smape"] + r["mase"] / naive2["mase"])


def summary(results: dict[str, dict]) -> dict[str, dict[str, float]]:
    """{method: {mae, rmse, smape, mase, coverage[, owa]}} (the --json output; OWA when Naive2 ran)."""
    out = {name: {k: r[k] for k in (*METRICS, "coverage")} for name, r in results.items()}
    if "naive2" in results:
        for name, r in results.items():
            out[name]["owa"] = owa(r, results["naive2"])
    return out


def table(results: dict[str, dict], level: float, what: str) -> str:
    """A markdown table, best MASE first; ``what`` heads the method column."""
    n2 = results.get("naive2")
    head = f"| {what} | MAE | RMSE | sMAPE | MASE |{' OWA |' if n2 else ''} {level:.0%} coverage |"
    lines = [head, "|---|---:|---:|---:|---:|" + ("---:|" if n2 else "") + "---:|"]
    for name, r in sorted(results.items(), key=lambda kv: kv[1]["mase"]):
        cov = "-" if math.isnan(r["coverage"]) else f"{r['coverage']:.0%}"
        note = f" ({r['fallbacks']} fits fell back to naive)" if r.get("fallbacks") else ""
        lines.append(f"| {name}{note} | {r['mae']:.4g} | {r['rmse']:.4g} | {r['smape']:.2f} | {r['mase']:.3f} "
                     + (f"| {owa(r, n2):.3f} " if n2 else "") + f"| {cov} |")
    return "\n".join(lines)


def plot_forecasts(path: str | Path, series, results: dict[str, dict], index: int = 0, history: int | None = None,
                   title: str = "") -> Path:
    """PNG of series ``index``: its last ``history`` points (default: four times the test span), the
    actuals, each method's test-window forecasts, and rnnlab's interval shaded."""
    from ..plot import pyplot, save_figure

    plt = pyplot()
    s = series[index]
    y = s.values[:, 0]
    first = min(w["origin"] for r in results.values() for w in r["windows"][index])
    start = max(0, first - (history or 3 * (len(y) - first)))
    fig, ax = plt.subplots(figsize=(10, 4.5))
    ax.plot(range(start, len(y)), y[start:], color="black", lw=1.2, label="actual")
    colours = plt.rcParams["axes.prop_cycle"].by_key()["color"]
    for k, (name, r) in enumerate(results.items()):
        main = name == "rnnlab"
        for j, w in enumerate(r["windows"][index]):
            xs = range(w["origin"], w["origin"] + len(w["forecast"]))
            ax.plot(xs, w["forecast"], color=colours[k % len(colours)], lw=2 if main else 1,
                    alpha=1 if main else 0.7, label=name if j == 0 else None)
            if main and all(map(math.isfinite, w["lo"])):
                ax.fill_between(xs, w["lo"], w["hi"], color=colours[k % len(colours)], alpha=0.15,
                                label="rnnlab interval" if j == 0 else None)
    for w in results[next(iter(results))]["windows"][index]:
        ax.axvline(w["origin"] - 0.5, color="grey", lw=0.5, ls=":")
    if s.dates:
        ticks = [t for t in ax.get_xticks() if start <= t < len(y)]
        ax.set_xticks(ticks, [s.dates[int(t)] for t in ticks])
    ax.set_title(title or f"{s.name}: rolling-origin forecasts")
    ax.legend(fontsize=8, ncol=2)
    return save_figure(fig, path)
