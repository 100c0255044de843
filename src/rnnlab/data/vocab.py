"""Vocabularies: characters or words <-> integer ids, saved as JSON.

A character vocabulary holds every character of the corpus; a word vocabulary holds the training
words (PTB's already include ``<unk>``), and ``<eos>`` marks each line end.
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Iterable
from pathlib import Path

import numpy as np

from .text import han, segment, spaced

__all__ = ["Vocab", "EOS", "UNK"]

EOS = "<eos>"
UNK = "<unk>"


class Vocab:
    """``kind`` is "char" or "word"; ``itos`` lists the tokens in id order."""

    def __init__(self, itos: list[str], kind: str) -> None:
        if kind not in ("char", "word"):
            raise ValueError(f"vocabulary kind must be 'char' or 'word', got {kind!r}")
        if len(set(itos)) != len(itos):
            raise ValueError("vocabulary has repeated tokens")
        if not itos:
            raise ValueError("vocabulary is empty")
        self.itos = list(itos)
        self.kind = kind
        self.stoi = {s: i for i, s in enumerate(self.itos)}

    def __len__(self) -> int:
        return len(self.itos)

    @classmethod
    def build(cls, tokens: Iterable[str], kind: str, min_count: int = 1, unk: bool = False) -> Vocab:
        """Tokens sorted by falling frequency, ties by the token itself: deterministic. With ``unk``,
        ``<unk>`` comes first and tokens seen fewer than ``min_count`` times are left to it."""
        counts = Counter(tokens)
        kept = sorted((t for t, n in counts.items() if n >= min_count and not (unk and t == UNK)),
                      key=lambda s: (-counts[s], s))
        return cls([UNK] + kept if unk else kept, kind)

    def encode(self, tokens: Iterable[str], strict: bool = False) -> np.ndarray:
        """Ids (int64). An unknown token maps to ``<unk>`` if the vocabulary has it and ``strict`` is
        False; otherwise it raises ValueError naming the token."""
        unk = None if strict else self.stoi.get(UNK)
        ids = []
        for t in tokens:
            i = self.stoi.get(t, unk)
            if i is None:
                what = "character" if self.kind == "char" else "word"
                raise ValueError(f"{what} {t!r} is not in the vocabulary ({len(self)} {what}s)")
            ids.append(i)
        return np.array(ids, dtype=np.int64)

    def decode(self, ids: Iterable[int]) -> str:
        """Text: characters joined as is; words joined by spaces (none next to Chinese), with ``<eos>``
        as a line end."""
        if self.kind == "char":
            return "".join(self.itos[i] for i in ids)
        out, prev = [], ""
        for i in ids:
            s = self.itos[i]
            if s == EOS:
                out.append("\n")
                prev = ""
                continue
            if prev and spaced(prev, s):
                out.append(" ")
            out.append(s)
            prev = s
        return "".join(out)

    def tokenize(self, text: str) -> list[str]:
        """Split text as this vocabulary's corpus was split (characters, or words and line ends)."""
        if self.kind == "char":
            return list(text)
        return word_tokens(text)

    def to_json(self) -> str:
        return json.dumps({"kind": self.kind, "itos": self.itos}, ensure_ascii=False)

    @classmethod
    def from_json(cls, text: str) -> Vocab:
        try:
            d = json.loads(text)
            return cls(d["itos"], d["kind"])
        except (json.JSONDecodeError, KeyError, TypeError) as e:
            raise ValueError(f"not a vocabulary file: {e}") from e

    def save(self, path: Path) -> None:
        Path(path).write_text(self.to_json(), encoding="utf-8")

    @classmethod
    def load(cls, path: Path) -> Vocab:
        return cls.from_json(Path(path).read_text(encoding="utf-8"))


def word_tokens(text: str) -> list[str]:
    """Zaremba et al. / Mikolov: the words of each line, then ``<eos>``; empty lines give ``<eos>``. The
    words are the space-separated ones; a line with Chinese characters is segmented by jieba."""
    out: list[str] = []
    for line in text.splitlines():
        out.extend(segment(line, lower=False) if any(map(han, line)) else line.split())
        out.append(EOS)
    return out
