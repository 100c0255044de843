"""The classic long-range dependency problems, generated as published. Each generator takes a NumPy
``Generator``, the number of sequences N and the length parameter T, and returns padded, time-major
arrays with each sequence's length.

adding, 1997   Hochreiter & Schmidhuber 1997, Experiment 4. Each step is a pair (value, marker): value
               ~ U(-1, 1); marker 1.0 at two steps, the first among the first ten, the second among
               the first T/2 - 1 (not the first again); marker -1.0 at the first and last steps (which
               are not otherwise marked), else 0. Lengths are random in [T, T + T/10]. Target at the
               end: 0.5 + (X1 + X2) / 4 of the two marked values (a marked first step counts as 0, as
               the paper sets X1 = 0 then). A sequence is solved when |error| < 0.04.
adding, modern Le et al. 2015; Bai et al. 2018 (locuslab/TCN): length T, value ~ U(0, 1), marker 1.0 at
               one step of the first half and one of the second half, target X1 + X2, MSE. Always
               answering 1 gives MSE = Var(X1 + X2) = 1/6 ~ 0.167.
copy           Arjovsky et al. 2016 as Bai et al. 2018 build it: input 10 digits from 1-8, T - 1 blanks
               (0), 11 markers (9); target T + 10 blanks, then the 10 digits: length T + 20. A model
               with no memory can do no better than loss 10 ln 8 / (T + 20) (blanks predicted, digits
               guessed among 8).
temporal order Hochreiter & Schmidhuber 1997, Experiment 6a, with T in place of their 100: symbols
               E, B, a, b, c, d, X, Y; a sequence starts with E and ends with B, X or Y at two steps
               t1 in [T/10, T/5] and t2 in [T/2, 3T/5], a, b, c or d elsewhere; length in [T, T + T/10].
               Class at the end: XX, XY, YX or YY.
embedded Reber Hochreiter & Schmidhuber 1997, Experiment 1 (after Cleeremans et al. 1989; Fahlman 1991):
               B, then T or P, then a string of the Reber grammar, then the same T or P, then E; the
               task is predicting each next symbol; ``legal`` says which symbols may come next. Only the
               second to last prediction needs a long memory (T or P, set at the start).
"""

from __future__ import annotations

import numpy as np

__all__ = ["adding", "copy_memory", "temporal_order", "embedded_reber", "REBER_SYMBOLS", "TEMPORAL_SYMBOLS",
           "TEMPORAL_CLASSES", "copy_baseline", "ADDING_BASELINE"]

ADDING_BASELINE = 1 / 6  # modern adding: MSE of always answering 1
TEMPORAL_SYMBOLS = "EBabcdXY"
TEMPORAL_CLASSES = ("XX", "XY", "YX", "YY")
REBER_SYMBOLS = "BTPSXVE"


def copy_baseline(T: int) -> float:
    """The memoryless loss of copy memory with T blanks: 10 ln 8 / (T + 20)."""
    return 10 * np.log(8) / (T + 20)


def _lengths(rng: np.random.Generator, n: int, T: int) -> np.ndarray:
    """(n,) lengths uniform in [T, T + T // 10]."""
    return rng.integers(T, T + T // 10 + 1, size=n)


def adding(rng: np.random.Generator, n: int, T: int, definition: str = "modern"
           ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """x (T', n, 2) pairs (value, marker), zero past each length; targets (n,); lengths (n,)."""
    if definition == "modern":
        if T < 2:
            raise ValueError(f"the adding problem needs T >= 2, got {T}")
        x = np.zeros((T, n, 2))
        x[:, :, 0] = rng.uniform(0, 1, size=(T, n))
        cols = np.arange(n)
        first, second = rng.integers(0, T // 2, size=n), rng.integers(T // 2, T, size=n)
        x[first, cols, 1] = x[second, cols, 1] = 1.0
        return x, x[first, cols, 0] + x[second, cols, 0], np.full(n, T)
    if definition != "1997":
        raise ValueError(f"unknown adding definition {definition!r}; expected 1997 or modern")
    if T < 24:
        raise ValueError(f"the 1997 adding problem needs T >= 24 (two markers among the first T/2 - 1), got {T}")
    lengths = _lengths(rng, n, T)
    x = np.zeros((lengths.max(), n, 2))
    y = np.empty(n)
    for j, L in enumerate(lengths):
        x[:L, j, 0] = rng.uniform(-1, 1, size=L)
        first = rng.integers(0, 10)
        second = rng.choice(np.delete(np.arange(T // 2 - 1), first))
        x[[0, L - 1], j, 1] = -1.0
        x[[first, second], j, 1] = 1.0
        y[j] = 0.5 + sum(x[t, j, 0] for t in (first, second) if t != 0) / 4  # step 0 counts 0
    return x, y, lengths


def copy_memory(rng: np.random.Generator, n: int, T: int) -> tuple[np.ndarray, np.ndarray]:
    """Inputs and targets (T + 20, n) of symbols 0-9 (0 blank, 1-8 digits, 9 marker)."""
    digits = rng.integers(1, 9, size=(10, n))
    x = np.zeros((T + 20, n), np.int64)
    x[:10] = digits
    x[T + 9:] = 9
    y = np.zeros((T + 20, n), np.int64)
    y[T + 10:] = digits
    return x, y


def temporal_order(rng: np.random.Generator, n: int, T: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """x (T', n) symbol ids (``TEMPORAL_SYMBOLS``, 0 past each length), classes (n,), lengths (n,)."""
    if T < 10:
        raise ValueError(f"the temporal order problem needs T >= 10, got {T}")
    lengths = _lengths(rng, n, T)
    x = np.zeros((lengths.max(), n), np.int64)
    classes = rng.integers(0, 4, size=n)  # XX, XY, YX, YY: bit 1 the first symbol, bit 0 the second
    for j, L in enumerate(lengths):
        x[1:L - 1, j] = rng.integers(2, 6, size=L - 2)  # a b c d
        x[0, j], x[L - 1, j] = 0, 1  # E ... B
        t1, t2 = rng.integers(T // 10, T // 5 + 1), rng.integers(T // 2, 3 * T // 5 + 1)
        x[t1, j] = 6 + (classes[j] >> 1)
        x[t2, j] = 6 + (classes[j] & 1)
    return x, classes, lengths


# The Reber grammar as a graph: state -> [(symbol, next state)]; state 6 emits E and ends.
_REBER = {0: [("B", 1)], 1: [("T", 2), ("P", 3)], 2: [("S", 2), ("X", 4)], 3: [("T", 3), ("V", 5)],
          4: [("X", 3), ("S", 6)], 5: [("P", 4), ("V", 6)], 6: [("E", None)]}


def _reber_string(rng: np.random.Generator) -> tuple[str, list[set[str]]]:
    """A string of the Reber grammar and, after each of its symbols, the set that may follow."""
    state, out, follow = 0, [], []
    while state is not None:
        symbol, state = _REBER[state][rng.integers(len(_REBER[state]))]
        out.append(symbol)
        follow.append({s for s, _ in _REBER[state]} if state is not None else set())
    return "".join(out), follow


def embedded_reber(rng: np.random.Generator, n: int) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Next-symbol prediction on n embedded Reber strings of symbols ``REBER_SYMBOLS``:
    x (L-1, n) ids of each string but its last symbol, y (L-1, n) the symbols that follow, legal
    (L-1, n, 7) True where a symbol may follow, lengths (n,) = len(string) - 1 (padding: 0, not legal)."""
    strings, legal_sets = [], []
    for _ in range(n):
        wrap = "TP"[rng.integers(2)]
        inner, follow = _reber_string(rng)
        strings.append("B" + wrap + inner + wrap + "E")
        legal_sets.append([{"T", "P"}, {"B"}] + follow[:-1] + [{wrap}, {"E"}])
    lengths = np.array([len(s) - 1 for s in strings])
    x = np.zeros((lengths.max(), n), np.int64)
    y = np.zeros_like(x)
    legal = np.zeros((*x.shape, len(REBER_SYMBOLS)), bool)
    for j, (s, sets) in enumerate(zip(strings, legal_sets)):
        ids = [REBER_SYMBOLS.index(c) for c in s]
        x[:len(s) - 1, j], y[:len(s) - 1, j] = ids[:-1], ids[1:]
        for t, allowed in enumerate(sets):
            legal[t, j, [REBER_SYMBOLS.index(c) for c in allowed]] = True
    return x, y, legal, lengths
