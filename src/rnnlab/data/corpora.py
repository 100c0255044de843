"""Corpora: the embedded default, any text file or folder, Penn Treebank (word, char), tiny-shakespeare.

A corpus is three splits of tokens plus a vocabulary. Nothing here touches the network.

Character level counts every character, spaces and line ends included ("\\n"). For ``ptb-char`` the
text is exactly that of the word-level files (each line starts with a space and ends with "\\n"),
so its 50 characters are the 48 of the words plus " " and "\\n".
"""

from __future__ import annotations

import difflib
import os
import sysconfig
from dataclasses import dataclass
from pathlib import Path

from .files import read_text
from .vocab import Vocab, word_tokens

__all__ = ["Corpus", "load_corpus", "resolve_data_dir", "NAMED", "DEFAULT_TRAIN_BYTES"]

NAMED = ("default", "ptb-word", "ptb-char", "shakespeare")
DEFAULT_TRAIN_BYTES = 1_200_000  # the embedded corpus: ~1.2 MB of the standard library's own source
SPLITS = ("train", "valid", "test")


@dataclass
class Corpus:
    name: str
    vocab: Vocab
    splits: dict[str, list[str] | None]  # token lists; None where a split is missing
    source: str  # where it came from, for the run's config

    def tokens(self, split: str) -> list[str]:
        if split not in SPLITS:
            raise ValueError(f"unknown split {split!r}; expected one of {', '.join(SPLITS)}")
        toks = self.splits.get(split)
        if toks is None:
            raise FileNotFoundError(f"corpus {self.name!r} has no {split} split (looked in {self.source})")
        return toks


def resolve_data_dir(arg: str | os.PathLike | None = None) -> Path:
    """``--data-dir``, else $RNNLAB_DATA, else ~/.cache/rnnlab."""
    if arg:
        return Path(arg).expanduser()
    if os.environ.get("RNNLAB_DATA"):
        return Path(os.environ["RNNLAB_DATA"]).expanduser()
    return Path.home() / ".cache" / "rnnlab"


def _find_split(folder: Path, stem: str) -> Path | None:
    for name in (f"{stem}.txt", f"{stem}.txt.gz"):
        if (folder / name).is_file():
            return folder / name
    return None


def _char_corpus(name: str, texts: dict[str, str | None], source: str) -> Corpus:
    vocab = Vocab.build("".join(t for t in texts.values() if t), "char")
    return Corpus(name, vocab, {k: (list(t) if t is not None else None) for k, t in texts.items()}, source)


def _text_corpus(name: str, texts: dict[str, str | None], source: str, tokens: str | None) -> Corpus:
    """Characters (``tokens`` None or "char": the vocabulary of every split's characters), or the words
    of each line and ``<eos>`` ("word": the training split's words and ``<unk>``, which the other splits'
    new words become)."""
    if tokens != "word":
        return _char_corpus(name, texts, source)
    splits = {s: (word_tokens(t) if t is not None else None) for s, t in texts.items()}
    return Corpus(name, Vocab.build(splits["train"], "word", unk=True), splits, source)


def _split_text(text: str) -> dict[str, str]:
    """Deterministic 90/5/5 split by character position."""
    n = len(text)
    a, b = int(n * 0.90), int(n * 0.95)
    return {"train": text[:a], "valid": text[a:b], "test": text[b:]}


def embedded_default() -> Corpus:
    """ASCII top-level ``*.py`` files of this Python's standard library, in name order, up to
    ``DEFAULT_TRAIN_BYTES``; file i goes to valid if i % 20 == 18, to test if i % 20 == 19."""
    stdlib = Path(sysconfig.get_paths()["stdlib"])
    parts: dict[str, list[str]] = {s: [] for s in SPLITS}
    total = 0
    for i, f in enumerate(p for p in sorted(stdlib.glob("*.py")) if _is_ascii(p)):
        if total >= DEFAULT_TRAIN_BYTES / 0.9:
            break
        text = f.read_text(encoding="ascii")
        total += len(text)
        parts["valid" if i % 20 == 18 else "test" if i % 20 == 19 else "train"].append(text)
    if not parts["train"] or not parts["valid"]:
        raise FileNotFoundError(f"the embedded corpus needs the standard library's sources in {stdlib}")
    return _char_corpus("default", {k: "".join(v) for k, v in parts.items()}, f"{stdlib}/*.py")


def _is_ascii(path: Path) -> bool:
    try:
        path.read_bytes().decode("ascii")
        return True
    except UnicodeDecodeError:
        return False


def load_corpus(name: str, data_dir: str | os.PathLike | None = None, tokens: str | None = None) -> Corpus:
    """``name``: default, ptb-word, ptb-char, shakespeare, a text file, or a folder holding
    train.txt, valid.txt and (optionally) test.txt. ``tokens``: "char" or "word" for a file or folder
    (None: characters); a named corpus has its own, and another is a ValueError."""
    own = "word" if name == "ptb-word" else "char" if name in NAMED else None
    if own and tokens not in (None, own):
        other = {"ptb-word": "ptb-char", "ptb-char": "ptb-word"}.get(name)
        raise ValueError(f"{name} is read as {own}s; --tokens {tokens} does not apply to it"
                         + (f" (for {tokens}s: --data {other})" if other else ""))
    if name == "default":
        return embedded_default()
    root = resolve_data_dir(data_dir)
    if name in ("ptb-word", "ptb-char"):
        folder = root / "ptb"
        paths = {s: _find_split(folder, f"ptb.{s}") for s in SPLITS}
        for s in ("train", "valid"):
            if paths[s] is None:
                raise FileNotFoundError(f"{name} needs {folder}/ptb.{s}.txt (or .txt.gz); "
                                        f"run `rnnlab data download ptb` or pass --data-dir")
        texts = {s: (read_text(p) if p else None) for s, p in paths.items()}
        if name == "ptb-char":
            return _char_corpus(name, texts, str(folder))
        splits = {s: (word_tokens(t) if t is not None else None) for s, t in texts.items()}
        vocab = Vocab.build(splits["train"], "word")
        return Corpus(name, vocab, splits, str(folder))
    if name == "shakespeare":
        path = root / "shakespeare" / "input.txt"
        if not path.is_file():
            raise FileNotFoundError(f"shakespeare needs {path}; run `rnnlab data download shakespeare` "
                                    f"or pass --data-dir")
        return _char_corpus(name, _split_text(read_text(path)), str(path))
    path = Path(name).expanduser()
    if path.is_dir():
        paths = {s: _find_split(path, s) for s in SPLITS}
        if paths["train"] is None or paths["valid"] is None:
            raise FileNotFoundError(f"folder {path} must hold train.txt and valid.txt (test.txt optional)")
        return _text_corpus(path.name, {s: (read_text(p) if p else None) for s, p in paths.items()}, str(path), tokens)
    if path.is_file():
        return _text_corpus(path.name, _split_text(read_text(path)), str(path), tokens)
    if any(c in name for c in "/\\.~") or not name.replace("-", "").isalnum():  # meant as a path
        raise FileNotFoundError(f"no such file or folder: {path} (--data takes a text file, a folder with "
                                f"train.txt and valid.txt, or one of {', '.join(NAMED)})")
    close = difflib.get_close_matches(name, NAMED, n=1)
    hint = f"; did you mean {close[0]!r}?" if close else ""
    raise ValueError(f"unknown dataset {name!r}{hint} (expected one of {', '.join(NAMED)}, a text file or a "
                     f"folder)")
