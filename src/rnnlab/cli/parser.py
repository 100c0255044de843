"""``build_parser``: every command of ``rnnlab`` and its flags; those of train, forecast and compare
made from the general settings and the task's (``args.add_settings``)."""

from __future__ import annotations

from .args import Parser, add_settings, number, positive_int, task_of, weights_flag

__all__ = ["build_parser"]


def build_parser(argv: list[str] | None = None) -> Parser:
    """The parser of every command; ``argv`` (the command line to parse) says which task's settings
    ``train``, ``forecast`` and ``compare`` take."""
    from .. import __version__
    from ..data import NAMED
    from ..data.download import SOURCES
    from ..nn import cell_names
    from ..tasks import TASKS
    from ..train import GENERAL
    from ..tasks.registry import presets

    named, task = task_of(list(argv or []))
    task = task if task in TASKS else "lm"  # an unknown one is refused once the config is resolved
    p = Parser(prog="rnnlab", description="Recurrent neural networks in NumPy, with hand-derived backpropagation "
                                          "through time.")
    p.add_argument("--debug", action="store_true", help="show tracebacks on errors")
    p.add_argument("--version", action="version", version=f"rnnlab {__version__}")
    sub = p.add_subparsers(dest="command", metavar="COMMAND", parser_class=Parser)
    p.commands = {}

    def command(name, help, **kw):
        p.commands[name] = sub.add_parser(name, help=help, description=help[0].upper() + help[1:] + ".", **kw)
        return p.commands[name]

    def settings(parser, task: str, shown: bool, skip=()):
        """The general settings, then the task's own (their help ``shown`` when the task was named)."""
        names = add_settings(parser, GENERAL, skip)
        own = parser.add_argument_group(f"settings of --task {task}") if shown else parser
        names += add_settings(own, TASKS[task].settings, skip, shown=shown)
        parser.set_defaults(settings=names)
        parser.task = task

    t = command("train", "train a language model, classifier, forecaster, encoder-decoder or long-range task "
                         "(no flags: a char LSTM on the embedded corpus)",
                epilog=None if named else f"Each task has its own settings (data, model, ...): rnnlab train --task "
                                          f"TASK --help, TASK one of {', '.join(TASKS)}. Without --task: lm.")
    settings(t, task, bool(named))
    t.add_argument("--out", help="run folder (default: runs/run-DATE-TIME)")
    t.add_argument("--ensemble", type=positive_int, default=1, metavar="K",
                   help="train K runs (seeds seed..seed+K-1) into OUT/member-k; eval, predict and forecast combine "
                        "them (default: 1)")
    t.add_argument("--resume", metavar="RUN", help="continue the run in this folder where it stopped; it may change "
                   "--lr, --clip, --clip-mode and the run's length")
    t.add_argument("--preset", help=f"a published recipe: {' | '.join(presets())}")
    t.add_argument("--config", metavar="FILE.toml", help="settings file with the same keys (hidden = 512); flags "
                   "override it, it overrides the preset")

    f = command("forecast", "train a forecaster and measure it by rolling origin beside naive, seasonal naive, "
                            "drift, ETS, ARIMA and Theta; or forecast past the data's end from a run",
                epilog="Given no transform (--log, --diff, --seasonal-diff, --window-norm), the network is trained in "
                       "levels, on differences and with --window-norm last, and the one of lowest validation MASE "
                       "is kept (scores in RUN/transforms.json); each of the three trains for the run's length "
                       "(--epochs, --time-budget), and so does the refit.")
    f.add_argument("run", nargs="?", help="with --predict: the run folder to forecast from")
    f.add_argument("--predict", type=positive_int, metavar="N", help="with RUN: forecast N steps past the end")
    settings(f, "forecast", True, skip=("task",))
    f.add_argument("--ensemble", type=positive_int, default=1, metavar="K",
                   help="train K networks (seeds seed..seed+K-1, into OUT/member-k) and average their forecasts "
                        "(default: 1)")
    f.add_argument("--out", help="run folder (default: runs/forecast-DATE-TIME)")
    f.add_argument("--preset", help="a published recipe (as for train)")
    f.add_argument("--config", metavar="FILE.toml", help="settings file (as for train)")
    f.add_argument("--json", action="store_true", help="print each method's mae, rmse, smape, mase, coverage as JSON")
    f.add_argument("--plot", metavar="PNG", help="draw the history, actuals, forecasts and rnnlab's interval")
    weights_flag(f)

    c = command("compare", "train RNN, LSTM, GRU, TCN, Transformer and window-MLP models on one task at about the "
                           "same parameter count and the same time budget, several seeds, and tabulate them")
    settings(c, task, bool(named), skip=("arch", "cell", "hidden", "context", "epochs", "max_steps", "time_budget", "bidirectional",
                      "tie_weights", "init", "forget_bias"))
    c.add_argument("--models", default="rnn,lstm,gru,tcn,transformer,mlp",
                   help="comma-separated, of rnn, lstm, gru, tcn, transformer, mlp (default: all)")
    c.add_argument("--params", type=positive_int, default=50_000,
                   help="target non-embedding parameters; each model's width is set to come closest (default: 50000)")
    c.add_argument("--budget", type=number, default=60.0, help="seconds of training per run (default: 60)")
    c.add_argument("--seeds", type=positive_int, default=2, help="runs per model, seeds --seed.. (default: 2)")
    c.add_argument("--out", help="folder for the runs and results.json (default: runs/compare-DATE-TIME)")
    c.add_argument("--json", action="store_true", help="print the rows as JSON")
    c.add_argument("--plot", metavar="PNG", help="draw each run's validation measure against wall time")

    e = command("eval", "measure a trained run (or an ensemble) on a split of its data, or on a file of its kind, "
                        "with the task's own measures")
    e.add_argument("run", help="run folder")
    e.add_argument("--split", choices=["train", "valid", "test"], help="(default: valid)")
    e.add_argument("--data", metavar="FILE", help="measure on this file instead of a split: a table for classifiers "
                   "and seq2seq runs, a text for language models, a series file for forecasters")
    e.add_argument("--data-dir", help="where named datasets live (default: the run's)")
    e.add_argument("--json", action="store_true", help="print the measures as JSON")
    e.add_argument("--beam", type=positive_int, help="seq2seq: beam width (default: the run's --beam)")
    weights_flag(e)

    tr = command("translate", "decode texts with a seq2seq run, one line each: input, output")
    tr.add_argument("run", help="run folder of a seq2seq model")
    tr.add_argument("text", nargs="*", help="texts to translate (spellings for cmudict); - reads them from standard "
                    "input, one a line")
    tr.add_argument("--data", metavar="FILE", help="the texts one a line, or a .tsv/.csv table with a source column "
                    "(and a target column: also print BLEU and chrF, or WER, against it)")
    tr.add_argument("--beam", type=positive_int, help="beam width (default: the run's --beam)")
    tr.add_argument("--attention-plot", metavar="PNG", help="heatmap of the first text's attention weights")
    weights_flag(tr)

    x = command("explain", "one recurrent step with every number, forward and backward, computed by the "
                           "library's kernels (no flags: the worked LSTM example of the seed articles)")
    x.add_argument("--cell", help=f"{' | '.join(cell_names())} (default: lstm, or the run's)")
    for flag, what in (("--x", "the input x_t (with --steps: x_1;x_2;...; default with --run or --steps: drawn "
                                "from N(0, 1), seed 0)"), ("--h", "the previous hidden state h_{t-1} (default with --run: "
                                                              "zeros)"),
                       ("--c", "the LSTM's previous cell state c_{t-1} (default: zeros)"),
                       ("--dh", "the upstream gradient dL/dh_t (default: ones, L = sum h_t)"),
                       ("--dc", "dL/dc_t from the next step (default: zeros)")):
        x.add_argument(flag, metavar="V1,V2,...", help=what)
    x.add_argument("--run", help="take the weights from this run's recurrent layer (its best weights)")
    x.add_argument("--layer", type=int, default=0, help="with --run: which layer (default: 0)")
    x.add_argument("--seed", type=int, help="random weights (PyTorch's initialisation) from this seed "
                   "(default with --x or --h: 0)")
    x.add_argument("--json", action="store_true", help="print every number as JSON")
    x.add_argument("--steps", type=positive_int, metavar="T", help="unroll T steps with an output layer and a "
                   "squared-error loss, then backpropagate through time (names as the source articles write them)")
    x.add_argument("--input-size", type=positive_int, metavar="D", help="with --steps: inputs (default: 3)")
    x.add_argument("--hidden-size", type=positive_int, metavar="H", help="with --steps: hidden units (default: 4)")
    x.add_argument("--output-size", type=positive_int, metavar="O", help="with --steps: outputs o_t = W_hy h_t + b_y "
                   "(default: 2)")
    x.add_argument("--targets", metavar="Y1;Y2;...", help="with --steps: the targets y_t, steps separated by ; "
                   "(default: zeros; --loss ce: a class a step)")
    x.add_argument("--weights", metavar="FILE.json", help="with --steps: the weights by the articles' names (W_hx, "
                   "W_hh, b_h, W_hy, b_y for an rnn; W_f, W_i, W_c, W_o, b_f, ..., W_hy, b_y for an lstm), or a "
                   "--json output's")
    x.add_argument("--html", metavar="PAGE.html", help="with --steps: one self-contained page of the network "
                   "unrolled (RNN, LSTM and GRU on the same inputs), the backward pass drawn along its arrows")
    x.add_argument("--loss-at", choices=["all", "last"], default="all", help="with --steps: the loss of every step "
                   "or of the last one alone, whose gradient shows how far back it reaches (default: all)")
    x.add_argument("--lang", choices=["en", "zh"], help="the words printed: English, or Chinese with the source "
                   "articles' terms (default: the locale's, zh for LANG=zh_*)")
    x.add_argument("--loss", choices=["mse", "ce"], default="mse", help="with --steps: mse, 1/2 the squared error; "
                   "ce, softmax cross-entropy with class targets (default: mse)")

    n = command("inspect", "look inside a run: activations of its units over an input, gradient flow against "
                           "the lag, gate saturation (language-model and long-range runs)")
    n.add_argument("run", help="run folder")
    n.add_argument("--text", help="language model: the text to read (default: the start of the validation split)")
    n.add_argument("--units", metavar="U1,U2,...", help="the units to show (default: the --top most varying)")
    n.add_argument("--top", type=positive_int, default=8, help="how many units by default (default: 8)")
    n.add_argument("--html", metavar="PAGE.html", help="write one self-contained page")
    n.add_argument("--png", metavar="PREFIX", help="write PREFIX-flow.png and PREFIX-saturation.png")
    n.add_argument("--json", action="store_true", help="print every number as JSON")
    n.add_argument("--lang", choices=["en", "zh"], help="the words of the text and the page: English, or Chinese "
                   "with the source articles' terms (default: the locale's, zh for LANG=zh_*)")

    s = command("sample", "generate text from a trained run")
    s.add_argument("run", help="run folder")
    s.add_argument("--prime", default="", help="text to continue (default: none)")
    s.add_argument("--length", type=int, default=300, help="tokens to generate (default: 300)")
    s.add_argument("--temperature", type=number, default=1.0, help="0: greedy (default: 1)")
    s.add_argument("--top-k", type=int, help="sample among the k likeliest tokens (default: all)")
    s.add_argument("--top-p", type=number, help="sample among the likeliest tokens of total probability p "
                   "(default: 1)")
    s.add_argument("--seed", type=int, help="the same seed gives the same text (default: a new one each time)")
    weights_flag(s)

    pr = command("predict", "label new texts or series with a trained classifier, one line each: label, "
                            "probability, input")
    pr.add_argument("run", help="run folder of a classifier")
    pr.add_argument("text", nargs="*", help="texts to classify (a text classifier)")
    pr.add_argument("--data", help="a table with a text column, or a .ts file of series, instead")
    weights_flag(pr)

    ex = command("export", "write a trained model as an ONNX file (pip install \"rnnlab[onnx]\"; an "
                           "encoder-decoder as two: MODEL.encoder.onnx, MODEL.decoder.onnx)")
    ex.add_argument("run", help="run folder")
    ex.add_argument("--onnx", metavar="MODEL.onnx", required=True, help="the file to write")
    weights_flag(ex)

    pl = command("plot", "PNG of train and valid loss and the learning rate over steps")
    pl.add_argument("run", help="run folder")
    pl.add_argument("--out", help="PNG path (default: RUN/plot.png)")
    weights_flag(pl)

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
