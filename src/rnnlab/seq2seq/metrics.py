"""How close outputs are to their references.

    edit distance     Levenshtein: insertions, deletions and substitutions of tokens, each 1
    WER               the fraction of sources whose output equals none of its references (word error rate
                      in grapheme-to-phoneme work, where a source is a word)
    PER               sum over sources of the edit distance to the closest reference, over the sum of that
                      reference's length (phone error rate)
    exact             1 - WER
    token accuracy    sum over sources of the positions where output and first reference agree, over the
                      sum of the longer one's length (a missing or extra token counts as wrong)
    BLEU, chrF        of natural text (``text_scores``): corpus BLEU (Papineni et al. 2002) and chrF
                      (Popovic 2015) by sacrebleu, the standard implementation, against every reference of
                      each source; its ``zh`` tokeniser for Chinese output, ``13a`` for other text,
                      compared lower-cased (rnnlab reads English lower-cased)
"""

from __future__ import annotations

__all__ = ["edit_distance", "sequence_scores", "text_scores"]


def edit_distance(a: list, b: list) -> int:
    row = list(range(len(b) + 1))
    for i, x in enumerate(a, 1):
        prev, row[0] = row[0], i
        for j, y in enumerate(b, 1):
            prev, row[j] = row[j], min(row[j] + 1, row[j - 1] + 1, prev + (x != y))
    return row[-1]


def sequence_scores(outputs: list[list], references: list[list[list]]) -> dict[str, float]:
    """wer, per, exact, token_accuracy and n of ``outputs`` against each source's ``references``."""
    if len(outputs) != len(references) or not outputs:
        raise ValueError(f"{len(outputs)} outputs for {len(references)} sources")
    wrong = edits = length = agree = span = 0
    for out, refs in zip(outputs, references):
        wrong += out not in refs
        d, ref = min(((edit_distance(out, r), r) for r in refs), key=lambda t: (t[0], len(t[1])))
        edits, length = edits + d, length + len(ref)
        first = refs[0]
        agree += sum(x == y for x, y in zip(out, first))
        span += max(len(out), len(first))
    n = len(outputs)
    return {"wer": wrong / n, "per": edits / max(length, 1), "exact": 1 - wrong / n,
            "token_accuracy": agree / max(span, 1), "n": n}


def text_scores(outputs: list[str], references: list[list[str]], chinese: bool) -> dict[str, float]:
    """bleu and chrf (0-100) of ``outputs`` (one text a source) against each source's ``references``
    (one or more texts); ``chinese``: the output language is Chinese."""
    import sacrebleu

    if len(outputs) != len(references) or not outputs:
        raise ValueError(f"{len(outputs)} outputs for {len(references)} sources")
    most = max(len(r) for r in references)
    streams = [[r[k] if k < len(r) else None for r in references] for k in range(most)]  # None: no k-th reference
    bleu = sacrebleu.corpus_bleu(outputs, streams, tokenize="zh" if chinese else "13a", lowercase=True)
    chrf = sacrebleu.corpus_chrf(outputs, streams)
    return {"bleu": float(bleu.score), "chrf": float(chrf.score)}
