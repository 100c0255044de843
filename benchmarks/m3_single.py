"""``rnnlab forecast`` as it comes on single M3 series (issue #34, item 3):
python -m benchmarks.m3_single [--recipes NAME...] [--dev N] [--held-out N] [--data-dir D]

Series: monthly and quarterly M3 series (``../shared/data/m3``) long enough for ``FOLDS`` test windows of
the competition's horizon H (18 monthly, 8 quarterly), as many validation windows and 3 H more, whose
points before the first test window pass the M4 seasonality test. Drawn at random (seed 0), half
monthly and half quarterly, into a development set and a held-out set that share no series.

Each recipe of ``RECIPES`` runs on every development series exactly as a user would run it, one series
in a CSV file: ``rnnlab forecast --data FILE --column value --horizon H --season m --folds 2 [flags]``
(in this process, so a recipe may also widen the transforms the command chooses among; ETS, ARIMA and
Theta are left out of its table, which saves most of the time: only seasonal naive is compared). Recipes are
compared by validation MASE (the calibration windows before each series' first test origin, which
``rnnlab forecast`` writes to RUN/forecasts.json) against seasonal naive's on the same windows; test
MASE is printed beside it but chooses nothing. With --held-out N, the recipe named by --final (the
one chosen on the development set) runs once on N other series: its test MASE against seasonal
naive's, series by series. Writes results/forecast/m3-single[-LABEL].json.
"""

from __future__ import annotations

import argparse
import contextlib
import io
import json
import platform
import tempfile
import time
from pathlib import Path

import numpy as np

RESULTS = Path(__file__).parent / "results" / "forecast"
FOLDS = 2
HYBRID = dict(log=True, diff=0, seasonal_diff=False, deseasonalise=True, window_norm="level")
THETA = HYBRID | dict(window_norm="theta")
RECIPES = {  # name: (flags, transforms added to those rnnlab forecast chooses among)
    "as it comes": ([], {}),
    "ensemble of 3": (["--ensemble", "3"], {}),
    "hybrid": (["--log", "--deseasonalise", "--window-norm", "level"], {}),
    "deseasonalised window-norm": (["--deseasonalise", "--window-norm", "last"], {}),
    "choice with the hybrid": ([], {"hybrid": HYBRID}),
    "theta hybrid": (["--log", "--deseasonalise", "--window-norm", "theta"], {}),
    "choice with the theta hybrid": ([], {"theta hybrid": THETA}),
}


def candidates(data_dir: Path) -> dict[str, list]:
    """{monthly, quarterly: [Series]} of the series that qualify (the module's docstring)."""
    from rnnlab.data.series import read_tsf
    from rnnlab.forecast.decompose import is_seasonal

    out = {}
    for subset in ("monthly", "quarterly"):
        series = read_tsf(data_dir / "m3" / f"m3_{subset}_dataset.tsf.gz")
        h, m = series[0].horizon, series[0].season
        out[subset] = [s for s in series if len(s.values) >= 2 * FOLDS * h + 3 * h
                       and is_seasonal(s.values[:len(s.values) - FOLDS * h, 0], m)]
    return out


def draw(pools: dict[str, list], dev: int, held_out: int) -> tuple[list, list]:
    rng = np.random.default_rng(0)
    sets = ([], [])
    for subset, pool in pools.items():
        order = rng.permutation(len(pool))
        a, b = dev // 2 + (dev % 2 if subset == "monthly" else 0), held_out // 2 + (
            held_out % 2 if subset == "monthly" else 0)
        sets[0].extend(pool[i] for i in order[:a])
        sets[1].extend(pool[i] for i in order[a:a + b])
    return sets


def run(series, recipe: str) -> dict:
    """{rnnlab, seasonal_naive: (validation MASE, test MASE)} of ``rnnlab forecast`` with the recipe on one series."""
    import rnnlab.forecast
    from rnnlab.cli import main
    from rnnlab.forecast import training

    flags, extra = RECIPES[recipe]
    statistical = rnnlab.forecast.statistical_methods
    with tempfile.TemporaryDirectory() as tmp:
        csv = Path(tmp) / "series.csv"
        csv.write_text("value\n" + "".join(f"{float(v)!r}\n" for v in series.values[:, 0]))
        before = dict(training.TRANSFORMS)
        training.TRANSFORMS.update(extra)
        rnnlab.forecast.statistical_methods = lambda season: []  # only seasonal naive is compared here
        try:
            with contextlib.redirect_stdout(io.StringIO()), contextlib.redirect_stderr(io.StringIO()):
                code = main(["forecast", "--data", str(csv), "--column", "value", "--horizon", str(series.horizon),
                             "--season", str(series.season), "--folds", str(FOLDS), "--log-every", "100000",
                             "--out", str(Path(tmp) / "run"), *flags])
        finally:
            rnnlab.forecast.statistical_methods = statistical
            training.TRANSFORMS.clear()
            training.TRANSFORMS.update(before)
        if code != 0:
            raise RuntimeError(f"{series.name}: rnnlab forecast exited {code}")
        results = json.loads((Path(tmp) / "run" / "forecasts.json").read_text())["results"]
    return {k: (results[k]["valid_mase"], results[k]["mase"]) for k in ("rnnlab", "seasonal_naive")}


def main() -> None:
    ap = argparse.ArgumentParser(prog="python -m benchmarks.m3_single")
    ap.add_argument("--recipes", nargs="*", default=list(RECIPES), choices=list(RECIPES))
    ap.add_argument("--dev", type=int, default=20)
    ap.add_argument("--held-out", type=int, default=0)
    ap.add_argument("--final", choices=list(RECIPES), default="as it comes")
    ap.add_argument("--label", default="")
    ap.add_argument("--data-dir", type=Path, default=Path(__file__).parents[1].parent / "shared" / "data")
    args = ap.parse_args()
    dev, held = draw(candidates(args.data_dir), args.dev, args.held_out)
    record = {"folds": FOLDS, "machine": platform.processor() or platform.machine(), "development": {},
              "held_out": {}, "final": args.final}
    for recipe in args.recipes:
        rows, t = {}, time.perf_counter()
        for s in dev:
            rows[s.name] = run(s, recipe)
            print(f"dev {recipe} {s.name}: valid MASE {rows[s.name]['rnnlab'][0]:.3f} (seasonal naive "
                  f"{rows[s.name]['seasonal_naive'][0]:.3f}), test {rows[s.name]['rnnlab'][1]:.3f} "
                  f"({rows[s.name]['seasonal_naive'][1]:.3f})", flush=True)
        v = np.array([[r["rnnlab"][0], r["seasonal_naive"][0]] for r in rows.values()])
        record["development"][recipe] = {"series": rows, "seconds": time.perf_counter() - t,
                                         "valid_mase": v[:, 0].mean(), "valid_below_seasonal_naive": int(np.sum(v[:, 0] < v[:, 1]))}
        print(f"dev {recipe}: mean valid MASE {v[:, 0].mean():.3f} (seasonal naive {v[:, 1].mean():.3f}), below seasonal naive on "
              f"{np.sum(v[:, 0] < v[:, 1])} of {len(v)}", flush=True)
    for s in held:
        r = record["held_out"][s.name] = run(s, args.final)
        print(f"held out {args.final} {s.name}: test MASE {r['rnnlab'][1]:.3f} against seasonal naive {r['seasonal_naive'][1]:.3f}",
              flush=True)
    if held:
        t = np.array([[r["rnnlab"][1], r["seasonal_naive"][1]] for r in record["held_out"].values()])
        print(f"held out: {args.final} below seasonal naive on {np.sum(t[:, 0] < t[:, 1])} of {len(t)} series "
              f"(mean test MASE {t[:, 0].mean():.3f} against {t[:, 1].mean():.3f})")
    RESULTS.mkdir(parents=True, exist_ok=True)
    name = "m3-single" + (f"-{args.label}" if args.label else "")
    (RESULTS / f"{name}.json").write_text(json.dumps(record, indent=1) + "\n")


if __name__ == "__main__":
    main()
