"""Choices for ``rnnlab forecast`` made on series that are not the named ones:
python -m benchmarks.forecast_dev [--csv-dir D] [--level P].

The development set, which the named results (``benchmarks.forecast``) never touch: the ten other
columns of statsmodels' macrodata and the two of its interest_inflation (quarterly, H 8), and, when
--csv-dir holds them, the Airline, Lynx, PBS and Uschange series that ship inside the aeon wheel
(``pip download aeon --no-deps``; unzip aeon/datasets/data/*/{Airline,Lynx,PBS_dataset,Uschange}.csv
into D). Five test windows each; every method forecasts at every origin once (``forecast_every_origin``).

1. The network's transform: rnnlab forecast's recipe (``--preset forecast``, refit) in levels, with
   --diff 1 and with --window-norm last, seed 1; and the one of the three with the lowest validation
   MASE (what rnnlab forecast does when given no transform), beside the baselines' MASE.
2. The rule for the prediction interval. ``rolling.py`` makes test window k's band from the
   residuals of every window observed before its origin (split conformal, "expanding"); the others
   tried, on the same residuals of every method (the network: the one chosen on validation):
       recent W      the last W windows only
       weighted rho  weighted conformal (Barber et al. 2023), weight rho^age, the test point's 1 at +inf
       aci gamma     adaptive conformal inference (Gibbs & Candes 2021): the level moves by
                     gamma (alpha - miss) each time a window's actuals arrive (per horizon step)
   and, as a yardstick, "exchangeable": the expanding rule after shuffling each (series, method)'s
   residual windows (20 shuffles), i.e. what five test windows give when nothing shifts over time.
Writes benchmarks/results/forecast-dev.md and .json.
"""

from __future__ import annotations

import argparse
import json
import platform
import shutil
import tempfile
from pathlib import Path

import numpy as np

from rnnlab.forecast.training import TRANSFORMS  # the candidates rnnlab forecast chooses among

RESULTS = Path(__file__).parent / "results"
FOLDS = 5
CSV = {  # file: [(column, season, horizon)]
    "Airline.csv": [("Passengers", 12, 12)], "Lynx.csv": [("0", 1, 6)], "PBS_dataset.csv": [("Scripts", 12, 12)],
    "Uschange.csv": [(c, 4, 8) for c in ("Consumption", "Income", "Production", "Savings", "Unemployment")]}
MACRO = ["realcons", "realinv", "realgovt", "realdpi", "cpi", "m1", "tbilrate", "unemp", "infl", "realint"]
RULES = [("expanding", None)] + [("recent", w) for w in (12, 24, 36)] + [
    ("weighted", r) for r in (0.9, 0.95, 0.98)] + [("aci", g) for g in (0.005, 0.01, 0.02, 0.05, 0.1)]


def development_series(csv_dir: Path | None) -> list:
    import statsmodels.api as sm

    from rnnlab.data.series import Series, read_csv_series

    out = []
    macro = sm.datasets.macrodata.load_pandas().data
    for c in MACRO:
        out.append(Series(f"macrodata {c}", macro[c].to_numpy(np.float64)[:, None].copy(), None, 4, 8))
    rates = sm.datasets.interest_inflation.load_pandas().data
    for c in ("Dp", "R"):
        out.append(Series(f"interest_inflation {c}", rates[c].to_numpy(np.float64)[:, None].copy(), None, 4, 8))
    for name, columns in CSV.items():
        if csv_dir is None or not (csv_dir / name).exists():
            print(f"({name} not in --csv-dir: left out)")
            continue
        for column, season, horizon in columns:
            s = read_csv_series(csv_dir / name, [column])
            out.append(Series(f"{Path(name).stem} {column}", s.values, None, season, horizon))
    return out


def network(s, transform: dict):
    """rnnlab forecast's recipe (the forecast preset, refit) with ``transform`` on one series, as a
    rolling-origin method."""
    from rnnlab.forecast.network import NetworkMethod
    from rnnlab.forecast.training import train_forecaster
    from rnnlab.tasks import resolve_config
    from rnnlab.tasks.registry import preset_settings

    tmp = Path(tempfile.mkdtemp())
    (tmp / "y.csv").write_text("y\n" + "".join(f"{float(v)!r}\n" for v in s.values[:, 0]))
    cfg = resolve_config(flags=preset_settings("forecast") | transform | dict(
        log_every=10_000, data=str(tmp / "y.csv"), column="y", season=s.season, horizon=s.horizon, seed=1))
    task, refit = train_forecaster(cfg, tmp / "run", log=lambda *a, **k: None, notes=False)
    shutil.rmtree(tmp)
    return NetworkMethod(task, [refit])


def mase(residuals: list, origins: list[int]) -> float:
    """The mean MASE of the windows at ``origins`` (residuals are in scale units already)."""
    by_origin = dict(residuals)
    return float(np.mean([np.mean(np.abs(by_origin[o])) for o in origins]))


def quantile(a: np.ndarray, level: float) -> float:
    """``conformal_quantile`` of the values a, 0 at a level of 0 or below (ACI's level can fall there)."""
    from rnnlab.forecast.rolling import conformal_quantile

    return 0.0 if level <= 0 else float(conformal_quantile(a, level))


def test_bands(residuals: list, test: list[int], horizon: int, rule: str, arg, level: float) -> list[np.ndarray]:
    """The band half-widths q (H,) of the test origins ``test`` under one rule, from [(c, r_c (H,))]."""
    cs = np.array([c for c, _ in residuals])
    R = np.abs(np.array([r for _, r in residuals]))
    alpha, used = np.full(horizon, 1 - level), {}
    for t, c in enumerate(cs):
        if rule == "aci" and c - horizon in used:  # window c - H has just been observed in full
            alpha += arg * ((1 - level) - (R[t - horizon] > used[c - horizon]))
        known = R[cs + horizon <= c]
        if not len(known):
            continue
        if rule == "expanding":
            used[c] = np.array([quantile(known[:, h], level) for h in range(horizon)])
        elif rule == "recent":
            used[c] = np.array([quantile(known[-arg:, h], level) for h in range(horizon)])
        elif rule == "aci":
            used[c] = np.array([quantile(known[:, h], 1 - alpha[h]) for h in range(horizon)])
        else:  # weighted
            w = arg ** (c - cs[cs + horizon <= c]).astype(float)
            q = []
            for h in range(horizon):
                order = np.argsort(known[:, h])
                j = np.searchsorted(np.cumsum(w[order]) / (w.sum() + 1.0), level)
                q.append(known[order[j], h] if j < len(order) else np.inf)
            used[c] = np.array(q)
    return [used.get(o) for o in test]


def coverage(residuals, test, horizon, rule, arg, level) -> tuple[float, float]:
    """(share of the test actuals inside, mean finite half-width) under the rule."""
    by_origin = dict(residuals)
    bands = test_bands(residuals, test, horizon, rule, arg, level)
    inside = [np.abs(by_origin[o]) <= q for o, q in zip(test, bands) if q is not None]
    widths = np.concatenate([q[np.isfinite(q)] for q in bands if q is not None])
    return float(np.mean(inside)), float(np.mean(widths))


def main() -> None:
    from rnnlab.forecast import numpy_methods, origins, statistical_methods
    from rnnlab.forecast.rolling import forecast_every_origin

    ap = argparse.ArgumentParser(prog="python -m benchmarks.forecast_dev")
    ap.add_argument("--csv-dir", type=Path, default=None)
    ap.add_argument("--level", type=float, default=0.8)
    args = ap.parse_args()
    rng = np.random.default_rng(0)
    scores, cells, shuffled = [], [], []  # per series {method: (valid MASE, test MASE)}; per (series, method) rules
    for s in development_series(args.csv_dir):
        test, cal = origins(len(s.values), s.horizon, FOLDS)
        valid = [c for c in cal if c + s.horizon <= test[0]]
        score, runs = {"series": s.name}, {}
        methods = [(m.name, m) for m in numpy_methods(s.season) + statistical_methods(s.season)]
        for name, transform in TRANSFORMS.items():
            methods.append((f"rnnlab {name}", network(s, transform)))
        for name, method in methods:
            _, (res,) = forecast_every_origin(method, [s], s.horizon, FOLDS)
            runs[name], score[name] = res, (mase(res, valid), mase(res, test))
        chosen = min(TRANSFORMS, key=lambda t: score[f"rnnlab {t}"][0])
        score["rnnlab, chosen on validation"], score["chosen"] = score[f"rnnlab {chosen}"], chosen
        scores.append(score)
        for name, res in runs.items():
            if name.startswith("rnnlab") and name != f"rnnlab {chosen}":  # the network rnnlab forecast keeps
                continue
            cells.append({"series": s.name, "method": name} | {
                f"{rule} {arg}" if arg else rule: coverage(res, test, s.horizon, rule, arg, args.level)
                for rule, arg in RULES})
            for _ in range(20):
                perm = rng.permutation(len(res))
                mixed = [(c, res[p][1]) for (c, _), p in zip(res, perm)]
                shuffled.append(coverage(mixed, test, s.horizon, "expanding", None, args.level)[0])
        print(f"{s.name}: test MASE " + ", ".join(f"{k} {v[1]:.3f}" for k, v in score.items()
                                                 if isinstance(v, tuple)), flush=True)

    names = [k for k in scores[0] if isinstance(scores[0][k], tuple)]
    lines = [f"{len(scores)} series, {FOLDS} test windows each; machine {platform.processor() or platform.machine()}",
             "", "Test MASE of rnnlab forecast's recipe by transform, and of the baselines:", "",
             "| method | mean | geometric mean | series below the better of ETS and ARIMA |", "|---|---:|---:|---:|"]
    better = [min(sc["ets"][1], sc["arima"][1]) for sc in scores]
    for name in names:
        v = np.array([sc[name][1] for sc in scores])
        lines.append(f"| {name} | {v.mean():.3f} | {np.exp(np.log(v).mean()):.3f} | {np.sum(v < better)} of {len(v)} |")
    lo, hi = args.level - 0.1, args.level + 0.1
    lines += ["", f"Coverage of the level-{args.level} interval over the test windows, {len(cells)} (series, method) pairs "
              "(the network: the transform chosen on validation):", "",
              f"| rule | mean coverage | mean abs(coverage - {args.level}) | in [{lo:.1f}, {hi:.1f}] | below | above "
              "| median width / expanding's | the network: mean, in range |", "|---|---:|---:|---:|---:|---:|---:|---:|"]

    def row(name, cov, width, net):
        cov, net = np.array(cov), np.array(net)
        inside = (cov >= lo - 1e-9) & (cov <= hi + 1e-9)
        return (f"| {name} | {cov.mean():.3f} | {np.mean(np.abs(cov - args.level)):.3f} | {inside.mean():.0%} | "
                f"{np.mean(cov < lo - 1e-9):.0%} | {np.mean(cov > hi + 1e-9):.0%} | {width} | "
                + (f"{net.mean():.3f}, {np.mean((net >= lo - 1e-9) & (net <= hi + 1e-9)):.0%} |" if len(net) else "- |"))

    for rule in (k for k in cells[0] if k not in ("series", "method")):
        ratio = np.nanmedian([c[rule][1] / c["expanding"][1] for c in cells])
        lines.append(row(rule, [c[rule][0] for c in cells], f"{ratio:.2f}",
                         [c[rule][0] for c in cells if c["method"].startswith("rnnlab")]))
    lines.append(row("exchangeable (expanding, windows shuffled)", shuffled, "-", []))
    print("\n".join(lines))
    RESULTS.mkdir(parents=True, exist_ok=True)
    (RESULTS / "forecast-dev.md").write_text("\n".join(lines) + "\n")
    (RESULTS / "forecast-dev.json").write_text(json.dumps({"level": args.level, "folds": FOLDS, "scores": scores,
                                                           "cells": cells, "shuffled": shuffled}, indent=1) + "\n")


if __name__ == "__main__":
    main()
