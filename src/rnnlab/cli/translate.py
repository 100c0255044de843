"""``rnnlab translate``: decode texts with a seq2seq run."""

from __future__ import annotations

import sys

from .args import UsageError

__all__ = ["cmd_translate"]


def cmd_translate(args) -> int:
    """Decode texts with a seq2seq run (an ensemble's members together); --attention-plot draws the
    first one's attention weights (the first member's)."""
    from ..runs.members import load_members
    from ..seq2seq.decode import attention_weights
    from ..seq2seq.ensemble import Ensemble
    from ..tasks import Seq2SeqTask

    from .args import check_png

    check_png("--attention-plot", args.attention_plot)
    if not args.text:
        raise UsageError("give texts to translate: rnnlab translate RUN TEXT...")
    members = load_members(args.run, args.weights)
    task, cfg = members[0], members[0].cfg
    if not isinstance(task, Seq2SeqTask):
        raise ValueError(f"{args.run} is a {cfg.task} run; translate needs a seq2seq run (--task seq2seq)")
    sources = [task.split_source(t) for t in args.text]
    if cfg.reverse_source:
        sources = [s[::-1] for s in sources]
    unknown = sum(t not in task.source_vocab.stoi for s in sources for t in s)
    if unknown:
        print(f"note: {unknown} source token(s) are not in the run's vocabulary and were read as <unk>",
              file=sys.stderr)
    ids = task.encode_sources(sources)
    outputs = task.decode(ids, args.beam, Ensemble([m.model for m in members]) if len(members) > 1 else None)
    for text, out in zip(args.text, outputs):
        print(f"{text}\t{task.join(out)}")
    if args.attention_plot:
        from ..plot import plot_attention

        out_ids = [task.target_vocab.stoi[t] for t in outputs[0]] + [task.eos]
        weights = attention_weights(task.model, ids[0][:, None], [len(ids[0])], out_ids, task.bos)
        plot_attention(args.attention_plot, weights, sources[0], outputs[0] + ["<eos>"])
        print(f"attention weights of the first input: {args.attention_plot}", file=sys.stderr)
    return 0
