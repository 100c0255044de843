"""Forecasting against the statistical baselines, by rolling origin:
python -m benchmarks.forecast [NAME...] [--seeds S] [--data-dir D] [--quick].

For each series (default: sunspots, nile, co2, elnino, gdp, m1-yearly): the baselines once; then
rnnlab's network (the recipe below: a 1x32 LSTM, refit through the validation windows) for each
setting of a small stated grid, seed 1, in stages, each keeping the best so far: the transforms and
per-window normalisation; the sizes 1x16, 1x64 and 2x32; the look-back halved and doubled; a TCN, a
Transformer and a window MLP in place of the LSTM. Best means the lowest MASE on the *validation*
(calibration) windows. The chosen setting is then trained with seeds 1..S and measured on the test
windows, alone and as an ensemble (their forecasts averaged, as ``rnnlab forecast --ensemble S``).
Nothing is chosen by test numbers. Writes benchmarks/results/forecast/NAME.json and NAME.png,
and prints one markdown table per series. Run it on a quiet machine.
"""

from __future__ import annotations

import argparse
import json
import platform
import shutil
import statistics
import tempfile
import time
from pathlib import Path

import numpy as np

from rnnlab.forecast import numpy_methods, rolling_origin, statistical_methods
from rnnlab.forecast.report import plot_forecasts, table
from rnnlab.forecast.network import NetworkMethod
from rnnlab.forecast.training import TRANSFORMS, train_forecaster
from rnnlab.tasks import resolve_config
from rnnlab.tasks.registry import preset_settings

RESULTS = Path(__file__).parent / "results" / "forecast"

# the recipe every setting shares, rnnlab forecast's default: one LSTM layer of 32, Adam 3e-3 with cosine
# decay, 100 epochs, the weights of the best validation loss; then trained again through the validation
# windows for that many epochs (--refit), which forecasts the test windows. Its transform aside: each
# setting states its own
RECIPE = preset_settings("forecast") | dict(log_every=10_000)
GRID = {name: TRANSFORMS["levels"] | setting for name, setting in {  # the settings tried, each a whole transform
    "levels": dict(),
    "diff": dict(diff=1),
    "window-norm": dict(window_norm="last"),
    "log window-norm": dict(log=True, window_norm="last"),
    "log diff": dict(log=True, diff=1),
    "seasonal diff": dict(seasonal_diff=True),
    "diff + seasonal diff": dict(diff=1, seasonal_diff=True),
}.items()}
SIZES = {"1x16": dict(hidden=16), "1x64": dict(hidden=64), "2x32": dict(layers=2)}  # the recipe's is 1x32
SERIES = ["sunspots", "nile", "co2", "elnino", "gdp", "m1-yearly"]
FAMILIES = ("tcn", "transformer", "mlp")


def family_setting(family: str, task, lookback: int) -> dict:
    """A feed-forward network in place of the LSTM, by ``rnnlab compare``'s rule (``family_config``: the
    TCN takes the fewest levels whose receptive field covers the look-back, the MLP's window is the
    look-back, the Transformer has --layers blocks); the width stays the chosen setting's."""
    from rnnlab.runs.compare import family_config

    c = family_config(task.cfg, family, lookback, task.cfg.hidden)
    return {"arch": c.arch} | ({"layers": c.layers} if family == "tcn" else {}) | (
        {"window": c.window} if family == "mlp" else {})


def grid_for(task) -> list[str]:
    positive = all(np.all(s.values[:, 0] > 0) for s in task.series)
    names = ["levels", "diff", "window-norm"] + (["log window-norm", "log diff"] if positive else [])
    if task.season > 1:
        names += ["seasonal diff", "diff + seasonal diff"]
    return names


def network(name: str, data_dir: str | None, setting: dict, seed: int) -> tuple[dict, object, float]:
    out = Path(tempfile.mkdtemp()) / "run"
    cfg = resolve_config(flags=RECIPE | setting | dict(data=name, data_dir=data_dir, seed=seed))
    t = time.perf_counter()
    task, refit = train_forecaster(cfg, out, log=lambda *a, **k: None)
    result = rolling_origin([NetworkMethod(task, [refit])], task.series, task.horizon, task.folds, cfg.level)["rnnlab"]
    seconds = time.perf_counter() - t
    shutil.rmtree(out.parent)
    return result, (task, refit), seconds


def one_series(name: str, data_dir: str | None, seeds: int, quick: bool) -> dict:
    first, (task, _), _ = network(name, data_dir, GRID["levels"], 1)
    t = time.perf_counter()
    methods = numpy_methods(task.season) + statistical_methods(task.season)
    results = rolling_origin(methods, task.series, task.horizon, task.folds, 0.8)
    baseline_seconds = time.perf_counter() - t
    tried = {"levels": first}
    for setting in ([] if quick else grid_for(task)[1:]):
        tried[setting] = network(name, data_dir, GRID[setting], 1)[0]
    for setting, r in tried.items():
        print(f"  {name} {setting}: valid MASE {r['valid_mase']:.3f}", flush=True)
    chosen = min(tried, key=lambda k: tried[k]["valid_mase"])
    for size, setting in ([] if quick else SIZES.items()):  # then the network's size, with that transform
        GRID[f"{chosen}, {size}"] = GRID[chosen] | setting
        tried[f"{chosen}, {size}"] = network(name, data_dir, GRID[f"{chosen}, {size}"], 1)[0]
        print(f"  {name} {chosen}, {size}: valid MASE {tried[f'{chosen}, {size}']['valid_mase']:.3f}", flush=True)
    chosen = min(tried, key=lambda k: tried[k]["valid_mase"])
    for factor in ([] if quick else (0.5, 2)):  # then the look-back, with that transform and size
        lookback = max(1, round(task.lookback * factor))
        name_ = f"{chosen}, look-back {lookback}"
        GRID[name_] = GRID[chosen] | dict(lookback=lookback)
        tried[name_] = network(name, data_dir, GRID[name_], 1)[0]
        print(f"  {name} {name_}: valid MASE {tried[name_]['valid_mase']:.3f}", flush=True)
    chosen = min(tried, key=lambda k: tried[k]["valid_mase"])
    lookback = GRID[chosen].get("lookback", task.lookback)
    for family in ([] if quick else FAMILIES):  # then the feed-forward families, with all of that
        GRID[f"{chosen}, {family}"] = GRID[chosen] | family_setting(family, task, lookback)
        tried[f"{chosen}, {family}"] = network(name, data_dir, GRID[f"{chosen}, {family}"], 1)[0]
        print(f"  {name} {chosen}, {family}: valid MASE {tried[f'{chosen}, {family}']['valid_mase']:.3f}", flush=True)
    chosen = min(tried, key=lambda k: tried[k]["valid_mase"])
    members = [network(name, data_dir, GRID[chosen], seed) for seed in range(1, seeds + 1)]
    runs = [r for r, _, _ in members]
    seconds = [s for _, _, s in members]
    ensemble = rolling_origin([NetworkMethod([t for _, (t, _), _ in members], [r for _, (_, r), _ in members])],
                              task.series, task.horizon, task.folds, 0.8)["rnnlab"]
    mean = {k: statistics.mean(r[k] for r in runs) for k in ("mae", "rmse", "smape", "mase", "coverage")}
    spread = {k: statistics.stdev(r[k] for r in runs) if len(runs) > 1 else 0.0 for k in mean}
    results = {f"rnnlab, ensemble of {seeds} ({chosen})": ensemble,
               f"rnnlab, one network (mean of {seeds} seeds)": mean | {
                   "valid_mase": statistics.mean(r["valid_mase"] for r in runs), "fallbacks": 0}} | results
    RESULTS.mkdir(parents=True, exist_ok=True)
    plot_forecasts(RESULTS / f"{name}.png", task.series, {"rnnlab": ensemble} | {
        k: v for k, v in results.items() if k in ("seasonal_naive" if task.season > 1 else "naive", "ets", "arima")},
        index=int(np.argmax([len(s.values) for s in task.series])),
        title=f"{name}: rolling-origin forecasts (rnnlab: ensemble of {seeds}, {chosen})")
    record = {"name": name, "horizon": task.horizon, "folds": task.folds, "season": task.season,
              "series": len(task.series), "recipe": RECIPE, "grid": {k: GRID[k] for k in tried},
              "valid_mase": {k: r["valid_mase"] for k, r in tried.items()}, "chosen": chosen,
              "seeds": [{k: r[k] for k in ("mae", "rmse", "smape", "mase", "coverage", "valid_mase")} for r in runs],
              "spread": spread, "network_seconds": statistics.mean(seconds), "baseline_seconds": baseline_seconds,
              "machine": platform.processor() or platform.machine(),
              "results": {k: {m: v[m] for m in ("mae", "rmse", "smape", "mase", "coverage", "valid_mase")}
                          | {"fallbacks": v["fallbacks"]} for k, v in results.items()}}
    (RESULTS / f"{name}.json").write_text(json.dumps(record, indent=1) + "\n")
    print(f"\n{name}: {task.folds} test window(s) of {task.horizon}, season {task.season}, {len(task.series)} "
          f"series; one network's MASE spread over seeds ± {spread['mase']:.3f}; a network "
          f"{statistics.mean(seconds):.0f} s (training and forecasting), "
          f"baselines {baseline_seconds:.0f} s")
    print(table(results, 0.8, f"method ({name})"), flush=True)
    return record


def main() -> None:
    ap = argparse.ArgumentParser(prog="python -m benchmarks.forecast")
    ap.add_argument("names", nargs="*", default=SERIES)
    ap.add_argument("--data-dir", default=None)
    ap.add_argument("--seeds", type=int, default=3)
    ap.add_argument("--quick", action="store_true", help="no grid: levels only")
    args = ap.parse_args()
    for name in args.names:
        one_series(name, args.data_dir, args.seeds, args.quick)


if __name__ == "__main__":
    main()
