"""``rnnlab predict``: labels of new texts or series from a classifier run (or an ensemble)."""

from __future__ import annotations

from pathlib import Path

from .args import UsageError

__all__ = ["cmd_predict"]


def cmd_predict(args) -> int:
    from ..data.labelled_text import read_table
    from ..data.ts_format import read_ts
    from ..functional import softmax
    from ..runs.members import run_members
    from ..tasks import ClassificationTask, read_run_config, task_class
    from ..tasks.classify import Predictor
    from ..train import load_weights

    predictors = []
    for run in run_members(args.run):
        cfg = read_run_config(run)
        if not issubclass(task_class(cfg.task), ClassificationTask):
            raise ValueError(f"{args.run} is a {cfg.task} run; predict needs a classifier run (--task classify)")
        predictors.append(Predictor(run, cfg, load_weights(run, args.weights)[0]))
    kind = predictors[0].kind
    if bool(args.text) == bool(args.data):
        raise UsageError("give texts to classify, or --data FILE (a table with a text column, or a .ts file)")
    if args.data:
        path = Path(args.data)
        if kind == "series":
            inputs = read_ts(path).series
            shown = [f"case {i}" for i in range(1, len(inputs) + 1)]
        else:
            inputs = shown = read_table(path, need_label=False).texts
    elif kind == "series":
        raise UsageError(f"{args.run} classifies series: give them with --data FILE.ts")
    else:
        inputs = shown = args.text
    logits = ClassificationTask.combine([predictor.logits(inputs) for predictor in predictors])
    p = softmax(logits, axis=1)
    unknown = sum(predictor.unknown for predictor in predictors[:1])
    if unknown:
        import sys

        print(f"note: {unknown} token(s) of the input are not in the run's vocabulary and were read as <unk>",
              file=sys.stderr)
    for k, probability, what in zip(p.argmax(1), p.max(1), shown):
        print(f"{predictors[0].classes[k]}\t{probability:.3f}\t{what}")
    return 0
