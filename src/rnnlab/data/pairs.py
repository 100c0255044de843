"""Sequence-to-sequence data: pairs of token sequences, each source with one or more reference targets.

    a table        TSV/CSV with a header naming ``source`` and ``target`` columns; tokens are characters
                   or space-separated (``tokens`` for each side); rows with the same source are that
                   source's references
    cmn-eng        English-Chinese sentence pairs of the Tatoeba project (``DATA_DIR/zh/cmn.txt[.gz]``,
                   manythings.org's tab-separated English, Chinese, attribution), in the direction
                   ``en-zh`` or ``zh-en``; English as lower-cased words (``data.text.words``), Chinese as
                   characters (or jieba words); split 90/5/5 by the MD5 of the source sentence, a source's
                   translations its references
    cmudict        the CMU Pronouncing Dictionary (``DATA_DIR/cmudict/cmudict.dict[.gz]``): spelling
                   (characters) to ARPAbet phones with the stress digits removed (39 phones); a word's
                   alternative pronunciations (``word(2)``) are its references; split 90/5/5 by the MD5
                   of the word, so no word is in two splits
    dates          human-written dates to ISO 8601 (``9 may 1998`` -> ``1998-05-09``), generated with the
                   standard library in 16 formats
    addition       ``535+61`` -> ``596`` (3-digit operands; ``reverse`` reads the source backwards,
                   as Keras's addition example)

Generated sets are a function of their seed; their splits share no source.
"""

from __future__ import annotations

import datetime
import hashlib
import random
from dataclasses import dataclass
from pathlib import Path

from .files import read_rows, read_text
from .text import natural

__all__ = ["Pairs", "read_pairs", "load_cmudict", "load_cmn_eng", "make_dates", "make_addition", "tokenize", "hash_split",
           "split_by_hash", "NAMED_PAIRS"]

NAMED_PAIRS = ("cmn-eng", "cmudict", "dates", "addition")


@dataclass
class Pairs:
    name: str
    sources: list[list[str]]
    references: list[list[list[str]]]  # each source's reference targets (one or more)

    def __len__(self) -> int:
        return len(self.sources)

    @property
    def entries(self) -> int:
        """Source-target pairs (a source with several references counts once for each)."""
        return sum(len(r) for r in self.references)


def tokenize(text: str, kind: str) -> list[str]:
    """``char``: every character; ``space``: the space-separated tokens; ``word``: words of natural
    text (``data.text.natural``: lower-cased words, punctuation apart; Chinese by jieba)."""
    if kind == "char":
        return list(text)
    if kind == "space":
        return text.split()
    if kind == "word":
        return natural(text)
    raise ValueError(f"unknown tokens {kind!r}; expected char, space or word")


def _group(name: str, rows: list[tuple[list[str], list[str]]]) -> Pairs:
    index: dict[tuple, int] = {}
    sources, refs = [], []
    for src, tgt in rows:
        key = tuple(src)
        if key not in index:
            index[key] = len(sources)
            sources.append(src)
            refs.append([])
        if tgt not in refs[index[key]]:
            refs[index[key]].append(tgt)
    return Pairs(name, sources, refs)


def read_pairs(path: str | Path, source_tokens: str = "char", target_tokens: str = "char") -> Pairs:
    """The ``source`` and ``target`` columns of a TSV or CSV file with a header row."""
    path = Path(path)
    rows = iter(read_rows(path))
    header = next(rows, None)
    names = [h.strip().lower() for h in header]
    missing = [c for c in ("source", "target") if c not in names]
    if missing:
        raise ValueError(f"{path} has no {' and no '.join(repr(c) for c in missing)} column (its header: "
                         f"{', '.join(header)}); expected columns named source and target")
    s, t = names.index("source"), names.index("target")
    pairs = []
    for number, row in enumerate(rows, 2):
        if not row:
            continue
        if len(row) <= max(s, t):
            raise ValueError(f"{path}:{number} has {len(row)} fields; the header has {len(header)}")
        src, tgt = tokenize(row[s].strip(), source_tokens), tokenize(row[t].strip(), target_tokens)
        if not src or not tgt:
            raise ValueError(f"{path}:{number} has an empty {'source' if not src else 'target'}")
        pairs.append((src, tgt))
    if not pairs:
        raise ValueError(f"{path} has a header but no rows")
    return _group(path.name, pairs)


def hash_split(key: str) -> str:
    """train, valid or test, 90/5/5 by the MD5 of ``key``: the same key always lands in the same split."""
    bucket = int(hashlib.md5(key.encode()).hexdigest(), 16) % 100
    return "train" if bucket < 90 else "valid" if bucket < 95 else "test"


def split_by_hash(pairs: Pairs) -> dict[str, Pairs]:
    """{train, valid, test} of ``pairs`` by ``hash_split`` of each source (its tokens joined by spaces),
    so a source is in one split with all its references."""
    out = {s: Pairs(f"{pairs.name} {s}", [], []) for s in ("train", "valid", "test")}
    for src, refs in zip(pairs.sources, pairs.references):
        split = out[hash_split(" ".join(src))]
        split.sources.append(src)
        split.references.append(refs)
    return out


def load_cmudict(data_dir: Path) -> dict[str, Pairs]:
    """{train, valid, test} of DATA_DIR/cmudict/cmudict.dict[.gz]."""
    folder = Path(data_dir) / "cmudict"
    path = next((folder / n for n in ("cmudict.dict", "cmudict.dict.gz") if (folder / n).is_file()), None)
    if path is None:
        raise FileNotFoundError(f"cmudict: no {folder / 'cmudict.dict'}[.gz]; fetch it with: rnnlab data download "
                                f"cmudict")
    rows: dict[str, list[tuple[list[str], list[str]]]] = {"train": [], "valid": [], "test": []}
    for number, line in enumerate(read_text(path).splitlines(), 1):
        line = line.split("#")[0].strip()
        if not line:
            continue
        word, *phones = line.split()
        if not phones:
            raise ValueError(f"{path}:{number}: a word without phones")
        word = word.split("(")[0].lower()
        rows[hash_split(word)].append((list(word), [p.rstrip("012") for p in phones]))
    return {split: _group(f"cmudict {split}", r) for split, r in rows.items()}


def load_cmn_eng(data_dir: Path, direction: str = "en-zh", source_tokens: str | None = None,
                 target_tokens: str | None = None) -> dict[str, Pairs]:
    """{train, valid, test} of DATA_DIR/zh/cmn.txt[.gz] in ``direction``; tokens by side (None: English
    words, Chinese characters). A line without two tab-separated sentences is skipped."""
    folder = Path(data_dir) / "zh"
    path = next((folder / n for n in ("cmn.txt", "cmn.txt.gz") if (folder / n).is_file()), None)
    if path is None:
        raise FileNotFoundError(f"cmn-eng: no {folder / 'cmn.txt'}[.gz]; fetch it with: rnnlab data download cmn-eng")
    if direction not in ("en-zh", "zh-en"):
        raise ValueError(f"--direction {direction!r}: expected en-zh or zh-en")
    english, chinese = ("word", "char") if direction == "en-zh" else ("char", "word")
    kinds = (source_tokens or english, target_tokens or chinese)
    rows: dict[str, list[tuple[list[str], list[str]]]] = {"train": [], "valid": [], "test": []}
    for line in read_text(path).splitlines():
        fields = line.split("\t")
        if len(fields) < 2 or not fields[0].strip() or not fields[1].strip():
            continue
        source, target = (fields[0], fields[1]) if direction == "en-zh" else (fields[1], fields[0])
        source, target = tokenize(source.strip(), kinds[0]), tokenize(target.strip(), kinds[1])
        rows[hash_split(" ".join(source))].append((source, target))
    if not rows["train"]:
        raise ValueError(f"{path} holds no tab-separated English and Chinese sentences")
    return {split: _group(f"cmn-eng {direction} {split}", r) for split, r in rows.items()}


_MONTHS = ["january", "february", "march", "april", "may", "june", "july", "august", "september", "october",
           "november", "december"]


def _ordinal(n: int) -> str:
    return f"{n}{'th' if 10 <= n % 100 <= 20 else {1: 'st', 2: 'nd', 3: 'rd'}.get(n % 10, 'th')}"


_DATE_FORMATS = [
    lambda d: f"{d.day} {_MONTHS[d.month - 1]} {d.year}",
    lambda d: f"{d.day} {_MONTHS[d.month - 1][:3]} {d.year}",
    lambda d: f"{_MONTHS[d.month - 1]} {d.day}, {d.year}",
    lambda d: f"{_MONTHS[d.month - 1][:3]} {d.day}, {d.year}",
    lambda d: f"{_MONTHS[d.month - 1].upper()} {d.day} {d.year}",
    lambda d: f"{d.day:02d}/{d.month:02d}/{d.year}",
    lambda d: f"{d.month}/{d.day}/{d.year % 100:02d}",
    lambda d: f"{d.day}.{d.month}.{d.year}",
    lambda d: f"{d.year}/{d.month}/{d.day}",
    lambda d: d.strftime("%A, %d %B %Y").lower(),
    lambda d: d.strftime("%a %d %b %Y").lower(),
    lambda d: f"{d.day} {_MONTHS[d.month - 1]}, {d.year}",
    lambda d: d.strftime("%d %b %y").lower(),
    lambda d: f"{_MONTHS[d.month - 1][:3]}. {d.day} {d.year}",
    lambda d: f"{d.day}-{_MONTHS[d.month - 1][:3]}-{d.year}",
    lambda d: f"the {_ordinal(d.day)} of {_MONTHS[d.month - 1]} {d.year}",
]


def _three_splits(name: str, seed: int, sizes: tuple[int, int, int], draw) -> dict[str, Pairs]:
    rng = random.Random(seed)
    seen: set[str] = set()
    out = {}
    for split, size in zip(("train", "valid", "test"), sizes):
        rows = []
        while len(rows) < size:
            source, target = draw(rng)
            if source not in seen:
                seen.add(source)
                rows.append((list(source), list(target)))
        out[split] = _group(f"{name} {split}", rows)
    return out


def make_dates(seed: int = 0, sizes: tuple[int, int, int] = (20_000, 1_000, 1_000)) -> dict[str, Pairs]:
    """Dates from 1950-01-01 to 2049-12-31 in one of 16 formats -> YYYY-MM-DD."""
    first, days = datetime.date(1950, 1, 1), (datetime.date(2050, 1, 1) - datetime.date(1950, 1, 1)).days

    def draw(rng):
        d = first + datetime.timedelta(days=rng.randrange(days))
        return rng.choice(_DATE_FORMATS)(d), d.isoformat()

    return _three_splits("dates", seed, sizes, draw)


def make_addition(seed: int = 0, sizes: tuple[int, int, int] = (45_000, 5_000, 5_000),
                  reverse: bool = False) -> dict[str, Pairs]:
    """``a+b`` with a, b of 1-3 digits -> their sum; ``reverse`` reverses the source."""
    def draw(rng):
        a, b = (int("".join(rng.choice("0123456789") for _ in range(rng.randint(1, 3)))) for _ in range(2))
        question = f"{a}+{b}"
        return (question[::-1] if reverse else question), str(a + b)

    return _three_splits("addition", seed, sizes, draw)
