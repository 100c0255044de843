"""The ``rnnlab`` command line.

Every subcommand is a function ``cmd_<name>(args) -> exit code``; errors the user can fix are
raised as ``UsageError`` (exit 2) or ``ValueError``/``OSError`` (exit 1) and printed as one line.
"""

from __future__ import annotations

import sys

from .cli_args import UsageError, build_parser, suggestion
from .cli_compare import cmd_compare
from .cli_forecast import cmd_forecast, eval_forecast
from .cli_inspect import cmd_explain, cmd_inspect
from .cli_train import cmd_train

__all__ = ["main", "build_parser", "UsageError", "COMMANDS"]


def cmd_gradcheck(args) -> int:
    from .gradcheck import TOLERANCE, default_grid
    from .nn import cell_kind

    try:
        cells = None if args.cell == "all" else [cell_kind(args.cell).name]
    except ValueError as e:
        raise UsageError(str(e)) from e
    rows = list(default_grid(None if args.full else args.max_elements, cells))
    width = max(len(c) for c, _, _ in rows), max(len(c) for _, c, _ in rows)
    print(f"{'component':<{width[0]}}  {'configuration':<{width[1]}}  {'max rel error':>13}  result")
    failed = 0
    for comp, cfg, check in rows:
        errors = check()
        worst = max(errors.values())
        ok = worst < TOLERANCE
        failed += not ok
        where = "" if ok else f"  (worst: {max(errors, key=errors.get)})"
        print(f"{comp:<{width[0]}}  {cfg:<{width[1]}}  {worst:13.2e}  {'ok' if ok else 'FAIL'}{where}", flush=True)
    print(f"{len(rows) - failed} passed, {failed} failed (tolerance {TOLERANCE:.0e}, central differences "
          f"in float64)")
    return 1 if failed else 0



def cmd_info(args) -> int:
    import json

    from .info import info

    facts = info()
    if args.json:
        print(json.dumps(facts))
    else:
        width = max(map(len, facts))
        for k, v in facts.items():
            print(f"{k + ':':<{width + 1}}  {v}")
    return 0


def cmd_eval(args) -> int:
    import json

    import numpy as np

    from .tasks import load_task, run_members
    from .tasks.classify import ensemble_logits
    from .train import load_weights

    members = run_members(args.run)
    cfg, task, _ = load_task(members[0], args.weights, args.data_dir)
    if len(members) > 1 and cfg.task not in ("classify", "forecast"):
        raise ValueError(f"{args.run} is an ensemble of {cfg.task} runs; rnnlab eval measures ensembles of "
                         f"classifiers and forecasters only: give it one member ({members[0]})")
    if args.beam and cfg.task != "seq2seq":
        raise UsageError(f"--beam is for seq2seq runs; {args.run} is a {cfg.task} run")
    if cfg.task == "classify":
        each = [task.predict(args.split)]
        for member in members[1:]:  # the same split and settings but the seed: its weights in the first one's model
            task.model.load_state_dict(load_weights(member, args.weights)[0])
            each.append(task.predict(args.split))
        logits = ensemble_logits(each)
        measures = task.evaluate(args.split, logits)
        result = {k: measures[k] for k in ("loss", "accuracy", "macro_f1")} | {"n": measures["examples"]}
        if args.json:
            print(json.dumps(result))
            return 0
        print(f"{args.split}: loss {result['loss']:.4f}, accuracy {result['accuracy']:.4f}, macro-F1 "
              f"{result['macro_f1']:.4f} over {result['n']:,} examples"
              + (f" (an ensemble of {len(members)})" if len(members) > 1 else ""))
        predicted, truth = logits.argmax(1), task.labels[args.split]
        width = max(len(c) for c in task.classes) + 2
        print("confusion (rows: true, columns: predicted)")
        print(" " * width + "".join(f"{c:>{width}}" for c in task.classes))
        for i, c in enumerate(task.classes):
            counts = np.bincount(predicted[truth == i], minlength=len(task.classes))
            print(f"{c:>{width}}" + "".join(f"{n:>{width}}" for n in counts))
        return 0
    if cfg.task == "forecast":
        return eval_forecast(args, cfg, task, members)
    if cfg.task == "seq2seq":
        measures = task.evaluate(args.split, args.beam)
        if args.json:
            print(json.dumps(measures))
        else:
            print(f"{args.split} ({'greedy' if (args.beam or cfg.beam) == 1 else f'beam {args.beam or cfg.beam}'}): "
                  f"loss {measures['loss']:.4f}, WER {measures['wer']:.2%}, PER {measures['per']:.2%}, exact "
                  f"{measures['exact']:.2%}, token accuracy {measures['token_accuracy']:.2%} over {measures['n']:,} "
                  f"sources")
        return 0

    measures = task.evaluate(args.split)
    if args.json:
        print(json.dumps(measures))
    elif cfg.task != "lm":
        print(f"{args.split}: {task.describe(measures)}")
    else:
        unit = task.vocab.kind
        print(f"{args.split}: loss {measures['loss']:.4f} nats/{unit}, perplexity {measures['perplexity']:.2f}, "
              f"{measures['bits_per_token']:.4f} bits/{unit} over {measures['tokens']:,} {unit}s")
    return 0


def cmd_translate(args) -> int:
    """Decode texts with a seq2seq run; --attention-plot draws the first one's attention weights."""
    from .seq2seq.decode import attention_weights
    from .tasks import load_task

    cfg, task, _ = load_task(args.run, args.weights)
    if cfg.task != "seq2seq":
        raise ValueError(f"{args.run} is a {cfg.task} run; translate needs a seq2seq run (--task seq2seq)")
    if not args.text:
        raise UsageError("give texts to translate: rnnlab translate RUN TEXT...")
    sources = [task.split_source(t) for t in args.text]
    if cfg.reverse_source:
        sources = [s[::-1] for s in sources]
    ids = task.encode_sources(sources)
    outputs = task.decode(ids, args.beam)
    for text, out in zip(args.text, outputs):
        print(f"{text}\t{task.join(out)}")
    if args.attention_plot:
        from .plot import plot_attention

        out_ids = [task.target_vocab.stoi[t] for t in outputs[0]] + [task.eos]
        weights = attention_weights(task.model, ids[0][:, None], [len(ids[0])], out_ids, task.bos)
        plot_attention(args.attention_plot, weights, sources[0], outputs[0] + ["<eos>"])
        print(f"attention weights of the first input: {args.attention_plot}", file=sys.stderr)
    return 0


def cmd_sample(args) -> int:
    from .generate import check_sampling_args, sample
    from .tasks import load_run

    try:
        check_sampling_args(args.length, args.temperature, args.top_k, args.top_p)
    except ValueError as e:
        raise UsageError(str(e)) from e
    _, vocab, model, _ = load_run(args.run, args.weights)
    text = sample(model, vocab, args.prime, args.length, args.temperature, args.top_k, args.top_p, args.seed)
    print(text)
    return 0


def cmd_predict(args) -> int:
    from pathlib import Path

    import numpy as np

    from .data.labelled_text import read_table
    from .data.ts_format import read_ts
    from .tasks import run_members
    from .tasks.classify import Predictor
    from .train import load_weights
    from .train.config import read_run_config

    predictors = []
    for run in run_members(args.run):
        cfg = read_run_config(run)
        if cfg.task != "classify":
            raise ValueError(f"{args.run} is a {cfg.task} run; predict needs a classifier run (--task classify)")
        predictors.append(Predictor(run, cfg, load_weights(run, args.weights)[0]))
    kind = predictors[0].kind
    if bool(args.text) == bool(args.data):
        raise UsageError("give texts to classify, or --data FILE (a table with a text column, or a .ts file)")
    if args.data:
        path = Path(args.data)
        if kind == "series":
            inputs = read_ts(path).series
            shown = [f"case {i}" for i in range(1, len(inputs) + 1)]
        else:
            inputs = shown = read_table(path, need_label=False).texts
    elif kind == "series":
        raise UsageError(f"{args.run} classifies series: give them with --data FILE.ts")
    else:
        inputs = shown = args.text
    p = np.mean([predictor.probabilities(inputs) for predictor in predictors], axis=0)  # an ensemble's: the mean
    for k, probability, what in zip(p.argmax(1), p.max(1), shown):
        print(f"{predictors[0].classes[k]}\t{probability:.3f}\t{what}")
    return 0


def cmd_plot(args) -> int:
    from pathlib import Path

    from .plot import plot_run

    out = plot_run(Path(args.run), Path(args.out) if args.out else None, args.weights)
    print(f"wrote {out}")
    return 0


def cmd_data(args) -> int:
    from .data.corpora import load_corpus, resolve_data_dir

    if args.action == "list":
        root = resolve_data_dir(args.data_dir)
        print(f"data directory: {root}")
        for name in ("default", "ptb-word", "ptb-char", "shakespeare"):
            try:
                c = load_corpus(name, root)
                sizes = ", ".join(f"{s} {len(t):,} tokens" if t is not None else f"{s} missing" for s, t in c.splits.items())
                print(f"  {name:<15} {len(c.vocab):>6} {c.vocab.kind}s   {sizes}")
            except (FileNotFoundError, ValueError) as e:
                print(f"  {name:<15} not available: {e}")
        from .data.labelled_text import load_sentiment
        from .data.ts_format import read_ts

        try:
            s = load_sentiment(root)
            print(f"  {'sentiment':<15} {len(s.texts):,} texts, classes {', '.join(s.classes)} (classify)")
        except (FileNotFoundError, ValueError) as e:
            print(f"  {'sentiment':<15} not available: {e}")
        jv = [root / "uea" / f"JapaneseVowels_{p}.ts{e}" for p in ("TRAIN", "TEST") for e in (".gz", "")]
        found = [p for p in jv if p.is_file()]
        if len(found) >= 2:
            sizes = [len(read_ts(p).series) for p in found[:2]]
            print(f"  {'japanese-vowels':<15} {sizes[0]} train, {sizes[1]} test series (classify)")
        else:
            print(f"  {'japanese-vowels':<15} not available: needs {root / 'uea'}/JapaneseVowels_{{TRAIN,TEST}}.ts[.gz]")
        from .data.pairs import load_cmudict

        try:
            g2p = load_cmudict(root)
            sizes = ", ".join(f"{k} {len(p):,} words" for k, p in g2p.items())
            print(f"  {'cmudict':<15} {sizes} (seq2seq: spelling to phones)")
        except (FileNotFoundError, ValueError) as e:
            print(f"  {'cmudict':<15} not available: {e}")
        print(f"  {'dates':<15} generated: 20,000 / 1,000 / 1,000 human-written dates to ISO 8601 (seq2seq)")
        print(f"  {'addition':<15} generated: 45,000 / 5,000 / 5,000 sums of 1-3 digit numbers (seq2seq)")
        from .data.series import NAMED_SERIES, named_series

        for name, (_, freq, season, horizon, what) in NAMED_SERIES.items():
            try:
                series = named_series(name, root)
                size = f"{len(series)} series" if len(series) > 1 else f"{len(series[0].values)} points"
                print(f"  {name:<15} {size}, {freq}, season {season}, horizon {horizon}: {what} (forecast)")
            except (FileNotFoundError, ValueError) as e:
                print(f"  {name:<15} not available: {e}")
        return 0
    from .data.download import SOURCES, download

    if args.name not in SOURCES:
        raise UsageError(f"data download needs a dataset name: {' or '.join(SOURCES)}, got {args.name!r}")
    download(args.name, resolve_data_dir(args.data_dir))
    return 0


COMMANDS = {"train": cmd_train, "compare": cmd_compare, "forecast": cmd_forecast, "eval": cmd_eval, "translate": cmd_translate,
            "sample": cmd_sample, "explain": cmd_explain, "inspect": cmd_inspect,
            "predict": cmd_predict, "plot": cmd_plot, "data": cmd_data,
            "gradcheck": cmd_gradcheck, "info": cmd_info}


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    try:
        args, extra = parser.parse_known_args(argv)
        if extra:
            sub = parser.commands.get(args.command, parser)
            sub.error(f"unrecognized arguments: {' '.join(extra)}{suggestion(sub, extra)}")
    except SystemExit as e:  # a usage error (already printed in one line) or --help
        return int(e.code or 0)
    if args.command is None:
        parser.print_help()
        return 2
    from .distributed import RankFailed, launched_rank, launched_size

    if launched_size() > 1 and args.command != "train":
        if launched_rank() == 0:
            print(f"rnnlab {args.command}: error: started as {launched_size()} processes (mpiexec, srun); only rnnlab "
                  f"train runs on several, every other command on one", file=sys.stderr)
        return 2
    try:
        from .backends import get_backend

        get_backend()  # a bad RNNLAB_BACKEND fails here, before a command writes anything
        return COMMANDS[args.command](args)
    except RankFailed as e:  # another rank failed and the root has said why
        return e.code
    except UsageError as e:
        if args.debug:
            raise
        print(f"rnnlab {args.command}: error: {e}", file=sys.stderr)
        return 2
    except BrokenPipeError:  # the reader stopped early (| head): not an error
        import os

        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 0
    except (ValueError, OSError, ImportError) as e:
        if args.debug:
            raise
        print(f"rnnlab {args.command}: error: {e}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print(f"rnnlab {args.command}: interrupted", file=sys.stderr)
        return 130


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
