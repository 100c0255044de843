"""The M3 competition's series (``../shared/data/m3``) as the proving ground of issue #34:
python -m benchmarks.m3 SUBSET [--settings NAME...] [--limit N] [--jobs J] [--nested] [--tag T] [--data-dir D].

SUBSET is yearly, quarterly or monthly. One global network (``rnnlab forecast``'s recipe: a 1x32 LSTM,
Adam with cosine decay, 100 epochs, refit through the validation window) is trained on windows from
every series for each named setting of ``SETTINGS``; each series' last ``@horizon`` values are the test
window (the competition's), the ``@horizon`` before them the validation window. The setting of least
validation MASE is the one reported; nothing is chosen by test numbers. Beside it, on the same series
and window: Naive2 (the M4/M3 yardstick), seasonal naive, naive, ETS, ARIMA and Theta, whose results
are cached (results/forecast/m3-SUBSET-baselines.json: they take the longest; fitted at the test
origin alone, so without intervals). Measures: sMAPE, MASE and
OWA (against Naive2), means over series. Published on the whole of M3 (sMAPE): Theta 16.90 / 8.96 /
13.85, N-BEATS 15.93 / 8.84 / 13.11 (yearly / quarterly / monthly); the data here is four fifths of it.
Settings and baselines run in J processes at a time (default 2), one thread each. Writes
results/forecast/m3-SUBSET[-TAG].json. Run it on a quiet machine.

The validation MASE of the standardised settings (all but the theta hybrids) is flattered: a series' mean
and std, fitted through its validation window, tell the network how far it will move (benchmarks/README.md,
session 20); the settings were compared on --nested runs instead, and the documented final command names one
setting: ``--settings "theta hybrid, MAE loss" --ensemble 5``.

--nested cuts each series' test window off first, so that the last @horizon values left (the validation
window of the full run) are the ones measured: for the choices validation MASE cannot make (the refit
is trained through the validation window; the held-out network's measures are printed beside it).
"""

from __future__ import annotations

import argparse
import gzip
import json
import multiprocessing
import os
import platform
import shutil
import tempfile
import time
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

from rnnlab.data.series import load_series
from rnnlab.forecast import numpy_methods, rolling_origin, statistical_methods
from rnnlab.forecast.network import NetworkMethod
from rnnlab.forecast.report import summary, table
from rnnlab.forecast.training import TRANSFORMS, train_forecaster
from rnnlab.runs.members import member_configs
from rnnlab.tasks import resolve_config
from rnnlab.tasks.registry import preset_settings

RESULTS = Path(__file__).parent / "results" / "forecast"
RECIPE = preset_settings("forecast") | dict(log_every=10_000, folds=1, combine="median")
SETTINGS = {name: TRANSFORMS["levels"] | setting for name, setting in {
    "levels": dict(),
    "window-norm": dict(window_norm="last"),
    "log window-norm": dict(log=True, window_norm="last"),
    "log deseasonalised window-norm": dict(log=True, deseasonalise=True, window_norm="last"),
    "hybrid (log, deseasonalised, level)": dict(log=True, deseasonalise=True, window_norm="level"),
    "theta hybrid (log, deseasonalised, theta)": dict(log=True, deseasonalise=True, window_norm="theta"),
    "theta hybrid, MAE loss": dict(log=True, deseasonalise=True, window_norm="theta", loss="mae"),
}.items()}


def subset_file(subset: str, data_dir: str, limit: int | None, into: Path, nested: bool = False) -> Path:
    """The subset's .tsf, or a copy of its first ``limit`` series; ``nested``: each series without its
    last @horizon values (the test window), so that every measure is on the validation window."""
    path = Path(data_dir) / "m3" / f"m3_{subset}_dataset.tsf.gz"
    if not limit and not nested:
        return path
    lines = gzip.open(path, "rt").read().splitlines()
    start = lines.index("@data") + 1
    horizon = int(next(line.split()[1] for line in lines if line.startswith("@horizon")))
    rows = lines[start:start + limit] if limit else lines[start:]
    if nested:
        rows = [row.rsplit(":", 1)[0] + ":" + ",".join(row.rsplit(":", 1)[1].split(",")[:-horizon]) for row in rows]
    out = into / f"m3_{subset}_{limit or 'all'}{'_nested' if nested else ''}.tsf"
    out.write_text("\n".join(lines[:start] + rows) + "\n")
    return out


def network(data: str, setting: dict, members: int = 1, seed: int = 1) -> tuple[dict, float]:
    """(rolling-origin measures, seconds) of the global network of one setting on the series of ``data``
    (``members`` > 1: an ensemble of seeds seed.., forecasts combined by their median): the refit's,
    with the held-out network's beside them (``held_out``)."""
    out = Path(tempfile.mkdtemp())
    cfg = resolve_config(flags=RECIPE | setting | dict(data=str(data), seed=seed))
    t = time.perf_counter()
    tasks, refits = zip(*(train_forecaster(c, out / f"member-{k}", log=lambda *a, **kw: None)
                          for k, c in enumerate(member_configs(cfg, members))))
    seconds = time.perf_counter() - t
    task = tasks[0]
    result, held_out = (rolling_origin([method], task.series, task.horizon, task.folds, cfg.level)["rnnlab"]
                        for method in (NetworkMethod(list(tasks), list(refits)), NetworkMethod(list(tasks))))
    shutil.rmtree(out)
    keep = ("mae", "rmse", "smape", "mase", "coverage", "valid_mase")
    return {k: result[k] for k in keep} | {"held_out": {k: held_out[k] for k in ("smape", "mase")}}, seconds


class HybridBase:
    """What the theta hybrid's network adds to: the Theta path it measures targets from, alone (log y,
    deseasonalised when seasonal, ``Transform.theta`` over the whole history), as a rolling-origin method."""

    name, multichannel, fallbacks = "hybrid's Theta alone", False, 0

    def __init__(self, season: int) -> None:
        self.season = season

    def prepare(self, histories) -> None:
        """Nothing to fit ahead: each forecast fits its own history."""

    def forecast(self, i: int, x, h: int):
        from rnnlab.forecast.transforms import Transform

        x = x[:, None]
        t = Transform(log=True, deseason=self.season, standardise=False).fit(x, level=True)
        return t.inverse(x, t.theta(t.forward(x), h)[1])


def baseline(data: str, name: str) -> dict:
    """The measures of one baseline at each series' test origin alone (no intervals)."""
    series = load_series(str(data))
    season, horizon = series[0].season, series[0].horizon
    method = next(m for m in numpy_methods(season) + statistical_methods(season) if m.name == name)
    r = rolling_origin([method], series, horizon, 1, 0.8, test_only=True)[name]
    return {m: r[m] for m in ("mae", "rmse", "smape", "mase", "coverage")}


def main() -> None:
    ap = argparse.ArgumentParser(prog="python -m benchmarks.m3")
    ap.add_argument("subset", choices=("yearly", "quarterly", "monthly"))
    ap.add_argument("--settings", nargs="*", default=list(SETTINGS), choices=list(SETTINGS))
    ap.add_argument("--limit", type=int, help="the first N series only (a trial)")
    ap.add_argument("--jobs", type=int, default=2, help="processes at a time, one thread each")
    ap.add_argument("--ensemble", type=int, default=1, help="K networks of seeds 1..K per setting, their median")
    ap.add_argument("--nested", action="store_true", help="each series without its test window: every measure "
                    "is on the validation window (for choices the validation MASE cannot make, e.g. the refit)")
    ap.add_argument("--skip-baselines", action="store_true", help="without a cache of them, leave them out")
    ap.add_argument("--tag", default="", help="written to results/forecast/m3-SUBSET-TAG.json (a trial)")
    ap.add_argument("--data-dir", default=str(Path(__file__).parents[1].parent / "shared" / "data"))
    args = ap.parse_args()
    label = f"m3-{args.subset}" + (f"-first{args.limit}" if args.limit else "") + ("-nested" if args.nested else "")
    os.environ["OPENBLAS_NUM_THREADS"] = os.environ["OMP_NUM_THREADS"] = "1"  # read by the spawned workers
    pool = ProcessPoolExecutor(args.jobs, mp_context=multiprocessing.get_context("spawn"))
    with tempfile.TemporaryDirectory() as tmp, pool:
        data = subset_file(args.subset, args.data_dir, args.limit, Path(tmp), args.nested)
        series = load_series(str(data))
        season, horizon = series[0].season, series[0].horizon
        cache = RESULTS / f"{label}-baselines.json"
        names = [m.name for m in numpy_methods(season) + statistical_methods(season)]
        t = time.perf_counter()
        pending = {} if cache.is_file() or args.skip_baselines else {
            name: pool.submit(baseline, data, name) for name in names}
        runs = {name: pool.submit(network, data, SETTINGS[name], args.ensemble) for name in args.settings}
        tried, seconds = {}, {}
        for name, job in runs.items():
            tried[name], seconds[name] = job.result()
            print(f"{label} {name}: valid MASE {tried[name]['valid_mase']:.3f} ({seconds[name]:.0f} s)", flush=True)
        if pending:
            baselines = {name: job.result() for name, job in pending.items()} | {"seconds": time.perf_counter() - t}
            RESULTS.mkdir(parents=True, exist_ok=True)
            cache.write_text(json.dumps(baselines, indent=1) + "\n")
        else:
            baselines = json.loads(cache.read_text()) if cache.is_file() else {}
    chosen = min(tried, key=lambda k: tried[k]["valid_mase"])
    base = rolling_origin([HybridBase(season)], series, horizon, 1, 0.8, test_only=True)[HybridBase.name]
    results = {f"rnnlab ({chosen})": tried[chosen], HybridBase.name: base} | {
        k: v for k, v in baselines.items() if k != "seconds"}
    record = {"subset": args.subset, "series": len(series), "horizon": horizon, "season": season,
              "recipe": RECIPE, "settings": {k: SETTINGS[k] for k in tried}, "chosen": chosen,
              "valid_mase": {k: r["valid_mase"] for k, r in tried.items()},
              "test": {k: {m: r[m] for m in ("smape", "mase", "held_out")} for k, r in tried.items()},
              "network_seconds": seconds,
              "baseline_seconds": baselines.get("seconds"), "summary": summary(results), "jobs": args.jobs,
              "ensemble": args.ensemble,
              "machine": platform.processor() or platform.machine()}
    RESULTS.mkdir(parents=True, exist_ok=True)
    (RESULTS / f"{label}{'-' + args.tag if args.tag else ''}.json").write_text(json.dumps(record, indent=1) + "\n")
    print(table(results, 0.8, f"method ({label}, {len(series)} series)"), flush=True)
    for name, r in tried.items():
        print(f"{name}: refit sMAPE {r['smape']:.2f} MASE {r['mase']:.3f}; held-out network sMAPE "
              f"{r['held_out']['smape']:.2f} MASE {r['held_out']['mase']:.3f}")


if __name__ == "__main__":
    main()
