"""Natural-language text: Chinese script, words, display width.

    han(ch)           a character of Chinese script (CJK unified ideographs and their extensions,
                      compatibility ideographs)
    chinese(text)     the share of a text's letters that are Chinese characters is at least a half
    words(text)       English-like words: lower-cased runs of letters and digits (with inner
                      apostrophes, straight or curly: don't, rock'n'roll), every other visible character
                      its own token ("I'm fine." -> i'm, fine, .)
    segment(text)     Chinese words by jieba (the standard segmenter; ``pip install "rnnlab[zh]"``),
                      the rest of a mixed text as ``words`` does; without jieba a one-line ImportError
    natural(text)     the words of a text in either language: ``segment`` where it holds Chinese
                      characters, else ``words``
    detokenize(toks)  tokens back to text: a space between two tokens unless either side is Chinese or
                      the second is closing punctuation (or the first opening); full-width punctuation is
                      Chinese here
    simplified(text)  traditional characters mapped to simplified by OpenCC's tables (t2s), the same
                      optional extra
    width(text)       the columns a terminal gives the text: 2 for wide and full-width characters
                      (East Asian Width W and F), 0 for combining marks, 1 otherwise
    pad(text, n)      ``text`` padded with spaces to n columns (``str.ljust`` counts characters)
"""

from __future__ import annotations

import functools
import re
import unicodedata

__all__ = ["han", "chinese", "words", "segment", "natural", "detokenize", "spaced", "simplified", "width", "pad", "ZH_EXTRA"]

ZH_EXTRA = 'pip install "rnnlab[zh]"'
_HAN = ((0x3400, 0x4DBF), (0x4E00, 0x9FFF), (0xF900, 0xFAFF), (0x20000, 0x2EBEF), (0x30000, 0x3134F))
_WORD = re.compile(r"[^\W_]+(?:['’][^\W_]+)*|\S")


def han(ch: str) -> bool:
    code = ord(ch)
    return any(lo <= code <= hi for lo, hi in _HAN)


def chinese(text: str) -> bool:
    letters = [c for c in text if c.isalpha()]
    return bool(letters) and sum(map(han, letters)) >= len(letters) / 2


def words(text: str) -> list[str]:
    return _WORD.findall(text.lower())


def _jieba():
    try:
        import jieba
    except ImportError:
        raise ImportError(f"--tokens word on Chinese text segments it with jieba, which is not installed: "
                          f"{ZH_EXTRA} (or --tokens char: one token a character)") from None
    jieba.setLogLevel(60)  # its start-up messages go to stderr otherwise
    return jieba


def segment(text: str, lower: bool = True) -> list[str]:
    """jieba's words of the Chinese in ``text``; the rest as ``words`` (``lower``) or as jieba leaves it,
    spaces dropped."""
    jieba = _jieba()
    out = []
    for piece in jieba.lcut(text):
        if any(map(han, piece)) or not lower:
            out += [piece] if piece.strip() else []
        else:
            out += words(piece)
    return out


def natural(text: str) -> list[str]:
    return segment(text) if any(map(han, text)) else words(text)


_CLOSING, _OPENING = set(".,!?;:%)]}…、，。！？；：）》」』"), set("([{$#《「『（")


def spaced(a: str, b: str) -> bool:
    """Whether a space separates the tokens ``a`` and ``b`` in running text: not where either side is
    Chinese or full-width."""
    return not (_wide(a[-1]) or _wide(b[0])) if a and b else False


def _wide(ch: str) -> bool:
    return han(ch) or unicodedata.east_asian_width(ch) in "WF"


def detokenize(tokens: list[str]) -> str:
    out = ""
    for k, t in enumerate(tokens):
        if k and t and out and not (_wide(out[-1]) or _wide(t[0]) or t[0] in _CLOSING or out[-1] in _OPENING):
            out += " "
        out += t
    return out


def simplified(text: str) -> str:
    try:
        import opencc
    except ImportError:
        raise ImportError(f"mapping traditional characters to simplified needs OpenCC's tables: {ZH_EXTRA}") from None
    return _converter().convert(text)


@functools.lru_cache(maxsize=1)
def _converter():
    """OpenCC's converter, built once (reading its tables takes a moment)."""
    import opencc

    return opencc.OpenCC("t2s")


def width(text: str) -> int:
    return sum(0 if unicodedata.combining(c) else 2 if unicodedata.east_asian_width(c) in "WF" else 1 for c in text)


def pad(text: str, n: int, right: bool = False) -> str:
    """``text`` padded with spaces to ``n`` columns, on the right (or, ``right``, on the left)."""
    fill = " " * max(0, n - width(text))
    return fill + text if right else text + fill
