"""The long-range study: why plain RNNs fail on long dependencies and gates fix it, measured.

    python -m benchmarks.longrange [--jobs 2] [--seeds 3] [--only NAME,...] [--extended] [--quick]

Trains every configuration below (tanh RNN, LSTM and GRU at equal parameter counts on the adding
problem (T = 50, 100, 200; with --extended also 400, and the LSTM's forget-gate bias there) and copy
memory at several T; the plain RNN with and without clipping and with orthogonal and
identity (IRNN) initialisation; the 1997 adding problem; the embedded Reber grammar), several seeds
each, ``--jobs`` at a time, each process on one BLAS thread. Adam 2e-3, batch 32, clipping at norm 5
unless a configuration says otherwise; the LSTM's forget-gate bias starts at 1 unless it says 0 (as
initialised, PyTorch's) or 5. Each run keeps its best validation weights
and is measured on the task's fixed test set; its gradient flow (||dL/dh_t|| against lag, on 100 test
sequences) is traced at initialisation and after training. Writes benchmarks/results/long-range/
runs.jsonl (one line per run, appended as they finish: an interrupted study resumes where it stopped),
summary.md (the table) and the figures. ``--quick`` is a smoke test (tiny budgets, nothing written
to results).
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import statistics
import sys
import tempfile
import time
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

RESULTS = Path(__file__).parent / "results" / "long-range"
LSTM_HIDDEN = 64  # every cell gets the hidden size whose recurrent layer has about the LSTM's parameters


def equal_hidden(cell: str, inputs: int) -> int:
    """The hidden size whose one-layer ``cell`` has the parameters closest to an LSTM of LSTM_HIDDEN."""
    gates = {"lstm": 4, "gru": 3, "rnn": 1, "rnn_relu": 1}

    def count(g, h):
        return g * (h * inputs + h * h + 2 * h)

    target = count(4, LSTM_HIDDEN)
    return min(range(1, 400), key=lambda h: abs(count(gates[cell], h) - target))


def configurations(quick: bool, extended: bool = False) -> list[dict]:
    """name, flags (rnnlab train), group: one entry per configuration (seeds are added later)."""
    out = []
    steps = {50: 3000, 100: 4000, 200: 6000, 400: 6000}

    def add(group, name, task, T, cell, flags):
        out.append(dict(group=group, name=name, task=task, T=T, cell=cell, flags=flags))

    for T in (50, 100, 200, 400) if extended else (50, 100, 200):  # T = 400 costs as much as the rest
        for cell in ("rnn", "lstm", "gru"):
            add("adding", f"adding T={T} {cell}", "adding", T, cell, ["--max-steps", str(steps[T])])
    for bias in ("0", "5") if extended else ():  # the LSTM's forget-gate bias: 1 above; 0 (about PyTorch's) and 5
        add("forget bias", f"adding T=400 lstm, forget bias {bias}", "adding", 400, "lstm",
            ["--max-steps", str(steps[400]), "--forget-bias", bias])
    for cell, bias in (("rnn", None), ("lstm", "1"), ("lstm", "5"), ("gru", None)):
        add("adding 1997", f"adding-1997 T=100 {cell}" + (f", forget bias {bias}" if bias else ""), "adding", 100,
            cell, ["--definition", "1997", "--max-steps", "4000"] + (["--forget-bias", bias] if bias else []))
    for T in (50, 100, 200):
        for cell in ("rnn", "lstm", "gru"):
            add("copy", f"copy T={T} {cell}", "copy", T, cell, ["--max-steps", "3000"])
    for label, cell, flags in (("no clipping", "rnn", ["--clip", "0"]), ("clip 1", "rnn", ["--clip", "1"]),
                               ("relu", "rnn_relu", []), ("orthogonal", "rnn", ["--init", "orthogonal"]),
                               ("IRNN", "rnn_relu", ["--init", "identity", "--lr", "1e-4"])):
        add("rnn variants", f"adding T=100 rnn, {label}", "adding", 100, cell, ["--max-steps", "4000", *flags])
    for cell in ("rnn", "lstm", "gru"):
        add("reber", f"reber {cell}", "reber", 0, cell, ["--max-steps", "3000", "--batch-size", "16"])
    for c in out:
        inputs = 2 if c["task"] == "adding" else LSTM_HIDDEN  # token tasks: embeddings of the LSTM's width
        c["hidden"] = equal_hidden(c["cell"], inputs)
        if c["cell"] == "lstm" and "--forget-bias" not in c["flags"]:
            c["flags"] += ["--forget-bias", "1"]  # Gers et al. 2000
        elif "--forget-bias" in c["flags"] and c["flags"][c["flags"].index("--forget-bias") + 1] == "0":
            i = c["flags"].index("--forget-bias")
            del c["flags"][i:i + 2]  # as initialised: PyTorch's U(-1/sqrt(H), 1/sqrt(H)) biases
        if quick:
            i = c["flags"].index("--max-steps")
            c["flags"][i + 1] = "40"
    return out


def one_run(config: dict, seed: int) -> dict:
    """Train one configuration for one seed; measure test and trace the gradient flow before and after."""
    from rnnlab.cli import main as rnnlab
    from rnnlab.insight.diagnostics import lag_norms, trace
    from rnnlab.tasks import load_task

    out = Path(tempfile.mkdtemp()) / "run"
    flags = ["train", "--task", config["task"], "--cell", config["cell"], "--layers", "1",
             "--hidden", str(config["hidden"]), "--seed", str(seed),
             "--eval-every", "250", "--log-every", "100000", "--checkpoint-every", "100000", "--out", str(out),
             *config["flags"]]
    if config["task"] != "adding":  # token inputs: embeddings of the LSTM's width for every cell
        flags += ["--embed", str(LSTM_HIDDEN)]
    if config["T"]:
        flags += ["--seq-len", str(config["T"])]

    def flow(task):
        b = task.first("test", 100)
        return lag_norms(trace(task.model, lambda: task.forward_backward(b))).tolist()

    t = time.perf_counter()
    with open(os.devnull, "w") as quiet:
        saved, sys.stderr = sys.stderr, quiet
        try:
            assert rnnlab(flags) == 0
        finally:
            sys.stderr = saved
    seconds = time.perf_counter() - t
    _, task, meta = load_task(out, "best")
    result = {"name": config["name"], "group": config["group"], "cell": config["cell"], "task": config["task"],
              "T": config["T"], "hidden": config["hidden"], "seed": seed, "flags": config["flags"],
              "parameters": task.model.num_parameters(), "train_seconds": seconds, "best_step": meta["step"],
              "test": task.evaluate("test"), "flow_trained": flow(task)}
    task.model.load_state_dict(type(task)(task.cfg).model.state_dict())  # the same seed's initial weights
    result["flow_init"] = flow(task)
    shutil.rmtree(out.parent)
    return result


def main() -> None:
    ap = argparse.ArgumentParser(prog="python -m benchmarks.longrange")
    ap.add_argument("--jobs", type=int, default=2)
    ap.add_argument("--seeds", type=int, default=3)
    ap.add_argument("--only", help="comma-separated groups: adding, copy, rnn variants, adding 1997, reber")
    ap.add_argument("--extended", action="store_true", help="also adding at T = 400 and its forget-bias sweep")
    ap.add_argument("--quick", action="store_true")
    args = ap.parse_args()
    configs = configurations(args.quick, args.extended)
    if args.only:
        configs = [c for c in configs if c["group"] in args.only.split(",")]
    target = Path(tempfile.mkdtemp()) if args.quick else RESULTS
    target.mkdir(parents=True, exist_ok=True)
    log = target / "runs.jsonl"
    done = {(r["name"], r["seed"]) for r in map(json.loads, log.read_text().splitlines())} if log.exists() else set()
    todo = [(c, s) for c in configs for s in range(1, args.seeds + 1) if (c["name"], s) not in done]
    print(f"{len(todo)} runs to do ({len(done)} done) on {platform.processor() or platform.machine()}", flush=True)
    t = time.perf_counter()
    os.environ["OPENBLAS_NUM_THREADS"] = os.environ["OMP_NUM_THREADS"] = "1"  # the workers inherit it
    with ProcessPoolExecutor(args.jobs) as pool:
        futures = [pool.submit(one_run, c, s) for c, s in todo]
        for f in futures:
            r = f.result()
            with open(log, "a") as fh:
                fh.write(json.dumps(r) + "\n")
            print(f"{time.perf_counter() - t:7.0f} s  {r['name']} seed {r['seed']}: {r['test']}", flush=True)
    runs = [json.loads(line) for line in log.read_text().splitlines()]
    (target / "summary.md").write_text(summarise(runs))
    figures(runs, target)
    print((target / "summary.md").read_text())


def _measure(r: dict) -> str:
    m = r["test"]
    if r["task"] == "adding":
        return f"MSE {m['loss']:.4f}, solved {m['solved']:.0%}"
    if r["task"] == "copy":
        return f"loss {m['loss']:.4f}, digits {m['digit_accuracy']:.0%}"
    return f"solved {m['solved']:.0%}, long-range {m['long_range_accuracy']:.0%}"


def summarise(runs: list[dict]) -> str:
    """One markdown row per configuration: the median seed's measure (of an even number, the worse of the
    middle two) and every seed's main figure."""
    by = {}
    for r in runs:
        by.setdefault(r["name"], []).append(r)
    lines = ["| configuration | hidden | parameters | test (median seed; of two, the worse) | per seed | baseline | s/run |",
             "|---|---|---|---|---|---|---|"]
    for name, rs in by.items():
        key = (lambda r: r["test"]["loss"]) if rs[0]["task"] != "reber" else (lambda r: -r["test"]["solved"])
        rs = sorted(rs, key=key)
        mid = rs[len(rs) // 2]
        main = ", ".join(f"{r['test']['loss']:.3f}" if r["task"] != "reber" else f"{r['test']['solved']:.0%}" for r in rs)
        base = f"{mid['test']['baseline']:.3f}" if "baseline" in mid["test"] else ""
        lines.append(f"| {name} | {mid['hidden']} | {mid['parameters']:,} | {_measure(mid)} | {main} | {base} | "
                     f"{statistics.mean(r['train_seconds'] for r in rs):.0f} |")
    return "\n".join(lines) + "\n"


def figures(runs: list[dict], target: Path) -> None:
    """gradient-flow.png: ||dL/dh_t|| against lag at initialisation and after training (adding, each T)."""
    from rnnlab.plot import pyplot, save_figure

    plt = pyplot()
    Ts = sorted({r["T"] for r in runs if r["group"] == "adding"})
    if not Ts:
        return
    fig, axes = plt.subplots(2, len(Ts), figsize=(4 * len(Ts), 6.5), squeeze=False)
    colours = {"rnn": "tab:red", "lstm": "tab:blue", "gru": "tab:green"}
    for j, T in enumerate(Ts):
        for i, when in enumerate(("flow_init", "flow_trained")):
            ax = axes[i][j]
            for r in runs:
                if r["group"] == "adding" and r["T"] == T:
                    ax.semilogy(r[when], color=colours[r["cell"]], alpha=0.7,
                                label=r["cell"] if r["seed"] == 1 else None)
            ax.set_title(f"adding T={T}, {'initial' if i == 0 else 'trained'}")
            ax.set_xlabel("lag T - t")
            if j == 0:
                ax.set_ylabel("||dL/dh_t||")
            ax.legend()
    save_figure(fig, target / "gradient-flow.png")


if __name__ == "__main__":
    main()
