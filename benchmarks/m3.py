"""The M3 competition's series (``../shared/data/m3``) as the proving ground of issue #34:
python -m benchmarks.m3 SUBSET [--settings NAME...] [--limit N] [--data-dir D].

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
Writes results/forecast/m3-SUBSET.json. Run it on a quiet machine.
"""

from __future__ import annotations

import argparse
import gzip
import json
import platform
import shutil
import tempfile
import time
from pathlib import Path

from rnnlab.forecast import numpy_methods, rolling_origin, statistical_methods
from rnnlab.forecast.network import NetworkMethod
from rnnlab.forecast.report import summary, table
from rnnlab.forecast.training import TRANSFORMS, train_forecaster
from rnnlab.tasks import resolve_config
from rnnlab.tasks.registry import preset_settings

RESULTS = Path(__file__).parent / "results" / "forecast"
RECIPE = preset_settings("forecast") | dict(log_every=10_000, folds=1)
SETTINGS = {name: TRANSFORMS["levels"] | setting for name, setting in {
    "levels": dict(),
    "window-norm": dict(window_norm="last"),
    "log window-norm": dict(log=True, window_norm="last"),
    "log deseasonalised window-norm": dict(log=True, deseasonalise=True, window_norm="last"),
    "hybrid (log, deseasonalised, level)": dict(log=True, deseasonalise=True, window_norm="level"),
}.items()}


def subset_file(subset: str, data_dir: str, limit: int | None, into: Path) -> Path:
    """The subset's .tsf, or a copy of its first ``limit`` series."""
    path = Path(data_dir) / "m3" / f"m3_{subset}_dataset.tsf.gz"
    if not limit:
        return path
    lines = gzip.open(path, "rt").read().splitlines()
    start = lines.index("@data") + 1
    out = into / f"m3_{subset}_{limit}.tsf"
    out.write_text("\n".join(lines[:start] + lines[start:start + limit]) + "\n")
    return out


def network(data: Path, setting: dict, seed: int = 1) -> tuple[dict, object, float]:
    out = Path(tempfile.mkdtemp()) / "run"
    cfg = resolve_config(flags=RECIPE | setting | dict(data=str(data), seed=seed))
    t = time.perf_counter()
    task, refit = train_forecaster(cfg, out, log=lambda *a, **k: None)
    result = rolling_origin([NetworkMethod(task, [refit])], task.series, task.horizon, task.folds, cfg.level)["rnnlab"]
    shutil.rmtree(out.parent)
    return result, task, time.perf_counter() - t


def main() -> None:
    ap = argparse.ArgumentParser(prog="python -m benchmarks.m3")
    ap.add_argument("subset", choices=("yearly", "quarterly", "monthly"))
    ap.add_argument("--settings", nargs="*", default=list(SETTINGS), choices=list(SETTINGS))
    ap.add_argument("--limit", type=int, help="the first N series only (a trial)")
    ap.add_argument("--data-dir", default=str(Path(__file__).parents[1].parent / "shared" / "data"))
    args = ap.parse_args()
    label = f"m3-{args.subset}" + (f"-first{args.limit}" if args.limit else "")
    with tempfile.TemporaryDirectory() as tmp:
        data = subset_file(args.subset, args.data_dir, args.limit, Path(tmp))
        tried, seconds = {}, {}
        for name in args.settings:
            tried[name], task, seconds[name] = network(data, SETTINGS[name])
            print(f"{label} {name}: valid MASE {tried[name]['valid_mase']:.3f} ({seconds[name]:.0f} s)", flush=True)
        chosen = min(tried, key=lambda k: tried[k]["valid_mase"])
        cache = RESULTS / f"{label}-baselines.json"
        if cache.is_file():
            baselines = json.loads(cache.read_text())
        else:
            t = time.perf_counter()
            methods = numpy_methods(task.season) + statistical_methods(task.season)
            baselines = {k: {m: v[m] for m in ("mae", "rmse", "smape", "mase", "coverage")} for k, v in rolling_origin(
                methods, task.series, task.horizon, 1, 0.8, progress=True, test_only=True).items()}
            baselines["seconds"] = time.perf_counter() - t
            RESULTS.mkdir(parents=True, exist_ok=True)
            cache.write_text(json.dumps(baselines, indent=1) + "\n")
    results = {f"rnnlab ({chosen})": tried[chosen]} | {k: v for k, v in baselines.items() if k != "seconds"}
    record = {"subset": args.subset, "series": len(task.series), "horizon": task.horizon, "season": task.season,
              "recipe": RECIPE, "settings": {k: SETTINGS[k] for k in tried}, "chosen": chosen,
              "valid_mase": {k: r["valid_mase"] for k, r in tried.items()},
              "test": {k: {m: r[m] for m in ("smape", "mase")} for k, r in tried.items()}, "network_seconds": seconds,
              "baseline_seconds": baselines.get("seconds"), "summary": summary(results),
              "machine": platform.processor() or platform.machine()}
    RESULTS.mkdir(parents=True, exist_ok=True)
    (RESULTS / f"{label}.json").write_text(json.dumps(record, indent=1) + "\n")
    print(table(results, 0.8, f"method ({label}, {len(task.series)} series)"), flush=True)


if __name__ == "__main__":
    main()
