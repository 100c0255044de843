"""``rnnlab sample``: text from a language-model run."""

from __future__ import annotations

from .args import UsageError

__all__ = ["cmd_sample"]


def cmd_sample(args) -> int:
    from ..models.generate import check_sampling_args, sample
    from ..tasks import load_run

    try:
        check_sampling_args(args.length, args.temperature, args.top_k, args.top_p)
    except ValueError as e:
        raise UsageError(str(e)) from e
    _, vocab, model, _ = load_run(args.run, args.weights)
    print(sample(model, vocab, args.prime, args.length, args.temperature, args.top_k, args.top_p, args.seed))
    return 0
