"""Sequence to sequence (``--task seq2seq``): an encoder-decoder (``rnnlab.models.Seq2Seq``) trained
with masked cross-entropy on every (source, reference) pair, measured by decoding.

Data (``rnnlab.data.pairs``): ``cmn-eng`` (English-Chinese sentences, ``--direction``), ``cmudict``,
``dates``, ``addition`` (``--reverse-source``), a table with source and target columns (split 90/5/5 by the MD5 of the source, so a source is in one split
with all its references), or a folder with train, valid[, test] tables. Vocabularies come from the
training split: the source's with ``<unk>``, the target's with ``<bos>``, ``<eos>`` and ``<unk>``.

A batch of pairs: x (Ts, N) source ids with their lengths, decoder inputs (Tt, N) = BOS then the
reference, targets (Tt, N) = the reference then EOS, and a mask over the padding. ``evaluate``
gives the teacher-forced loss and, by decoding (greedy, or ``--beam``), WER, PER, exact match and
token accuracy (``rnnlab.seq2seq.metrics``); for natural text (cmn-eng, or a table's targets read as
words) BLEU and chrF too, BLEU the headline measure.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np

from ..data.padding import pad
from ..data.pairs import NAMED_PAIRS, read_pairs, tokenize
from ..data.text import chinese, detokenize, simplified
from ..data.vocab import UNK, Vocab
from ..models import Seq2Seq
from ..nn import SoftmaxCrossEntropy
from ..seq2seq.decode import beam_search
from ..seq2seq.ensemble import Ensemble, mean_log_probabilities
from ..seq2seq.metrics import sequence_scores, text_scores
from ..train.settings import Setting
from .base import Measure, Task
from .seq2seq_data import load_pairs, token_kinds
from .shared import DATA_DIR, EMBED, RECURRENT, SIMPLIFIED, check_model

__all__ = ["Seq2SeqTask", "BOS", "EOS"]

BOS, EOS = "<bos>", "<eos>"


class Seq2SeqTask(Task):
    """``cfg`` its config; on ``resume`` the vocabularies are the run folder's."""

    settings = (
        Setting("data", None, f"{' | '.join(NAMED_PAIRS)} | a .tsv/.csv table with source and target columns | a "
                              "folder of train, valid[, test] tables", shown="none: give one"),
        DATA_DIR,
        *RECURRENT, EMBED,
        Setting("attention", "additive", "none | additive | general | dot", choices=("none", "additive", "general", "dot")),
        Setting("input_feeding", True, "feed each step's attentional output to the next step's input", bool),
        Setting("teacher_forcing", 1.0, "probability of feeding the reference token, not the model's own", float,
                low=0, high=1),
        Setting("beam", 1, "beam width of the decoding that measures the run (1: greedy)", int, low=1),
        Setting("direction", "en-zh", "cmn-eng: translate English to Chinese or Chinese to English",
                choices=("en-zh", "zh-en")),
        Setting("source_tokens", None, "the source as char | space (space-separated tokens) | word (lower-cased "
                "words, punctuation apart; Chinese segmented by jieba)", choices=("char", "space", "word"),
                shown="char; cmn-eng: English word, Chinese char"),
        Setting("target_tokens", None, "the target as char | space | word",  choices=("char", "space", "word"),
                shown="char; cmn-eng: English word, Chinese char"),
        Setting("reverse_source", False, "addition: read the question backwards", bool),
        SIMPLIFIED,
    )
    # the recipes of benchmarks/results/seq2seq (cmudict's decay chosen on valid WER; cmn-eng's an hour of
    # training, the best validation loss's weights)
    presets = {
        "cmn-eng": dict(data="cmn-eng", direction="en-zh", cell="lstm", layers=2, hidden=256, embed=256, dropout=0.3,
                        attention="additive", batch_size=64, optimizer="adam", lr=2e-3, schedule="plateau",
                        time_budget=3600.0),
        "cmn-eng-zh-en": dict(data="cmn-eng", direction="zh-en", cell="lstm", layers=2, hidden=256, embed=256,
                              dropout=0.3, attention="additive", batch_size=64, optimizer="adam", lr=2e-3,
                              schedule="plateau", time_budget=3600.0),
        "cmudict": dict(data="cmudict", cell="lstm", layers=2, hidden=256, embed=64, dropout=0.2,
                        attention="additive", batch_size=64, optimizer="adam", lr=2e-3, schedule="cosine", epochs=10),
        "addition": dict(data="addition", reverse_source=True, cell="lstm", layers=1, hidden=128, embed=32,
                         attention="additive", batch_size=128, optimizer="adam", lr=3e-3, epochs=30),
        "dates": dict(data="dates", cell="lstm", layers=1, hidden=128, embed=32, attention="additive",
                      batch_size=128, optimizer="adam", lr=3e-3, epochs=30),
    }
    noun = "encoder-decoder"
    ensembles = True
    measure = Measure("wer", lower_is_better=True, split="test")
    unit = "pairs"
    files = ("seq2seq.json",)

    @classmethod
    def upgrade_saved(cls, saved: dict) -> None:
        """Runs of the generated sets and cmudict recorded the former defaults (char) of the table-only
        token settings, which those sets never read."""
        if saved.get("data") in ("cmudict", "dates", "addition"):
            saved["source_tokens"] = saved["target_tokens"] = None

    @classmethod
    def check_config(cls, cfg) -> None:
        if cfg.data is None:
            raise ValueError(f"give the pairs with --data: {', '.join(NAMED_PAIRS)}, a .tsv/.csv table with source "
                             f"and target columns, or a folder of them")
        check_model(cfg)
        if cfg.reverse_source and cfg.data != "addition":
            raise ValueError("--reverse-source is for the addition data")
        if cfg.direction != "en-zh" and cfg.data != "cmn-eng":
            raise ValueError(f"--direction is for --data cmn-eng; {cfg.data} has one direction")
        if cfg.data in ("cmudict", "dates", "addition") and (cfg.source_tokens or cfg.target_tokens):
            raise ValueError(f"--source-tokens and --target-tokens are for tables and cmn-eng; {cfg.data} reads "
                             f"its own way")

    def __init__(self, cfg, out: Path | None = None, resume: bool = False, group=None) -> None:
        self.cfg, self.group = cfg, group or self.group
        self.source_kind, self.target_kind = token_kinds(cfg)
        self.data = load_pairs(cfg)
        train = self.data["train"]
        for split in ("train", "valid"):
            if split in self.data and not len(self.data[split]):
                raise ValueError(f"{cfg.data}: the {split} split is empty ({len(train)} training sources); a table "
                                 f"is split 90/5/5 by its sources: give more distinct ones, or a folder of splits")
        if resume:
            saved = json.loads((Path(out) / "seq2seq.json").read_text())
            self.source_vocab, self.target_vocab = Vocab(saved["source"], "char"), Vocab(saved["target"], "char")
        else:
            self.source_vocab = Vocab.build((t for s in train.sources for t in s), "char", unk=True)
            targets = Vocab.build((t for refs in train.references for r in refs for t in r), "char")
            self.target_vocab = Vocab([BOS, EOS, UNK] + [t for t in targets.itos if t not in (BOS, EOS, UNK)], "char")
        self.bos, self.eos = self.target_vocab.stoi[BOS], self.target_vocab.stoi[EOS]
        # natural text is measured by BLEU and chrF (the Chinese tokeniser for Chinese output)
        self.natural = cfg.data == "cmn-eng" or self.target_kind == "word"
        if self.natural:
            self.chinese = chinese("".join(self.join(r) for refs in train.references[:200] for r in refs))
            self.measure = Measure("bleu", lower_is_better=False, split="test")
        self.pairs = [(self.source_vocab.encode(s), self.target_vocab.encode(r))
                      for s, refs in zip(train.sources, train.references) for r in refs]
        self.max_length = max(len(t) for _, t in self.pairs) + 5
        self.model = Seq2Seq(len(self.source_vocab), len(self.target_vocab), cfg.cell, hidden_size=cfg.hidden,
                             num_layers=cfg.layers, embed_size=cfg.embed, attention=cfg.attention,
                             input_feeding=cfg.input_feeding, dropout=cfg.dropout, dtype=np.dtype(cfg.dtype),
                             seed=cfg.seed)
        self.loss_fn = SoftmaxCrossEntropy()

    # -- batches ---------------------------------------------------------------------------------
    def _pad(self, pairs: list[tuple[np.ndarray, np.ndarray]]):
        """(x (Ts, N), lengths (N,), decoder inputs (Tt, N), targets (Tt, N), mask (Tt, N))."""
        N = len(pairs)
        x, lengths = pad([s for s, _ in pairs], np.int64)
        steps = max(len(t) for _, t in pairs) + 1
        y_in = np.full((steps, N), self.eos, np.int64)
        y = np.full((steps, N), self.eos, np.int64)
        mask = np.zeros((steps, N), self.cfg.dtype)
        for n, (_, t) in enumerate(pairs):
            y_in[0, n], y_in[1:len(t) + 1, n] = self.bos, t
            y[:len(t), n], y[len(t), n] = t, self.eos
            mask[:len(t) + 1, n] = 1
        return x, lengths, y_in, y, mask

    @property
    def batches_per_epoch(self) -> int:
        return -(-len(self.pairs) // self.cfg.batch_size)

    def batch(self, epoch: int, index: int):
        order = np.random.default_rng([self.cfg.seed, epoch]).permutation(len(self.pairs))
        B = self.cfg.batch_size
        pick = order[index * B:(index + 1) * B]
        pick = pick[self.group.part(len(pick))]
        if not len(pick):
            return None
        rank = [self.group.rank] if self.group.rank else []  # each rank draws for its own share
        return self._pad([self.pairs[i] for i in pick]) + (
            np.random.default_rng([self.cfg.seed, epoch, index, 2] + rank),)  # teacher forcing's draws

    def weight(self, batch, count: int) -> float:
        return float(batch[4].sum())  # the loss is a mean over the target tokens (mask)

    def forward_backward(self, batch) -> tuple[float, int]:
        x, lengths, y_in, y, mask, rng = batch
        loss = self.loss_fn(self.model(x, lengths, y_in, self.cfg.teacher_forcing, rng), y, mask)
        self.model.backward(self.loss_fn.backward())
        return loss, len(lengths)

    # -- measures --------------------------------------------------------------------------------
    def encode_sources(self, sources: list[list[str]]) -> list[np.ndarray]:
        out = []
        for i, s in enumerate(sources, 1):
            if not s:
                raise ValueError(f"source {i} is empty")
            out.append(self.source_vocab.encode(s))
        return out

    def decode(self, sources: list[np.ndarray], beam: int | None = None, model=None) -> list[list[str]]:
        """Output tokens of each source (ids), greedy or by beam search, 256 sources at a time, by
        ``model`` (default: the task's; an ``Ensemble`` of members' decodes them together)."""
        beam, model = beam or self.cfg.beam, model or self.model
        outputs = []
        for start in range(0, len(sources), 256):
            x, lengths = pad(sources[start:start + 256], np.int64)
            for ids in beam_search(model, x, lengths, self.bos, self.eos, beam, self.max_length):
                outputs.append([self.target_vocab.itos[i] for i in ids])
        return outputs

    def evaluate(self, split: str = "valid", beam: int | None = None, members: list | None = None) -> dict[str, float]:
        """Teacher-forced loss over every pair of ``split``, and the decoding's scores over its sources;
        with ``members`` (an ensemble's tasks, this one first), of their mean next-token probabilities."""
        if split not in self.data:
            raise FileNotFoundError(f"{self.cfg.data} has no {split} split")
        data = self.data[split]
        sources = self.encode_sources(data.sources)
        pairs = [(s, self.target_vocab.encode(r)) for s, refs in zip(sources, data.references) for r in refs]
        pairs = pairs[self.group.part(len(pairs))]  # each rank its share; the sums and outputs joined
        total = count = 0.0
        model = self.model if not members or len(members) == 1 else Ensemble([m.model for m in members])
        with model.inference():
            for start in range(0, len(pairs), 256):
                x, lengths, y_in, y, mask = self._pad(pairs[start:start + 256])
                logits = (model(x, lengths, y_in) if model is self.model else
                          mean_log_probabilities([m(x, lengths, y_in) for m in model.models]))
                loss = self.loss_fn(logits, y, mask)  # log-probabilities: their softmax is themselves
                total, count = total + loss * mask.sum(), count + mask.sum()
        if self.group.size > 1:
            total, count = self.group.allreduce(np.array([total, count], np.float64))
        outputs = self.decode(sources[self.group.part(len(sources))], beam, model)
        outputs = [o for part in self.group.allgather_json(outputs) for o in part]
        scores = {"loss": float(total / count)} | sequence_scores(outputs, data.references)
        if self.natural:
            scores |= text_scores([self.join(o) for o in outputs],
                                  [[self.join(r) for r in refs] for refs in data.references], self.chinese)
        return scores

    def evaluate_members(self, split: str, members: list) -> dict:
        """The ensemble's measures: its members' mean next-token probabilities, teacher-forced and
        decoded (``rnnlab.seq2seq.ensemble``)."""
        return self.evaluate(split, members=members)

    def evaluate_file(self, path: Path, members: list) -> dict:
        """The measures on a table of (source, target) pairs, tokenised as the run's data is."""
        self.data["file"] = read_pairs(path, self.source_kind, self.target_kind)
        return self.evaluate("file", members=members)

    def report(self, measures: dict, split: str) -> str:
        beam = self.cfg.beam
        if self.natural:
            return (f"{split} ({'greedy' if beam == 1 else f'beam {beam}'}): BLEU {measures['bleu']:.2f}, chrF "
                    f"{measures['chrf']:.2f}, loss {measures['loss']:.4f}, exact {measures['exact']:.2%} over "
                    f"{measures['n']:,} sources")
        return (f"{split} ({'greedy' if beam == 1 else f'beam {beam}'}): loss {measures['loss']:.4f}, WER "
                f"{measures['wer']:.2%}, PER {measures['per']:.2%}, exact {measures['exact']:.2%}, token accuracy "
                f"{measures['token_accuracy']:.2%} over {measures['n']:,} sources")

    def describe(self, measures: dict[str, float]) -> str:
        if self.natural:
            return f"loss {measures['loss']:.4f}  BLEU {measures['bleu']:.2f}  chrF {measures['chrf']:.2f}"
        return (f"loss {measures['loss']:.4f}  WER {measures['wer']:.4f}  PER {measures['per']:.4f}  "
                f"token accuracy {measures['token_accuracy']:.4f}")

    def about(self) -> str:
        sizes = ", ".join(f"{s} {len(p):,}" for s, p in self.data.items())
        return (f"{len(self.pairs):,} training pairs ({sizes} sources), {len(self.source_vocab):,} source and "
                f"{len(self.target_vocab):,} target tokens")

    def save_files(self, out: Path) -> None:
        info = {"source": self.source_vocab.itos, "target": self.target_vocab.itos,
                "source_tokens": self.source_kind, "target_tokens": self.target_kind}
        (Path(out) / "seq2seq.json").write_text(json.dumps(info, ensure_ascii=False, indent=1) + "\n")

    @classmethod
    def onnx_models(cls, run: Path, which: str = "best") -> dict:
        """The encoder and one decoder step (``rnnlab.export.seq2seq``); both carry in their metadata the
        vocabularies (``rnnlab.source``, ``rnnlab.target``: token lists; the target's ids 0, 1 are <bos>,
        <eos>) and how text is read (``rnnlab.reading``: the token kinds, reversal, simplified)."""
        from ..export.seq2seq import decoder_graph, encoder_graph
        from ..train import load_weights
        from .registry import read_run_config

        cfg, saved = read_run_config(run), json.loads((Path(run) / "seq2seq.json").read_text())
        model = Seq2Seq(len(saved["source"]), len(saved["target"]), cfg.cell, hidden_size=cfg.hidden,
                        num_layers=cfg.layers, embed_size=cfg.embed, attention=cfg.attention,
                        input_feeding=cfg.input_feeding, dtype=np.dtype(cfg.dtype))
        model.load_state_dict(load_weights(run, which)[0])
        model.eval()
        parts = {"encoder": encoder_graph(model), "decoder": decoder_graph(model)}
        reading = {"source_tokens": saved["source_tokens"], "target_tokens": saved["target_tokens"],
                   "reverse_source": cfg.reverse_source, "simplified": cfg.simplified}
        for proto in parts.values():
            for key, value in (("source", saved["source"]), ("target", saved["target"]), ("reading", reading)):
                proto.metadata_props.add(key=f"rnnlab.{key}", value=json.dumps(value, ensure_ascii=False))
        return parts

    def join(self, tokens: list[str]) -> str:
        """Output tokens as text: characters joined, space-separated tokens (phones) with spaces, words
        as text (``data.text.detokenize``)."""
        return {"space": " ".join, "word": detokenize}.get(self.target_kind, "".join)(tokens)

    def split_source(self, text: str) -> list[str]:
        if self.cfg.data == "cmudict":
            return list(text.strip().lower())
        return tokenize((simplified(text) if self.cfg.simplified else text).strip(), self.source_kind)

    def split_target(self, text: str) -> list[str]:
        return tokenize((simplified(text) if self.cfg.simplified else text).strip(), self.target_kind)
