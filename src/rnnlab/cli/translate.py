"""``rnnlab translate``: decode texts with a seq2seq run: given on the command line, one a line of a
file (``--data``) or of standard input (``-``); a table with source and target columns also prints
BLEU and chrF (natural text) or WER (the others) of the translations against its targets."""

from __future__ import annotations

import sys
from pathlib import Path

from .args import UsageError

__all__ = ["cmd_translate"]


def _inputs(args) -> tuple[list[str], list[list[str]] | None]:
    """(source texts, each one's reference texts or None) from the arguments."""
    from ..data.files import TABLE_SUFFIXES, read_rows, read_text

    if args.data and args.text:
        raise UsageError("give texts to translate or --data FILE, not both")
    if args.text == ["-"]:
        return [line.strip() for line in sys.stdin if line.strip()], None
    if not args.data:
        if not args.text:
            raise UsageError("give texts to translate: rnnlab translate RUN TEXT..., --data FILE, or - to read "
                             "standard input")
        return args.text, None
    path = Path(args.data)
    if not path.is_file():
        raise FileNotFoundError(f"--data {path}: no such file")
    if not path.name.endswith(TABLE_SUFFIXES):
        texts = [line.strip() for line in read_text(path).splitlines() if line.strip()]
        if not texts:
            raise ValueError(f"--data {path} has no text to translate (one source a line)")
        return texts, None
    rows = read_rows(path)
    names = [h.strip().lower() for h in rows[0]] if rows else []
    if "source" not in names:
        raise ValueError(f"--data {path} has no 'source' column (its header: {', '.join(names) or 'none'}); expected "
                         f"a source column, and a target column to be scored against")
    s, t = names.index("source"), names.index("target") if "target" in names else None
    grouped: dict[str, list[str]] = {}
    for row in rows[1:]:
        if len(row) > s and row[s].strip():
            refs = grouped.setdefault(row[s].strip(), [])
            if t is not None and len(row) > t and row[t].strip():
                refs.append(row[t].strip())
    if not grouped:
        raise ValueError(f"--data {path} has a header but no rows")
    return list(grouped), list(grouped.values()) if t is not None else None


def cmd_translate(args) -> int:
    """Decode texts with a seq2seq run (an ensemble's members together); --attention-plot draws the
    first one's attention weights (the first member's)."""
    from ..runs.members import load_members
    from ..seq2seq.decode import attention_weights
    from ..seq2seq.ensemble import Ensemble
    from ..seq2seq.metrics import sequence_scores, text_scores
    from ..tasks import Seq2SeqTask

    from .args import check_png

    check_png("--attention-plot", args.attention_plot)
    texts, references = _inputs(args)
    members = load_members(args.run, args.weights)
    task, cfg = members[0], members[0].cfg
    if not isinstance(task, Seq2SeqTask):
        raise ValueError(f"{args.run} is a {cfg.task} run; translate needs a seq2seq run (--task seq2seq)")
    sources = [task.split_source(t) for t in texts]
    if cfg.reverse_source:
        sources = [s[::-1] for s in sources]
    unknown = sum(t not in task.source_vocab.stoi for s in sources for t in s)
    if unknown:
        print(f"note: {unknown} source token(s) are not in the run's vocabulary and were read as <unk>",
              file=sys.stderr)
    ids = task.encode_sources(sources)
    outputs = task.decode(ids, args.beam, Ensemble([m.model for m in members]) if len(members) > 1 else None)
    for text, out in zip(texts, outputs):
        print(f"{text}\t{task.join(out)}")
    if references is not None:
        beam = f"beam {args.beam or cfg.beam}" if (args.beam or cfg.beam) > 1 else "greedy"
        if task.natural:  # the references read as the run reads its targets, so both are measured alike
            refs = [[task.join(task.split_target(r)) for r in rs] for rs in references]
            scores = text_scores([task.join(o) for o in outputs], refs, task.chinese)
            print(f"{args.data} ({beam}): BLEU {scores['bleu']:.2f}, chrF {scores['chrf']:.2f} over {len(texts):,} "
                  f"sources", file=sys.stderr)
        else:
            scores = sequence_scores(outputs, [[task.split_target(r) for r in rs] for rs in references])
            print(f"{args.data} ({beam}): WER {scores['wer']:.2%}, PER {scores['per']:.2%} over {len(texts):,} "
                  f"sources", file=sys.stderr)
    if args.attention_plot:
        from ..plot import plot_attention

        out_ids = [task.target_vocab.stoi[t] for t in outputs[0]] + [task.eos]
        weights = attention_weights(task.model, ids[0][:, None], [len(ids[0])], out_ids, task.bos)
        plot_attention(args.attention_plot, weights, sources[0], outputs[0] + ["<eos>"])
        print(f"attention weights of the first input: {args.attention_plot}", file=sys.stderr)
    return 0
