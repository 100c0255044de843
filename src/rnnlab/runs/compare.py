"""Fair comparisons of model families on one task (``rnnlab compare``).

Every family gets the same data, the same optimiser settings, the same time budget per run and the same
number of seeds, and a width chosen so that its non-embedding parameters come closest to one target P.
Each family's shape follows one fixed rule (the "recipe"), stated here and in the README:

    rnn, lstm, gru   a --layers-deep recurrent stack (tanh RNN, LSTM, GRU) of width H
    tcn              --kernel-size taps, the fewest levels whose receptive field 1 + 2 (k-1)(2^n - 1)
                     covers the task's longest sequence, H channels (Bai et al. 2018)
    transformer      --layers blocks of width H (a multiple of --heads), 4H-wide MLPs
    mlp              --layers layers of H units over a window of the task's longest sequence (the
                     long-range and classification tasks, a forecaster's look-back) or --window tokens
                     (language models)

Token inputs are embedded in --embed (default 32) dimensions for every model. Parameters are split into
embedding (token and position tables) and the rest. FLOPs per step are the
forward multiply-adds x 2 of every weight a step uses (a feed-forward language model's carried
context counted, (K + T) / T times) plus the Transformer's attention scores and weighted sums, 2 C L
per layer for a mean of L / 2 keys. Each run keeps its best validation weights; the measure is the
task's own on its test split (language models: validation, the test split being kept aside;
forecasters: MASE over the rolling-origin test windows, their curve the validation loss).
"""

from __future__ import annotations

import dataclasses
import json
import statistics
import time
from pathlib import Path

from ..models.tcn import receptive_field
from ..train.run_folder import RunFolder

__all__ = ["FAMILIES", "family_config", "size_to", "split_parameters", "flops_per_step", "measure", "compare",
           "table", "plot"]

FAMILIES = ("rnn", "lstm", "gru", "tcn", "transformer", "mlp")
EMBED = 32  # every model's token embedding, unless --embed says


def family_config(cfg, family: str, longest: int, hidden: int, streams: bool = False):
    """``cfg`` for ``family`` at width ``hidden`` on a task whose sequences have up to ``longest`` steps
    (``streams``: a task of continuous streams, whose MLP sees --window tokens)."""
    if family not in FAMILIES:
        raise ValueError(f"unknown model {family!r}; expected some of {', '.join(FAMILIES)}")
    # the other families' own flags at their defaults (a TCN run carries no --heads, ...)
    defaults = {s.name: s.default for s in cfg.settings if s.name in ("context", "kernel_size", "window", "heads")}
    base = defaults | dict(hidden=hidden) | ({"embed": cfg.embed or EMBED} if "embed" in cfg.field_names() else {})
    if family in ("rnn", "lstm", "gru"):
        return dataclasses.replace(cfg, **base, arch="rnn", cell=family)
    if family == "tcn":
        levels = next(n for n in range(1, 30) if receptive_field(cfg.kernel_size, n) >= longest)
        return dataclasses.replace(cfg, **base | dict(kernel_size=cfg.kernel_size), arch="tcn", layers=levels)
    if family == "transformer":
        return dataclasses.replace(cfg, **base | dict(heads=cfg.heads), arch="transformer")
    window = cfg.window if streams else longest
    return dataclasses.replace(cfg, **base | dict(window=window), arch="mlp")


def split_parameters(model) -> tuple[int, int]:
    """(embedding, other) parameter counts: token and position tables against the rest."""
    emb = sum(p.size for k, p, _ in model.named_parameters() if k.split(".")[-2:-1] == ["embedding"]
              or k.endswith("wpe"))
    return emb, model.num_parameters() - emb


def size_to(task, cfg, family: str, params: int):
    """(config, model) of ``family`` whose non-embedding parameters come closest to ``params``."""
    step = cfg.heads if family == "transformer" else 1

    def build(units):
        c = family_config(cfg, family, task.longest, units * step, task.streams)
        return c, task.model_for(c)

    def count(units):
        return split_parameters(build(units)[1])[1]

    hi = 1
    while count(hi) < params:
        hi *= 2
    lo = max(1, hi // 2)
    while hi - lo > 1:  # count grows with the width: bisect to the last width below, then take the closer
        mid = (lo + hi) // 2
        lo, hi = (mid, hi) if count(mid) < params else (lo, mid)
    best = min((lo, hi), key=lambda u: abs(count(u) - params))
    return build(best)


def flops_per_step(model, cfg, T: int) -> float:
    """Forward FLOPs per predicted step (module docstring), for sequences of T steps."""
    ch = model.children
    core = ch.get("rnn") or ch["encoder"]
    head = ch.get("decoder") or ch["out"]
    context = getattr(model, "context", 0)
    span = context + T  # steps the encoder runs per batch
    flops = 2 * core.num_parameters() * span / T + 2 * head.num_parameters()
    if cfg.arch == "transformer":
        flops += core.layers * 2 * core.output_size * span * span / T
    return flops


def measure(task) -> tuple[str, float, bool]:
    """(name, value, lower is better) of the task's measure, with the weights its model holds."""
    m = task.measure
    return m.key, task.evaluate(m.split)[m.key], m.lower_is_better


def compare(cfg, families: list[str], params: int, budget: float, seeds: int, out: Path, say=print) -> list[dict]:
    """Train every family for every seed into ``out/<family>-s<seed>`` under ``budget`` seconds each;
    one row per family: sizes, FLOPs, steps and what they saw, seconds, the measure (mean, spread, each
    seed's) and the validation curve against time of each seed (for the plot)."""
    from ..tasks import make_trainer, task_class
    from ..train import load_weights

    reference = task_class(cfg.task)(cfg, None)
    curve = reference.curve or reference.measure.key
    rows = []
    for family in families:
        fcfg, model = size_to(reference, cfg, family, params)
        emb, other = split_parameters(model)
        runs = []
        for seed in range(cfg.seed, cfg.seed + seeds):
            run = out / f"{family}-s{seed}"
            rcfg = dataclasses.replace(fcfg, seed=seed, time_budget=budget, max_steps=None, epochs=None)
            times = {}
            start = time.perf_counter()

            def log(msg, times=times, start=start):
                if " valid " in msg:  # "step N ... valid ...": when each validation was logged
                    times[int(msg.split()[1])] = time.perf_counter() - start

            trainer = make_trainer(rcfg, run, log=log, progress=False)
            result = trainer.run()
            trainer.task.model.load_state_dict(load_weights(run, "best")[0])  # the run's task: no second data load
            name, value, lower = measure(trainer.task)
            runs.append({"seed": seed, "value": value, "steps": result["step"], "seconds": result["seconds"],
                         "curve": _curve(run, times, curve)})
            say(f"{family:<12} seed {seed}: {name} {value:.4f} after {result['step']} steps in {result['seconds']:.0f} s")
        values = [r["value"] for r in runs]
        steps = statistics.mean(r["steps"] for r in runs)
        per_step = cfg.batch_size * (cfg.seq_len if reference.streams else 1)
        rows.append({"model": family, "hidden": fcfg.hidden, "layers": fcfg.layers, "embedding_params": emb,
                     "params": other, "flops_per_step": flops_per_step(model, fcfg, reference.longest),
                     "steps": steps, "seen": steps * per_step,
                     "seconds": statistics.mean(r["seconds"] for r in runs), "measure": name, "lower_is_better": lower,
                     "curve_measure": curve, "unit": reference.unit,
                     "mean": statistics.mean(values), "sd": statistics.stdev(values) if len(values) > 1 else 0.0,
                     "runs": runs})
    return rows


def _curve(run: Path, times: dict[int, float], name: str) -> list[tuple[float, float]]:
    """(seconds, validation measure) of each validation the run logged."""
    points = []
    for line in RunFolder(run).metrics.read_text().splitlines():
        row = json.loads(line)
        if f"valid_{name}" in row and row["step"] in times:
            points.append((times[row["step"]], row[f"valid_{name}"]))
    return points


def fmt_count(n: float) -> str:
    for unit, size in (("G", 1e9), ("M", 1e6), ("k", 1e3)):
        if n >= size:
            return f"{n / size:.1f}{unit}"
    return f"{n:.0f}"


def table(rows: list[dict]) -> str:
    """The comparison as a markdown table (the measure as mean ± sd over seeds; one seed, its value)."""
    seen, single = rows[0]["unit"], all(len(r["runs"]) == 1 for r in rows)
    lines = [f"| model | width x depth | params (non-emb.) | embedding | FLOPs/step | steps | {seen} seen | s/run | "
             f"{rows[0]['measure']}{'' if single else ' (mean ± sd)'} |", "|---|---|---|---|---|---|---|---|---|"]
    for r in rows:
        spread = "" if single else f" ± {r['sd']:.4f}"
        lines.append(f"| {r['model']} | {r['hidden']} x {r['layers']} | {r['params']:,} | {r['embedding_params']:,} | "
                     f"{fmt_count(r['flops_per_step'])} | {r['steps']:.0f} | {fmt_count(r['seen'])} | "
                     f"{r['seconds']:.0f} | {r['mean']:.4f}{spread} |")
    return "\n".join(lines)


def plot(rows: list[dict], path: Path, title: str) -> None:
    """Validation measure against wall time, one colour per model, one line per seed."""
    from ..plot import pyplot, save_figure

    plt = pyplot()
    fig, ax = plt.subplots(figsize=(7, 4.5))
    colours = plt.rcParams["axes.prop_cycle"].by_key()["color"]
    for i, r in enumerate(rows):
        for j, run in enumerate(r["runs"]):
            if run["curve"]:
                t, v = zip(*run["curve"])
                ax.plot(t, v, color=colours[i % len(colours)], alpha=0.8, marker=".",
                        label=r["model"] if j == 0 else None)
    ax.set_xlabel("wall time (s)")
    ax.set_ylabel(f"validation {rows[0].get('curve_measure', rows[0]['measure'])}")
    if rows[0]["lower_is_better"] and all(v > 0 for r in rows for run in r["runs"] for _, v in run["curve"]):
        ax.set_yscale("log")
    ax.set_title(title)
    ax.legend()
    save_figure(fig, path)
