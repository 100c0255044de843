"""``rnnlab forecast``: train a forecaster, measure it beside the statistical baselines by rolling origin,
or forecast past the data's end from a run; and ``rnnlab eval`` of a forecast run."""

from __future__ import annotations

import sys

from .args import UsageError, absolute_paths, check_png, settings_given

__all__ = ["cmd_forecast"]


def cmd_forecast(args) -> int:
    """Train a forecaster (the trainer, ``--task forecast``; with --ensemble K, K of them with seeds
    seed..seed+K-1 into OUT/member-k, their forecasts averaged; with --refit each again into its
    folder's refit/, through the validation windows), then measure it and every baseline by rolling
    origin (``rnnlab.forecast.rolling``); or, with RUN --predict N, forecast past the end."""
    import json
    import time
    from pathlib import Path

    from ..forecast import have_statsmodels, numpy_methods, rolling_origin, statistical_methods
    from ..forecast.network import NetworkMethod
    from ..forecast.report import plot_forecasts, summary, table
    from ..forecast.training import TRANSFORM_KEYS, train_forecaster
    from ..heap import keep_heap
    from ..runs.members import member_configs
    from ..tasks import load_toml, resolve_config
    from ..train import RunFolder

    flags = absolute_paths(settings_given(args))
    if args.run is not None or args.predict is not None:
        return _forecast_ahead(args, flags)
    if flags.get("data") is None and not (args.preset or args.config):
        raise UsageError("give the series with --data: a CSV file (with --column), a .tsf file, or one of sunspots, "
                         "nile, co2, elnino, gdp, m1-yearly")
    try:
        cfg = resolve_config(args.preset or "forecast", args.config, flags | {"task": "forecast"})
    except (ValueError, FileNotFoundError) as e:
        raise UsageError(str(e)) from e
    out = Path(args.out or time.strftime("runs/forecast-%Y%m%d-%H%M%S"))
    check_png("--plot", args.plot)
    keep_heap()
    folder = RunFolder(out)
    members = [out] if args.ensemble == 1 else [folder.member(k).path for k in range(1, args.ensemble + 1)]
    given = {k for k, v in flags.items() if v is not None} | (set(load_toml(args.config)) if args.config else set())
    auto = not given & TRANSFORM_KEYS
    if args.ensemble > 1 or auto:
        folder.require_empty()
    first = None
    if auto:  # no transform given: the network chooses one on validation, as ETS and ARIMA choose their forms
        chosen = _choose_transform(cfg, out, members[0], args.weights)
        if chosen is None:
            return 130
        cfg, first = chosen
    tasks, refits = [], []
    for k, (run, member_cfg) in enumerate(zip(members, member_configs(cfg, args.ensemble))):
        if k == 1:  # each member is trained, then refit, by rnnlab forecast alone
            folder.write_ensemble(args.ensemble, cfg.to_dict(), "rnnlab forecast trains an ensemble whole: run it "
                                                                "again into a new folder")
        trained = first if k == 0 and first else train_forecaster(member_cfg, run, args.weights,
                                                                  notes=k == 0 and not first)
        if trained is None:
            return 130
        tasks.append(trained[0])
        refits += [trained[1]] if trained[1] else []
    task = tasks[0]
    methods = [NetworkMethod(tasks, refits), *numpy_methods(task.season), *statistical_methods(task.season)]
    if not have_statsmodels():
        print("statsmodels is not installed: ETS, ARIMA and Theta are left out (pip install \"rnnlab[forecast]\")",
              file=sys.stderr)
    results = rolling_origin(methods, task.series, task.horizon, task.folds, cfg.level, progress=True)
    (out / "forecasts.json").write_text(json.dumps({"data": cfg.data, "horizon": task.horizon, "folds": task.folds,
                                                    "season": task.season, "results": results}) + "\n")
    if args.plot:
        plot_forecasts(args.plot, task.series, results)
    if args.json:
        print(json.dumps(summary(results)))
    else:
        what = f"{len(task.series)} series" if len(task.series) > 1 else task.series[0].name
        print(f"{what}: {task.folds} rolling-origin window(s) of {task.horizon} (season {task.season}); "
              f"MASE scaled by the in-sample {'seasonal ' if task.season > 1 else ''}naive MAE")
        print(table(results, cfg.level, "method"))
    return 0


def _choose_transform(cfg, out, run, weights: str):
    """(cfg with the transform ``choose_transform`` picks on validation from three candidates trained in
    OUT/transforms/, (its task, its refit)): the chosen one moved to ``run`` and refit there (with
    cfg.refit; else refit None), the others removed, every score in OUT/transforms.json; or None when
    Ctrl-C stopped it."""
    import dataclasses
    import json
    import shutil

    from ..forecast.training import TRANSFORMS, choose_transform, refit_forecaster

    folder = out / "transforms"
    chosen = choose_transform(cfg, folder, weights)
    if chosen is None:
        return None
    name, scores, task = chosen
    print(f"transform chosen on validation MASE: {name} ("
          + ", ".join(f"{k} {v:.3f}" for k, v in scores.items()) + f"); its run is {run}", file=sys.stderr)
    run.mkdir(parents=True, exist_ok=True)
    for path in (folder / name).iterdir():
        path.rename(run / path.name)
    shutil.rmtree(folder)
    (out / "transforms.json").write_text(json.dumps({"chosen": name, "valid_mase": scores}, indent=1) + "\n")
    cfg = dataclasses.replace(cfg, **TRANSFORMS[name])
    refit = refit_forecaster(cfg, run, task) if cfg.refit else None
    return None if cfg.refit and refit is None else (cfg, (task, refit))


def _forecast_ahead(args, flags) -> int:
    import json
    from pathlib import Path

    from ..forecast.metrics import scale
    from ..forecast.network import NetworkMethod
    from ..runs.members import load_members
    from ..tasks import ForecastTask

    if args.run is None or args.predict is None:
        raise UsageError("forecasting past the end needs a run folder and --predict N: rnnlab forecast RUN --predict N")
    given = [k for k, v in flags.items() if v is not None and k != "data_dir"]
    if given or args.out or args.plot or args.preset or args.config:
        raise UsageError("rnnlab forecast RUN --predict N uses the run's own settings; of the other flags it takes "
                         "--data-dir, --weights and --json only")
    run = Path(args.run)
    tasks = load_members(run, args.weights, flags.get("data_dir"))
    if not isinstance(tasks[0], ForecastTask):
        raise ValueError(f"{run} is a {tasks[0].cfg.task} run, not a forecaster")
    forecast = NetworkMethod(tasks, [r for t in tasks for r in t.refit_tasks()]).forecast
    task = tasks[0]
    saved = run / "forecasts.json"
    interval = json.loads(saved.read_text())["results"]["rnnlab"]["interval"] if saved.is_file() else None
    rows = []
    for i, s in enumerate(task.series):
        f = forecast(i, s.values, args.predict)
        width = scale(s.values[:, 0], s.season)
        for k, v in enumerate(f):
            inside = interval is not None and k < len(interval["lo"])
            rows.append({"series": s.name, "step": k + 1, "forecast": float(v),
                         "lo": float(v + interval["lo"][k] * width) if inside else None,
                         "hi": float(v + interval["hi"][k] * width) if inside else None})
    if args.json:
        print(json.dumps(rows))
        return 0
    level = f"{interval['level']:.0%} interval" if interval else "interval (none saved)"
    print(f"series\tstep\tforecast\t{level}")
    for r in rows:
        band = f"{r['lo']:.6g} .. {r['hi']:.6g}" if r["lo"] is not None else "-"
        print(f"{r['series']}\t+{r['step']}\t{r['forecast']:.6g}\t{band}")
    return 0
