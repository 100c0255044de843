"""The ``rnnlab`` command line.

Every subcommand is a function ``cmd_<name>(args) -> exit code``; errors the user can fix are
raised as ``UsageError`` (exit 2) or ``ValueError``/``OSError`` (exit 1) and printed as one line.
"""

from __future__ import annotations

import argparse
import sys

__all__ = ["main", "build_parser", "UsageError"]


class UsageError(Exception):
    """A mistake in the command line itself (exit code 2)."""


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


# A resumed run keeps its model and data; it may change where the data lives, how long it runs, and the
# learning rate and clipping (users lower them after a blow-up); the changes go into its metrics log.
RESUMABLE = {"data_dir", "epochs", "max_steps", "time_budget", "eval_every", "checkpoint_every", "log_every",
             "lr", "clip", "clip_mode"}


def _train_flags(args) -> dict:
    from .train.config import FIELDS

    return {k: getattr(args, k) for k in FIELDS if hasattr(args, k)}


def cmd_train(args) -> int:
    import json
    import time
    from pathlib import Path

    from .heap import keep_heap
    from .train import NonFiniteError, Trainer, resolve_config
    from .train.config import TrainConfig

    flags = _train_flags(args)
    if args.resume:
        run = Path(args.resume)
        if args.out:
            raise UsageError(f"--out cannot go with --resume: the run continues in {run}; to branch it, copy the "
                             f"folder and resume the copy")
        if not (run / "config.json").is_file() or not (run / "checkpoint.safetensors").is_file():
            raise UsageError(f"--resume {run}: not a run folder with a checkpoint (config.json, checkpoint.safetensors)")
        if args.preset or args.config:
            raise UsageError("--resume continues a run with its saved config; drop --preset and --config")
        saved = TrainConfig(**json.loads((run / "config.json").read_text())).to_dict()
        conflicts = [k for k in saved if k not in RESUMABLE and flags.get(k) is not None and flags[k] != saved[k]]
        if conflicts:
            raise UsageError("--resume cannot change " + ", ".join(
                f"--{k.replace('_', '-')} (run has {saved[k]!r}, got {flags[k]!r})" for k in conflicts)
                + "; it may change --lr, --clip, --clip-mode and the run's length")
        try:
            cfg = resolve_config(flags=saved | {k: v for k, v in flags.items() if v is not None})
        except ValueError as e:
            raise UsageError(str(e)) from e
        out = run
    else:
        try:
            cfg = resolve_config(args.preset, args.config, flags)
        except ValueError as e:
            raise UsageError(str(e)) from e
        out = Path(args.out or time.strftime("runs/run-%Y%m%d-%H%M%S"))
    keep_heap()  # this process only trains: let malloc reuse the steps' large temporaries (rnnlab.heap)
    trainer = Trainer(cfg, out, resume=bool(args.resume))
    if args.resume and trainer.finished():
        print(f"{out} has finished ({trainer.step} steps); to train on, resume with a larger --epochs or "
              f"--max-steps, or a --time-budget without --epochs", file=sys.stderr)
        return 0
    print(f"training a {cfg.layers}x{cfg.hidden} {cfg.cell} on {cfg.data} ({len(trainer.vocab)} "
          f"{trainer.vocab.kind}s, {trainer.model.num_parameters():,} parameters) into {out}", file=sys.stderr)
    try:
        summary = trainer.run()
    except NonFiniteError as e:
        print(f"rnnlab train: error: {e}", file=sys.stderr)
        return 1
    import math

    best, last, at = summary["best_valid"], summary["last_valid"], summary["last_valid_step"]
    if math.isfinite(last):
        val = (f"valid loss {last:.4f} (perplexity {math.exp(min(last, 700)):.2f})"
               + ("" if at == summary["step"] else f" at step {at}"))
    else:
        val = "no validation"
    if math.isfinite(best) and best != last:
        val += f", best {best:.4f}"
    print(f"stopped ({summary['reason']}) after {summary['step']} steps in {summary['seconds']:.0f} s; {val}; "
          f"run saved in {out}", file=sys.stderr)
    if summary["reason"] == "interrupted":
        return 130
    if args.sample_length:
        from .generate import sample

        text = sample(trainer.model, trainer.vocab, length=args.sample_length, temperature=0.8, seed=cfg.seed)
        if "\n" in text.rstrip("\n"):
            text = text[: text.rstrip("\n").rindex("\n")]  # whole lines only
        print(f"sample ({args.sample_length} {trainer.vocab.kind}s at most, temperature 0.8; more with rnnlab "
              f"sample {out}):", file=sys.stderr)
        print(text.rstrip("\n"), flush=True)
    return 0


def cmd_eval(args) -> int:
    import json

    from .data import load_corpus
    from .evaluate import evaluate, summarise
    from .train import load_run

    cfg, vocab, model, _ = load_run(args.run, args.weights)
    corpus = load_corpus(cfg.data, args.data_dir or cfg.data_dir)
    result = summarise(*evaluate(model, vocab.encode(corpus.tokens(args.split)), cfg.batch_size, cfg.seq_len))
    if args.json:
        print(json.dumps(result))
    else:
        unit = vocab.kind
        print(f"{args.split}: loss {result['loss']:.4f} nats/{unit}, perplexity {result['perplexity']:.2f}, "
              f"{result['bits_per_token']:.4f} bits/{unit} over {result['tokens']:,} {unit}s")
    return 0


def cmd_sample(args) -> int:
    from .generate import check_sampling_args, sample
    from .train import load_run

    try:
        check_sampling_args(args.length, args.temperature, args.top_k, args.top_p)
    except ValueError as e:
        raise UsageError(str(e)) from e
    _, vocab, model, _ = load_run(args.run, args.weights)
    text = sample(model, vocab, args.prime, args.length, args.temperature, args.top_k, args.top_p, args.seed)
    print(text)
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
                print(f"  {name:<12} {len(c.vocab):>6} {c.vocab.kind}s   {sizes}")
            except (FileNotFoundError, ValueError) as e:
                print(f"  {name:<12} not available: {e}")
        return 0
    from .data.download import SOURCES, download

    if args.name not in SOURCES:
        raise UsageError(f"data download needs a dataset name: {' or '.join(SOURCES)}, got {args.name!r}")
    download(args.name, resolve_data_dir(args.data_dir))
    return 0


def _positive_int(text: str) -> int:
    try:
        v = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a positive integer, got {text!r}") from None
    if v < 1:
        raise argparse.ArgumentTypeError(f"expected a positive integer, got {text!r}")
    return v


def _number(text: str) -> float:
    try:
        v = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a number, got {text!r}") from None
    if v != v or v in (float("inf"), float("-inf")):
        raise argparse.ArgumentTypeError(f"expected a finite number, got {text!r}")
    return v


class _Parser(argparse.ArgumentParser):
    """argparse, but a usage error is one line on stderr (``prog: error: ...``) and exit code 2."""

    def error(self, message):
        self.exit(2, f"{self.prog}: error: {message}\n")


def _weights_flag(parser) -> None:
    parser.add_argument("--weights", choices=["best", "last"], default="best",
                        help="best: the best validation's weights (best.safetensors); last: the latest checkpoint's")


def build_parser() -> argparse.ArgumentParser:
    from . import __version__
    from .nn import cell_names

    p = _Parser(prog="rnnlab", description="Recurrent neural networks in NumPy, "
                                "with hand-derived backpropagation through time.")
    p.add_argument("--debug", action="store_true", help="show tracebacks on errors")
    p.add_argument("--version", action="version", version=f"rnnlab {__version__}")
    sub = p.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser)

    t = sub.add_parser("train", help="train a language model (no flags: a char LSTM on the embedded corpus)")
    a = t.add_argument
    a("--data", help="default | ptb-word | ptb-char | shakespeare | a text file | a folder with train/valid/test.txt")
    a("--data-dir", help="where named datasets live (default $RNNLAB_DATA or ~/.cache/rnnlab)")
    a("--cell", help=f"{' | '.join(cell_names())} (rnnlab.nn.register_cell adds more)")
    a("--layers", type=_positive_int)
    a("--hidden", type=_positive_int)
    a("--embed", type=_positive_int, help="embedding size (default: hidden)")
    a("--dropout", type=_number)
    a("--tie-weights", action=argparse.BooleanOptionalAction, default=None)
    a("--init-scale", type=_number, help="weights ~ U(-s, s)")
    a("--seq-len", type=_positive_int, help="truncated BPTT length T")
    a("--batch-size", type=_positive_int, help="parallel streams N")
    a("--optimizer", help="sgd | adam | adamw | rmsprop | adagrad")
    a("--lr", type=_number)
    a("--momentum", type=_number)
    a("--alpha", type=_number, help="RMSprop smoothing constant (default 0.99)")
    a("--weight-decay", type=_number)
    a("--clip", type=_number, help="max global gradient norm (0: none)")
    a("--clip-mode", help="norm | value")
    a("--schedule", help="constant | step | plateau | cosine")
    a("--lr-decay", type=_number, help="step schedule: lr * decay ** max(0, epoch - decay_after)")
    a("--decay-after", type=int)
    a("--warmup", type=int, help="cosine schedule: warmup steps")
    a("--loss-scale", help="mean | sum_time (summed over time, averaged over the batch)")
    a("--epochs", type=_positive_int)
    a("--max-steps", type=_positive_int, help="stop after this many steps (overrides --epochs)")
    a("--time-budget", type=_number, help="seconds")
    a("--eval-every", type=int, help="steps between validations (0: only at epoch ends)")
    a("--checkpoint-every", type=_positive_int)
    a("--log-every", type=_positive_int)
    a("--seed", type=int)
    a("--dtype", help="float32 | float64")
    a("--out", help="run folder (default runs/run-DATE-TIME)")
    a("--resume", metavar="RUN", help="continue the run in this folder where it stopped")
    a("--preset", help="zaremba-small | zaremba-medium | zaremba-large | char-rnn")
    a("--config", metavar="FILE.toml", help="settings file; flags override it, it overrides the preset")
    a("--sample-length", type=int, default=300, help="tokens to sample when training ends (0: none)")
    t.set_defaults(func=cmd_train)

    e = sub.add_parser("eval", help="loss, perplexity and bits per token of a trained run")
    e.add_argument("run")
    e.add_argument("--split", default="valid", choices=["train", "valid", "test"])
    e.add_argument("--data-dir")
    e.add_argument("--json", action="store_true", help="print loss, perplexity, bits_per_token, tokens as JSON")
    _weights_flag(e)
    e.set_defaults(func=cmd_eval)

    s = sub.add_parser("sample", help="generate text from a trained run")
    s.add_argument("run")
    s.add_argument("--prime", default="", help="text to continue")
    s.add_argument("--length", type=int, default=300, help="tokens to generate")
    s.add_argument("--temperature", type=_number, default=1.0, help="0 = greedy")
    s.add_argument("--top-k", type=int)
    s.add_argument("--top-p", type=_number)
    s.add_argument("--seed", type=int)
    _weights_flag(s)
    s.set_defaults(func=cmd_sample)

    pl = sub.add_parser("plot", help="PNG of train/valid loss and learning rate over steps")
    pl.add_argument("run")
    pl.add_argument("--out", help="PNG path (default RUN/plot.png)")
    _weights_flag(pl)
    pl.set_defaults(func=cmd_plot)

    d = sub.add_parser("data", help="list (or download) datasets")
    d.add_argument("action", choices=["list", "download"])
    d.add_argument("name", nargs="?")
    d.add_argument("--data-dir")
    d.set_defaults(func=cmd_data)

    g = sub.add_parser("gradcheck", help="check every backward pass against central differences")
    g.add_argument("--cell", default="all",
                   help=f"all | {' | '.join(cell_names())}: which cell kind to check (default: all, plus the "
                        "other layers)")
    g.add_argument("--max-elements", type=int, default=20, metavar="K",
                   help="check K random elements of each tensor (default 20)")
    g.add_argument("--full", action="store_true", help="check every element of every tensor")
    g.set_defaults(func=cmd_gradcheck)

    i = sub.add_parser("info", help="version, compute backend, instruction set, threads, BLAS")
    i.add_argument("--json", action="store_true")
    i.set_defaults(func=cmd_info)
    return p


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    try:
        args = parser.parse_args(argv)
    except SystemExit as e:  # a usage error (already printed in one line) or --help
        return int(e.code or 0)
    if args.command is None:
        parser.print_help()
        return 2
    try:
        from .backends import get_backend

        get_backend()  # a bad RNNLAB_BACKEND fails here, before a command writes anything
        return args.func(args)
    except UsageError as e:
        if args.debug:
            raise
        print(f"rnnlab {args.command}: error: {e}", file=sys.stderr)
        return 2
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
