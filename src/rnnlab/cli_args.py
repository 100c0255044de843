"""The ``rnnlab`` command line's arguments: every command, flag, help line and default, and a usage
error as one line with the closest known flag suggested. ``cli.py`` runs the commands."""

from __future__ import annotations

import argparse
import difflib

__all__ = ["build_parser", "suggestion", "train_flags", "UsageError"]


class UsageError(Exception):
    """A mistake in the command line itself (exit code 2)."""


def train_flags(args) -> dict:
    """The TrainConfig fields a parsed command line holds (None where a flag was not given)."""
    from .train.config import FIELDS

    return {k: getattr(args, k) for k in FIELDS if hasattr(args, k)}


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
    ("--task", str, "lm: a language model | classify: one label per sequence | forecast: a time series "
                    "(rnnlab forecast also measures it) | seq2seq: an encoder-decoder | adding | copy | "
                    "temporal-order | reber: the long-range problems (T = --seq-len)"),
    ("--data", str, "lm: default (embedded) | ptb-word | ptb-char | shakespeare | a text file | a folder with "
                    "train.txt, valid.txt[, test.txt]; classify: sentiment | japanese-vowels | a .tsv/.csv table | "
                    "a .ts file | a folder of tables"),
    ("--data-dir", str, "where named datasets live", "$RNNLAB_DATA, else ~/.cache/rnnlab"),
    ("--tokens", str, "classify, text: word | char"),
    ("--min-count", "positive", "classify, text: words seen fewer times in training become <unk>"),
    ("--arch", str, "rnn: a recurrent stack of --cell | tcn | transformer | mlp (over a window of inputs)"),
    ("--cell", str, "cell kind: {cells}"),
    ("--layers", "positive", "recurrent layers (tcn: blocks; transformer: blocks; mlp: layers)"),
    ("--hidden", "positive", "hidden units per layer (tcn: channels; transformer: width)"),
    ("--kernel-size", "positive", "tcn: taps of each convolution"),
    ("--window", "positive", "mlp: how many of the latest inputs it sees"),
    ("--heads", "positive", "transformer: attention heads"),
    ("--context", int, "lm, tcn/transformer/mlp: tokens carried from one batch into the next",
     "the receptive field - 1; transformer: 0"),
    ("--embed", "positive", "embedding size", "--hidden"),
    ("--dropout", "number", "dropout on the non-recurrent connections, in [0, 1)"),
    ("--tie-weights", "bool", "the decoder shares the embedding matrix (needs --embed = --hidden)"),
    ("--init-scale", "number", "lm: every weight and bias ~ U(-s, s)"),
    ("--bidirectional", "bool", "classify: read each sequence both ways"),
    ("--class-weights", str, "classify: none | balanced (each class counts as much in the loss)"),
    ("--folds", "positive", "classify: K-fold cross-validation, one run a fold into OUT/fold-k", "none"),
    ("--fold", "positive", "classify: train only this fold's run (1..K)", "all"),
    ("--split-seed", int, "classify: the seed of the train/valid/test split and the folds", "--seed"),
    ("--pool", str, "classify: last | mean | max over each sequence's steps"),
    ("--column", str, "forecast, CSV: the column to forecast, then input-only columns (Y or Y,X1,X2)",
     "the only numeric one"),
    ("--date-column", str, "forecast, CSV: the dates, for the plot", "none"),
    ("--horizon", "positive", "forecast: steps ahead H", "the named data's"),
    ("--lookback", "positive", "forecast: input window L", "max(2 H, 2 season)"),
    ("--season", "positive", "forecast: season length m (12 monthly, 4 quarterly)", "the data's, else 1"),
    ("--log", "bool", "forecast: model log y (values > 0)"),
    ("--diff", int, "forecast: 0 | 1 | 2 differences"),
    ("--seasonal-diff", "bool", "forecast: a difference at lag m"),
    ("--window-norm", str, "forecast: none | last (subtract each window's last value)"),
    ("--output", str, "forecast: direct (H outputs) | recursive (one step, fed back)"),
    ("--loss", str, "forecast: mse | mae"),
    ("--level", "number", "forecast: nominal coverage of the prediction interval"),
    ("--refit", "bool", "forecast: then train again through the validation windows, stopping at the epoch of the "
                        "best validation", "on in rnnlab forecast, off in rnnlab train"),
    ("--attention", str, "seq2seq: none | additive | general | dot"),
    ("--input-feeding", "bool", "seq2seq: feed each step's attentional output to the next step's input"),
    ("--teacher-forcing", "number", "seq2seq: probability of feeding the reference token, not the model's own"),
    ("--beam", "positive", "seq2seq: beam width of the decoding that measures the run (1: greedy)"),
    ("--source-tokens", str, "seq2seq, table: char | space"),
    ("--target-tokens", str, "seq2seq, table: char | space"),
    ("--reverse-source", "bool", "seq2seq, addition: read the question backwards"),
    ("--definition", str, "adding: modern (values in [0, 1], target the sum) | 1997 (Hochreiter & Schmidhuber)"),
    ("--examples", "positive", "long-range tasks: fresh training sequences an epoch"),
    ("--init", str, "long-range tasks, recurrent weights: default | orthogonal | identity (IRNN, rnn cells)"),
    ("--forget-bias", "number", "long-range tasks, LSTM: the forget gate's initial bias (1: Gers et al.)", "none"),
    ("--seq-len", "positive", "lm: truncated BPTT length; long-range tasks: the length T"),
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
    ("--flush-subnormals", "bool", "compute with subnormal floats as 0 (FTZ and DAZ: Intel cores are slow on "
                                   "them, e.g. a tanh RNN's vanishing gradients; changes results by that much)"),
    ("--seed", int, "random seed (weights, dropout masks, sample)"),
    ("--dtype", str, "float32 | float64"),
]


class _Parser(argparse.ArgumentParser):
    """argparse, but a usage error is one line on stderr (``prog: error: ...``) and exit code 2."""

    def error(self, message):
        self.exit(2, f"{self.prog}: error: {message}\n")


def suggestion(parser: argparse.ArgumentParser, extra: list[str]) -> str:
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
    from .train.config import TrainConfig
    from .train.presets import PRESETS

    p = _Parser(prog="rnnlab", description="Recurrent neural networks in NumPy, "
                                "with hand-derived backpropagation through time.")
    p.add_argument("--debug", action="store_true", help="show tracebacks on errors")
    p.add_argument("--version", action="version", version=f"rnnlab {__version__}")
    sub = p.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser)
    p.commands = {}

    def command(name, help, **kw):
        p.commands[name] = sub.add_parser(name, help=help, description=help[0].upper() + help[1:] + ".", **kw)
        return p.commands[name]

    types = {"positive": _positive_int, "number": _number}
    defaults = TrainConfig()

    def train_flags(parser, skip=()):
        for flag, kind, text, *shown in _TRAIN_FLAGS:
            if flag in skip:
                continue
            default = shown[0] if shown else getattr(defaults, flag[2:].replace("-", "_"))
            text = f"{text.format(cells=' | '.join(cell_names()))} (default: {default})"
            if kind == "bool":
                parser.add_argument(flag, action=argparse.BooleanOptionalAction, default=None, help=text)
            else:
                parser.add_argument(flag, type=types.get(kind, kind), help=text)

    t = command("train", "train a language model, classifier, forecaster, encoder-decoder or long-range task "
                         "(no flags: a char LSTM on the embedded corpus)")
    train_flags(t)
    t.add_argument("--out", help="run folder (default: runs/run-DATE-TIME)")
    t.add_argument("--ensemble", type=_positive_int, default=1, metavar="K",
                   help="classify: train K classifiers (seeds seed..seed+K-1, the same split) into OUT/member-k; "
                        "eval and predict average their probabilities (default: 1)")
    t.add_argument("--resume", metavar="RUN", help="continue the run in this folder where it stopped; it may change "
                   "--lr, --clip, --clip-mode and the run's length")
    t.add_argument("--preset", help=f"a published recipe: {' | '.join(PRESETS)}")
    t.add_argument("--config", metavar="FILE.toml", help="settings file with the same keys (hidden = 512); flags "
                   "override it, it overrides the preset")
    t.add_argument("--sample-length", type=int, default=300, help="tokens to sample when training ends, 0: none "
                   "(default: 300)")

    f = command("forecast", "train a forecaster and measure it by rolling origin beside naive, seasonal naive, "
                            "drift, ETS, ARIMA and Theta; or forecast past the data's end from a run",
                epilog="Given no transform (--log, --diff, --seasonal-diff, --window-norm), the network is trained in "
                       "levels, on differences and with --window-norm last, and the one of lowest validation MASE "
                       "is kept (scores in RUN/transforms.json); each of the three trains for the run's length "
                       "(--epochs, --time-budget), and so does the refit.")
    f.add_argument("run", nargs="?", help="with --predict: the run folder to forecast from")
    f.add_argument("--predict", type=_positive_int, metavar="N", help="with RUN: forecast N steps past the end")
    train_flags(f, skip=("--task", "--context", "--tokens",
                         "--min-count", "--class-weights", "--fold", "--split-seed", "--tie-weights",
                         "--init-scale", "--loss-scale", "--seq-len", "--embed", "--attention", "--input-feeding",
                         "--teacher-forcing", "--beam", "--source-tokens", "--target-tokens", "--reverse-source"))
    f.add_argument("--ensemble", type=_positive_int, default=1, metavar="K",
                   help="train K networks (seeds seed..seed+K-1, into OUT/member-k) and average their forecasts "
                        "(default: 1)")
    f.add_argument("--out", help="run folder (default: runs/forecast-DATE-TIME)")
    f.add_argument("--preset", help="a published recipe (as for train)")
    f.add_argument("--config", metavar="FILE.toml", help="settings file (as for train)")
    f.add_argument("--json", action="store_true", help="print each method's mae, rmse, smape, mase, coverage as JSON")
    f.add_argument("--plot", metavar="PNG", help="draw the history, actuals, forecasts and rnnlab's interval")
    _weights_flag(f)

    c = command("compare", "train RNN, LSTM, GRU, TCN, Transformer and window-MLP models on one task at about the "
                           "same parameter count and the same time budget, several seeds, and tabulate them")
    train_flags(c, skip=("--arch", "--cell", "--hidden", "--context", "--epochs", "--max-steps", "--time-budget",
                         "--bidirectional", "--tie-weights", "--init", "--forget-bias"))
    c.add_argument("--models", default="rnn,lstm,gru,tcn,transformer,mlp",
                   help="comma-separated, of rnn, lstm, gru, tcn, transformer, mlp (default: all)")
    c.add_argument("--params", type=_positive_int, default=50_000,
                   help="target non-embedding parameters; each model's width is set to come closest (default: 50000)")
    c.add_argument("--budget", type=_number, default=60.0, help="seconds of training per run (default: 60)")
    c.add_argument("--seeds", type=_positive_int, default=2, help="runs per model, seeds --seed.. (default: 2)")
    c.add_argument("--out", help="folder for the runs and results.json (default: runs/compare-DATE-TIME)")
    c.add_argument("--json", action="store_true", help="print the rows as JSON")
    c.add_argument("--plot", metavar="PNG", help="draw each run's validation measure against wall time")

    e = command("eval", "measure a trained run: loss, perplexity and bits per token; or loss, accuracy and "
                        "macro-F1 with the confusion matrix")
    e.add_argument("run", help="run folder")
    e.add_argument("--split", default="valid", choices=["train", "valid", "test"], help="(default: valid)")
    e.add_argument("--data-dir", help="where named datasets live (default: the run's)")
    e.add_argument("--json", action="store_true", help="print loss, perplexity, bits_per_token, tokens as JSON")
    e.add_argument("--beam", type=_positive_int, help="seq2seq: beam width (default: the run's --beam)")
    _weights_flag(e)

    tr = command("translate", "decode texts with a seq2seq run, one line each: input, output")
    tr.add_argument("run", help="run folder of a seq2seq model")
    tr.add_argument("text", nargs="*", help="texts to translate (spellings for cmudict)")
    tr.add_argument("--beam", type=_positive_int, help="beam width (default: the run's --beam)")
    tr.add_argument("--attention-plot", metavar="PNG", help="heatmap of the first text's attention weights")
    _weights_flag(tr)

    x = command("explain", "one recurrent step with every number, forward and backward, computed by the "
                           "library's kernels (no flags: the worked LSTM example of the seed articles)")
    x.add_argument("--cell", help=f"{' | '.join(cell_names())} (default: lstm, or the run's)")
    for flag, what in (("--x", "the input x_t"), ("--h", "the previous hidden state h_{t-1}"),
                       ("--c", "the LSTM's previous cell state c_{t-1} (default: zeros)"),
                       ("--dh", "the upstream gradient dL/dh_t (default: ones, L = sum h_t)"),
                       ("--dc", "dL/dc_t from the next step (default: zeros)")):
        x.add_argument(flag, metavar="V1,V2,...", help=what)
    x.add_argument("--run", help="take the weights from this run's recurrent layer (its best weights)")
    x.add_argument("--layer", type=int, default=0, help="with --run: which layer (default: 0)")
    x.add_argument("--seed", type=int, help="random weights (PyTorch's initialisation) from this seed "
                   "(default with --x or --h: 0)")
    x.add_argument("--json", action="store_true", help="print every number as JSON")

    n = command("inspect", "look inside a run: activations of its units over an input, gradient flow against "
                           "the lag, gate saturation (language-model and long-range runs)")
    n.add_argument("run", help="run folder")
    n.add_argument("--text", help="language model: the text to read (default: the start of the validation split)")
    n.add_argument("--units", metavar="U1,U2,...", help="the units to show (default: the --top most varying)")
    n.add_argument("--top", type=_positive_int, default=8, help="how many units by default (default: 8)")
    n.add_argument("--html", metavar="PAGE.html", help="write one self-contained page")
    n.add_argument("--png", metavar="PREFIX", help="write PREFIX-flow.png and PREFIX-saturation.png")
    n.add_argument("--json", action="store_true", help="print every number as JSON")

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

    pr = command("predict", "label new texts or series with a trained classifier, one line each: label, "
                            "probability, input")
    pr.add_argument("run", help="run folder of a classifier")
    pr.add_argument("text", nargs="*", help="texts to classify (a text classifier)")
    pr.add_argument("--data", help="a table with a text column, or a .ts file of series, instead")
    _weights_flag(pr)

    pl = command("plot", "PNG of train and valid loss and the learning rate over steps")
    pl.add_argument("run", help="run folder")
    pl.add_argument("--out", help="PNG path (default: RUN/plot.png)")
    _weights_flag(pl)

    d = command("data", "list the datasets, or download one",
                epilog=f"datasets: {', '.join(NAMED)} (named), a text file, or a folder with train.txt, valid.txt "
                       f"and test.txt; download knows {', '.join(SOURCES)}")
    d.add_argument("action", choices=["list", "download"], help="list | download")
    d.add_argument("name", nargs="?", help=f"for download: {' | '.join(SOURCES)}")
    d.add_argument("--data-dir", help="where named datasets live (default: $RNNLAB_DATA, else ~/.cache/rnnlab)")

    g = command("gradcheck", "check every backward pass against central differences")
    g.add_argument("--cell", default="all",
                   help=f"all | {' | '.join(cell_names())}: which cell kind to check (default: all, plus the "
                        "other layers)")
    g.add_argument("--max-elements", type=int, default=20, metavar="K",
                   help="check K random elements of each tensor (default: 20)")
    g.add_argument("--full", action="store_true", help="check every element of every tensor")

    i = command("info", "version, compute backend, instruction set, threads, BLAS")
    i.add_argument("--json", action="store_true", help="print the facts as JSON")
    return p
