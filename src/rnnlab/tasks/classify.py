"""Sequence classification: one label per sequence, text (token ids) or multichannel series (features).

Data (``--data``):
    sentiment          the named snippets set (data/labelled_text.py), split 80/10/10 by class and seed
    japanese-vowels    the UEA set's TRAIN and TEST files; valid is 10% of TRAIN, by class and seed
    FILE.tsv|.csv[.gz] a table with text and label columns, split 80/10/10 by class and seed
    FILE.ts[.gz]       a .ts file; with a sibling whose name has TEST for TRAIN, that is the test split
    FOLDER             train, valid and test tables (train.tsv or train.csv, ...)
Text becomes word or character tokens (``--tokens``) with a vocabulary of the training split's tokens
seen at least ``--min-count`` times and ``<unk>``; series channels are standardised with the training
split's statistics. Each epoch visits the training examples in an order drawn from (seed, epoch).

Files in the run folder: ``labels.json`` (the classes, the input kind, the series statistics) and, for
text, ``vocab.json``.
"""

from __future__ import annotations

import json
import math
from pathlib import Path

import numpy as np

from ..data import Vocab
from ..data.labelled_text import read_table, text_tokens
from ..data.text import chinese, simplified
from ..data.text import pad as pad_text
from ..data.text import width as text_width
from ..data.padding import pad
from ..data.ts_format import Standardizer, read_ts
from .lm_evaluate import nll
from ..functional import softmax
from ..models import SequenceModel
from ..nn import SoftmaxCrossEntropy, no_grad
from ..train.settings import Setting
from .base import Measure, Task
from .classify_data import NAMED_SETS, load_splits
from .shared import DATA_DIR, EMBED, FEEDFORWARD, RECURRENT, SIMPLIFIED, check_model, encoder_for

__all__ = ["ClassificationTask", "Predictor", "build_classifier", "pad", "NAMED_SETS", "scores", "ensemble_logits"]

def build_classifier(cfg, classes: int, vocab: Vocab | None, channels: int | None) -> SequenceModel:
    """The run's model: token ids in when there is a vocabulary, else ``channels`` features."""
    width = (cfg.embed or cfg.hidden) if vocab else channels
    return SequenceModel(classes, vocab_size=len(vocab) if vocab else None, input_size=channels, cell=cfg.cell,
                              hidden_size=cfg.hidden, num_layers=cfg.layers, embed_size=cfg.embed,
                              bidirectional=cfg.bidirectional, pool=cfg.pool, dropout=cfg.dropout,
                              dtype=np.dtype(cfg.dtype), seed=cfg.seed, encoder=encoder_for(cfg, width, cfg.seq_len))


def read_tokens(text: str, cfg) -> list[str]:
    """A text's tokens as the run reads them: traditional characters mapped to simplified (--simplified),
    then words or characters (--tokens), the first --max-tokens of them."""
    return text_tokens(simplified(text) if cfg.simplified else text, cfg.tokens)[:cfg.max_tokens]


class Predictor:
    """A trained classifier read back from its run folder, without its training data: labels and
    probabilities for new texts or series."""

    def __init__(self, run: Path, cfg, weights: dict[str, np.ndarray]) -> None:
        info = json.loads((Path(run) / "labels.json").read_text())
        self.cfg, self.classes, self.kind = cfg, info["classes"], info["input"]
        self.vocab = Vocab.load(Path(run) / "vocab.json") if self.kind == "text" else None
        self.mean, self.std = (np.array(info["mean"]), np.array(info["std"])) if self.kind == "series" else (None, None)
        self.model = build_classifier(cfg, len(self.classes), self.vocab, None if self.vocab else len(self.mean))
        self.model.load_state_dict(weights)
        self.model.eval()

    def __call__(self, inputs: list) -> list[tuple[str, float]]:
        """(label, its probability) for each text (a string) or series ((T, D) array)."""
        p = self.probabilities(inputs)
        return [(self.classes[k], float(p[i, k])) for i, k in enumerate(p.argmax(1))]

    def probabilities(self, inputs: list) -> np.ndarray:
        """The class probabilities (n, C) of each text (a string) or series ((T, D) array)."""
        return softmax(self.logits(inputs), axis=1)

    def logits(self, inputs: list) -> np.ndarray:
        """The logits (n, C), in float64, of each text (a string) or series ((T, D) array); ``unknown``
        counts the tokens read as <unk>."""
        self.unknown = 0
        if self.vocab is not None:
            seqs = []
            for i, text in enumerate(inputs, 1):
                tokens = read_tokens(text, self.cfg)
                if not tokens:
                    raise ValueError(f"input {i} has no {self.cfg.tokens}s to classify")
                self.unknown += sum(t not in self.vocab.stoi for t in tokens)
                seqs.append(self.vocab.encode(tokens))
        else:
            seqs = [((np.asarray(x) - self.mean) / self.std).astype(self.cfg.dtype) for x in inputs]
        out = [np.empty((0, len(self.classes)))]
        for start in range(0, len(seqs), 256):
            x, lengths = pad(seqs[start:start + 256], np.int64 if self.vocab else self.cfg.dtype)
            with no_grad():
                out.append(self.model(x, lengths).astype(np.float64))
        return np.concatenate(out)


def ensemble_logits(logits: list[np.ndarray]) -> np.ndarray:
    """The logits (n, C) of an ensemble of classifiers, from each member's (n, C): log p_bar, where
    p_bar = (1/K) sum_k softmax(z_k) is the mean of the members' probabilities (so softmax(log p_bar)
    = p_bar). One member: its own logits."""
    if len(logits) == 1:
        return logits[0]
    mean = np.mean([softmax(z.astype(np.float64), axis=1) for z in logits], axis=0)
    return np.log(np.maximum(mean, np.finfo(np.float64).tiny))


def scores(y: np.ndarray, predicted: np.ndarray, classes: int) -> dict[str, float]:
    """accuracy, and macro-F1: the mean over classes of 2 TP / (2 TP + FP + FN) (0 for a class never
    predicted nor present)."""
    f1 = []
    for c in range(classes):
        tp = np.sum((predicted == c) & (y == c))
        wrong = np.sum((predicted == c) != (y == c))
        f1.append(2 * tp / (2 * tp + wrong) if tp + wrong else 0.0)
    return {"accuracy": float(np.mean(predicted == y)), "macro_f1": float(np.mean(f1))}


class ClassificationTask(Task):
    """``cfg`` its config; on ``resume`` the labels and vocabulary are the run folder's ``out``;
    ``group`` the processes training together (each takes its share of a batch)."""

    settings = (
        Setting("data", None, "sentiment | japanese-vowels | a .tsv/.csv table (text and label columns) | a .ts file "
                              "| a folder of train, valid[, test] tables", shown="none: give one"),
        DATA_DIR,
        Setting("tokens", None, "text: word (Chinese by jieba, rnnlab[zh]) | char", choices=("word", "char"),
                shown="char for text in Chinese script, else word"),
        Setting("max_tokens", None, "text: read the first N tokens of each text (a batch is as long as its longest "
                "text)", int, low=1, shown="all"),
        SIMPLIFIED,
        Setting("min_count", 1, "text: words seen fewer times in training become <unk>", int, low=1),
        *RECURRENT, EMBED, *FEEDFORWARD,
        Setting("bidirectional", False, "read each sequence both ways", bool),
        Setting("pool", "last", "last | mean | max over each sequence's steps", choices=("last", "mean", "max")),
        Setting("class_weights", "none", "none | balanced (each class counts as much in the loss)",
                choices=("none", "balanced")),
        Setting("folds", None, "K-fold cross-validation, one run a fold into OUT/fold-k", int, low=2),
        Setting("fold", None, "train only this fold's run (1..K)", int, low=1, shown="all"),
        Setting("split_seed", None, "the seed of the train/valid/test split and the folds", int, shown="--seed"),
        Setting("seq_len", 64, "transformer: positions, the longest sequence it reads", int, low=1),
    )
    # settings chosen by validation accuracy (benchmarks/README.md)
    presets = {
        "japanese-vowels": dict(data="japanese-vowels", cell="lstm", layers=2, hidden=64, bidirectional=True,
                                pool="mean", dropout=0.3, batch_size=16, optimizer="adam", lr=3e-3, epochs=40),
        "sentiment": dict(data="sentiment", cell="lstm", layers=1, hidden=128, embed=128, min_count=2,
                          bidirectional=True, pool="max", dropout=0.5, batch_size=32, optimizer="adam", lr=1e-3,
                          epochs=12),
        # chosen on the validation accuracy of the default split among five (char and jieba words, 1x64 and
        # 1x128, mean and max pooling): benchmarks/README.md, "Chinese sentiment"
        "zh-sentiment": dict(data="zh-sentiment", tokens="word", min_count=2, cell="lstm", layers=1, hidden=128,
                             embed=128, bidirectional=True, dropout=0.4, pool="max", max_tokens=200, batch_size=32,
                             optimizer="adam", lr=2e-3, epochs=6),
    }
    noun = "classifier"
    ensembles = True
    measure = Measure("accuracy", lower_is_better=False, split="test")
    unit = "examples"
    files = ("labels.json", "vocab.json")

    def __init__(self, cfg, out: Path | None = None, resume: bool = False, group=None) -> None:
        self.cfg, self.group = cfg, group or self.group
        self.kind, data = load_splits(cfg)
        train = data["train"]
        saved = json.loads((Path(out) / "labels.json").read_text()) if resume else None
        self.classes = saved["classes"] if saved else list(getattr(train, "classes", None) or sorted(set(train.labels)))
        if len(self.classes) < 2:
            raise ValueError(f"{cfg.data}: the training split has one class ({self.classes[0]!r}); a classifier "
                             f"needs two or more")
        index = {c: i for i, c in enumerate(self.classes)}
        if self.kind == "text":
            if cfg.tokens is None:  # characters are Chinese text's natural unit (config.json records the choice)
                cfg.tokens = "char" if chinese("".join(train.texts[:500])) else "word"
            tokens = {s: [read_tokens(t, cfg) for t in d.texts] for s, d in data.items()}
            self.vocab = Vocab.load(Path(out) / "vocab.json") if resume else Vocab.build(
                (t for seq in tokens["train"] for t in seq), "char" if cfg.tokens == "char" else "word",
                min_count=cfg.min_count, unk=True)
            self.inputs = {s: [self.vocab.encode(seq) for seq in tokens[s]] for s in data}
        else:
            self.vocab = None
            self.scale = Standardizer(train.series)
            if saved:
                self.scale.mean, self.scale.std = np.array(saved["mean"]), np.array(saved["std"])
            self.inputs = {s: [x.astype(cfg.dtype) for x in self.scale(d.series)] for s, d in data.items()}
        unknown = {lab for d in data.values() for lab in d.labels} - set(index)
        if unknown:
            raise ValueError(f"{cfg.data}: labels {sorted(unknown)} are not among the training split's classes")
        self.labels = {s: np.array([index[lab] for lab in d.labels]) for s, d in data.items()}
        counts = np.bincount(self.labels["train"], minlength=len(self.classes))
        # balanced: n / (C n_c), so every class weighs as much in the loss (scikit-learn's "balanced")
        self.weights = (counts.sum() / (len(counts) * np.maximum(counts, 1)) if cfg.class_weights == "balanced"
                        else None)
        self.longest = max(len(x) for split in self.inputs.values() for x in split)
        self.channels = None if self.vocab else train.channels
        self.model = self.model_for(cfg)
        self.loss_fn = SoftmaxCrossEntropy()

    @classmethod
    def check_config(cls, cfg) -> None:
        if cfg.data is None:
            raise ValueError("give the data with --data: sentiment, japanese-vowels, a .tsv/.csv table, a .ts file "
                             "or a folder of tables")
        check_model(cfg, recurrent_only=("bidirectional",))
        if cfg.fold is not None and not (cfg.folds and cfg.fold <= cfg.folds):
            raise ValueError(f"fold must be an integer from 1 to --folds, got {cfg.fold!r} (folds {cfg.folds})")

    def model_for(self, cfg) -> SequenceModel:
        """The classifier of ``cfg`` (its model settings) for this task's classes and inputs."""
        if cfg.arch == "transformer" and self.longest > cfg.seq_len:
            raise ValueError(f"{cfg.data}: sequences run to {self.longest} steps, the Transformer has positions for "
                             f"{cfg.seq_len}; give --seq-len {self.longest} or more")
        return build_classifier(cfg, len(self.classes), self.vocab, self.channels)

    @property
    def batches_per_epoch(self) -> int:
        return -(-len(self.labels["train"]) // self.cfg.batch_size)

    def _pad(self, split: str, idx: np.ndarray):
        """(x, lengths) of the examples ``idx`` of ``split`` (``pad``), and their labels (N,)."""
        x, lengths = pad([self.inputs[split][i] for i in idx], np.int64 if self.vocab else np.dtype(self.cfg.dtype))
        return x, lengths, self.labels[split][idx]

    def batch(self, epoch: int, index: int):
        order = np.random.default_rng([self.cfg.seed, epoch]).permutation(len(self.labels["train"]))
        B = self.cfg.batch_size
        pick = order[index * B:(index + 1) * B]
        pick = pick[self.group.part(len(pick))]
        return self._pad("train", pick) if len(pick) else None

    def weight(self, batch, count: int) -> float:
        return float(count) if self.weights is None else float(self.weights[batch[2]].sum())

    def forward_backward(self, batch) -> tuple[float, int]:
        x, lengths, y = batch
        w = None if self.weights is None else self.weights[y]  # weighted mean: sum w nll / sum w
        loss = self.loss_fn(self.model(x, lengths), y, w)
        self.model.backward(self.loss_fn.backward())
        return loss, len(y)

    def predict(self, split: str) -> np.ndarray:
        """Logits (n, C) of every example of ``split``, in eval mode (each rank its share, joined)."""
        out = [np.empty((0, len(self.classes)), self.cfg.dtype)]
        mine = np.arange(len(self.labels[split]))[self.group.part(len(self.labels[split]))]
        with self.model.inference():
            for start in range(0, len(mine), 256):
                x, lengths, _ = self._pad(split, mine[start:start + 256])
                out.append(self.model(x, lengths))
        return self.group.allgather(np.concatenate(out))

    def evaluate(self, split: str = "valid", logits: np.ndarray | None = None) -> dict[str, float]:
        """Loss, accuracy, macro-F1 and the number of examples of ``split``, from ``logits`` when the
        caller has them (``predict``)."""
        if split not in self.labels:
            raise FileNotFoundError(f"{self.cfg.data} has no {split} split")
        logits = self.predict(split) if logits is None else logits
        y, predicted, C = self.labels[split], logits.argmax(1), len(self.classes)
        confusion = np.bincount(y * C + predicted, minlength=C * C).reshape(C, C)
        return {"loss": float(nll(logits, y).mean())} | scores(y, predicted, C) | {
            "examples": len(y), "confusion": confusion.tolist()}

    def criterion(self, measures: dict[str, float]) -> float:
        """The validation error rate, ties broken by the loss: the best weights are the most accurate."""
        return 1.0 - measures["accuracy"] + 1e-6 * min(measures["loss"], 100.0)

    def describe(self, measures: dict[str, float]) -> str:
        return f"loss {measures['loss']:.4f}  accuracy {measures['accuracy']:.4f}  macro-F1 {measures['macro_f1']:.4f}"

    combine = staticmethod(lambda logits: ensemble_logits(logits))

    def evaluate_file(self, path: Path, members: list) -> dict:
        """The measures on a file of labelled examples of this run's kind (a table of texts, a .ts file
        of series), read with the run's vocabulary or scaling; an ensemble's ``members`` combined."""
        is_ts = path.suffix == ".ts" or path.name.endswith(".ts.gz")
        if is_ts != (self.vocab is None):
            raise ValueError(f"{path}: this run classifies {'series (.ts files)' if self.vocab is None else 'texts (a table)'}")
        data = read_ts(path) if is_ts else read_table(path)
        index = {c: i for i, c in enumerate(self.classes)}
        unknown = sorted(set(data.labels) - set(index))
        if unknown:
            raise ValueError(f"{path}: labels {unknown} are not among the run's classes ({', '.join(self.classes)})")
        for task in members:
            task.labels["file"] = np.array([index[lab] for lab in data.labels])
            task.inputs["file"] = ([task.vocab.encode(read_tokens(t, self.cfg)) for t in data.texts] if task.vocab
                                   else [x.astype(self.cfg.dtype) for x in task.scale(data.series)])
        return self.evaluate_members("file", members) if len(members) > 1 else self.evaluate("file")

    @classmethod
    def onnx_models(cls, run: Path, which: str = "best") -> dict:
        """The classifier's graph (``rnnlab.export.sequence``: series standardised inside it); metadata:
        ``rnnlab.classes`` (JSON list), and for text ``rnnlab.vocab`` and ``rnnlab.reading`` (tokens,
        max_tokens, simplified: how a text becomes token ids)."""
        from ..export.sequence import sequence_model_graph
        from ..train import load_weights
        from .registry import read_run_config

        cfg = read_run_config(run)
        predictor = Predictor(run, cfg, load_weights(run, which)[0])
        proto = sequence_model_graph(predictor.model, predictor.mean, predictor.std, f"rnnlab {cfg.cell} classifier")
        proto.metadata_props.add(key="rnnlab.classes", value=json.dumps(predictor.classes, ensure_ascii=False))
        if predictor.vocab is not None:
            proto.metadata_props.add(key="rnnlab.vocab", value=predictor.vocab.to_json())
            proto.metadata_props.add(key="rnnlab.reading", value=json.dumps(
                {"tokens": cfg.tokens, "max_tokens": cfg.max_tokens, "simplified": cfg.simplified}))
        return {"": proto}

    def report(self, measures: dict, split: str) -> str:
        """Loss, accuracy, macro-F1 and the confusion matrix (rows: true, columns: predicted)."""
        lines = [f"{split}: loss {measures['loss']:.4f}, accuracy {measures['accuracy']:.4f}, macro-F1 "
                 f"{measures['macro_f1']:.4f} over {measures['examples']:,} examples",
                 "confusion (rows: true, columns: predicted)"]
        width = max(text_width(c) for c in self.classes) + 2  # columns, not characters: Chinese labels are wide
        lines.append(" " * width + "".join(pad_text(c, width, right=True) for c in self.classes))
        for c, counts in zip(self.classes, measures["confusion"]):
            lines.append(pad_text(c, width, right=True) + "".join(f"{n:>{width}}" for n in counts))
        return "\n".join(lines)

    def stop_line(self, summary: dict) -> str:
        best = summary["best_valid"]
        return super().stop_line(summary) + (f", best accuracy {1 - best:.4f}" if math.isfinite(best) else "")

    def about(self) -> str:
        n = len(self.labels["train"])
        what = f"{len(self.vocab):,} {self.vocab.kind}s" if self.vocab else f"{self.inputs['train'][0].shape[1]} channels"
        return f"{n:,} training examples, {len(self.classes)} classes, {what}"

    def save_files(self, out: Path) -> None:
        info = {"classes": self.classes, "input": self.kind, "tokens": self.cfg.tokens}
        if self.vocab is not None:
            self.vocab.save(Path(out) / "vocab.json")
        else:
            info |= {"mean": self.scale.mean.tolist(), "std": self.scale.std.tolist()}
        (Path(out) / "labels.json").write_text(json.dumps(info, indent=1) + "\n")
