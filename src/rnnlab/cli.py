"""The ``rnnlab`` command line.

Every subcommand is a function ``cmd_<name>(args) -> exit code``; errors the user can fix are
raised as ``UsageError`` (exit 2) or ``ValueError``/``OSError`` (exit 1) and printed as one line.
"""

from __future__ import annotations

import argparse
import difflib
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
        except (ValueError, FileNotFoundError) as e:
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


# train's flags: (flag, type, help); the default shown is TrainConfig's unless given as a fourth item
_TRAIN_FLAGS = [
    ("--data", str, "corpus: default (embedded) | ptb-word | ptb-char | shakespeare | a text file | a folder "
                    "with train.txt, valid.txt[, test.txt]"),
    ("--data-dir", str, "where named datasets live", "$RNNLAB_DATA, else ~/.cache/rnnlab"),
    ("--cell", str, "cell kind: {cells}"),
    ("--layers", "positive", "recurrent layers"),
    ("--hidden", "positive", "hidden units per layer"),
    ("--embed", "positive", "embedding size", "--hidden"),
    ("--dropout", "number", "dropout on the non-recurrent connections, in [0, 1)"),
    ("--tie-weights", "bool", "the decoder shares the embedding matrix (needs --embed = --hidden)"),
    ("--init-scale", "number", "every weight and bias ~ U(-s, s)"),
    ("--seq-len", "positive", "truncated BPTT length T"),
    ("--batch-size", "positive", "parallel streams N"),
    ("--optimizer", str, "sgd | adam | adamw | rmsprop | adagrad"),
    ("--lr", "number", "learning rate"),
    ("--momentum", "number", "momentum (sgd, rmsprop)"),
    ("--alpha", "number", "smoothing constant (rmsprop)"),
    ("--weight-decay", "number", "L2 penalty (adamw: decoupled weight decay)"),
    ("--clip", "number", "gradient clipping threshold (0: none)"),
    ("--clip-mode", str, "norm: the global norm | value: each element"),
    ("--schedule", str, "learning rate over time: constant | step | plateau | cosine"),
    ("--lr-decay", "number", "step: lr * decay ** max(0, epoch - decay-after)"),
    ("--decay-after", int, "step: epochs at the full rate"),
    ("--warmup", int, "cosine: steps of linear warmup"),
    ("--loss-scale", str, "mean over tokens | sum_time (summed over time, mean over the batch: Zaremba)"),
    ("--epochs", "positive", "passes over the training data", "1, or unbounded under --time-budget"),
    ("--max-steps", "positive", "stop after this many steps (overrides --epochs)", "none"),
    ("--time-budget", "number", "stop after this many seconds", "none"),
    ("--eval-every", int, "steps between validations (0: at epoch ends only)"),
    ("--checkpoint-every", "positive", "steps between checkpoints"),
    ("--log-every", "positive", "steps between log lines"),
    ("--seed", int, "random seed (weights, dropout masks, sample)"),
    ("--dtype", str, "float32 | float64"),
]


class _Parser(argparse.ArgumentParser):
    """argparse, but a usage error is one line on stderr (``prog: error: ...``) and exit code 2."""

    def error(self, message):
        self.exit(2, f"{self.prog}: error: {message}\n")


def _suggestion(parser: argparse.ArgumentParser, extra: list[str]) -> str:
    """' (did you mean --hidden?)' for the first unknown flag close to one ``parser`` knows."""
    known = [o for action in parser._actions for o in action.option_strings]
    for word in extra:
        if word.startswith("--"):
            close = difflib.get_close_matches(word.split("=")[0], known, n=1)
            if close:
                return f" (did you mean {close[0]}?)"
    return ""


def _weights_flag(parser) -> None:
    parser.add_argument("--weights", choices=["best", "last"], default="best",
                        help="best: the best validation's weights (best.safetensors); last: the latest "
                             "checkpoint's (default: best)")


def build_parser() -> argparse.ArgumentParser:
    from . import __version__
    from .data import NAMED
    from .data.download import SOURCES
    from .nn import cell_names
    from .train.config import PRESETS, TrainConfig

    p = _Parser(prog="rnnlab", description="Recurrent neural networks in NumPy, "
                                "with hand-derived backpropagation through time.")
    p.add_argument("--debug", action="store_true", help="show tracebacks on errors")
    p.add_argument("--version", action="version", version=f"rnnlab {__version__}")
    sub = p.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser)
    p.commands = {}

    def command(name, help, **kw):
        p.commands[name] = sub.add_parser(name, help=help, description=help[0].upper() + help[1:] + ".", **kw)
        return p.commands[name]

    t = command("train", "train a language model (no flags: a char LSTM on the embedded corpus)")
    types = {"positive": _positive_int, "number": _number}
    defaults = TrainConfig()
    for flag, kind, text, *shown in _TRAIN_FLAGS:
        default = shown[0] if shown else getattr(defaults, flag[2:].replace("-", "_"))
        text = f"{text.format(cells=' | '.join(cell_names()))} (default: {default})"
        if kind == "bool":
            t.add_argument(flag, action=argparse.BooleanOptionalAction, default=None, help=text)
        else:
            t.add_argument(flag, type=types.get(kind, kind), help=text)
    t.add_argument("--out", help="run folder (default: runs/run-DATE-TIME)")
    t.add_argument("--resume", metavar="RUN", help="continue the run in this folder where it stopped; it may change "
                   "--lr, --clip, --clip-mode and the run's length")
    t.add_argument("--preset", help=f"a published recipe: {' | '.join(PRESETS)}")
    t.add_argument("--config", metavar="FILE.toml", help="settings file with the same keys (hidden = 512); flags "
                   "override it, it overrides the preset")
    t.add_argument("--sample-length", type=int, default=300, help="tokens to sample when training ends, 0: none "
                   "(default: 300)")
    t.set_defaults(func=cmd_train)

    e = command("eval", "loss, perplexity and bits per token of a trained run")
    e.add_argument("run", help="run folder")
    e.add_argument("--split", default="valid", choices=["train", "valid", "test"], help="(default: valid)")
    e.add_argument("--data-dir", help="where named datasets live (default: the run's)")
    e.add_argument("--json", action="store_true", help="print loss, perplexity, bits_per_token, tokens as JSON")
    _weights_flag(e)
    e.set_defaults(func=cmd_eval)

    s = command("sample", "generate text from a trained run")
    s.add_argument("run", help="run folder")
    s.add_argument("--prime", default="", help="text to continue (default: none)")
    s.add_argument("--length", type=int, default=300, help="tokens to generate (default: 300)")
    s.add_argument("--temperature", type=_number, default=1.0, help="0: greedy (default: 1)")
    s.add_argument("--top-k", type=int, help="sample among the k likeliest tokens (default: all)")
    s.add_argument("--top-p", type=_number, help="sample among the likeliest tokens of total probability p "
                   "(default: 1)")
    s.add_argument("--seed", type=int, help="the same seed gives the same text (default: a new one each time)")
    _weights_flag(s)
    s.set_defaults(func=cmd_sample)

    pl = command("plot", "PNG of train and valid loss and the learning rate over steps")
    pl.add_argument("run", help="run folder")
    pl.add_argument("--out", help="PNG path (default: RUN/plot.png)")
    _weights_flag(pl)
    pl.set_defaults(func=cmd_plot)

    d = command("data", "list the datasets, or download one",
                epilog=f"datasets: {', '.join(NAMED)} (named), a text file, or a folder with train.txt, valid.txt "
                       f"and test.txt; download knows {', '.join(SOURCES)}")
    d.add_argument("action", choices=["list", "download"], help="list | download")
    d.add_argument("name", nargs="?", help=f"for download: {' | '.join(SOURCES)}")
    d.add_argument("--data-dir", help="where named datasets live (default: $RNNLAB_DATA, else ~/.cache/rnnlab)")
    d.set_defaults(func=cmd_data)

    g = command("gradcheck", "check every backward pass against central differences")
    g.add_argument("--cell", default="all",
                   help=f"all | {' | '.join(cell_names())}: which cell kind to check (default: all, plus the "
                        "other layers)")
    g.add_argument("--max-elements", type=int, default=20, metavar="K",
                   help="check K random elements of each tensor (default: 20)")
    g.add_argument("--full", action="store_true", help="check every element of every tensor")
    g.set_defaults(func=cmd_gradcheck)

    i = command("info", "version, compute backend, instruction set, threads, BLAS")
    i.add_argument("--json", action="store_true", help="print the facts as JSON")
    i.set_defaults(func=cmd_info)
    return p


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    try:
        args, extra = parser.parse_known_args(argv)
        if extra:
            sub = parser.commands.get(args.command, parser)
            sub.error(f"unrecognized arguments: {' '.join(extra)}{_suggestion(sub, extra)}")
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
