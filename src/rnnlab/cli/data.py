"""``rnnlab data``: list the datasets and where they are, or download one."""

from __future__ import annotations

from .args import UsageError

__all__ = ["cmd_data"]


def cmd_data(args) -> int:
    from ..data.corpora import load_corpus, resolve_data_dir

    if args.action == "list":
        root = resolve_data_dir(args.data_dir)
        print(f"data directory: {root}")
        for name in ("default", "ptb-word", "ptb-char", "shakespeare"):
            try:
                c = load_corpus(name, root)
                sizes = ", ".join(f"{s} {len(t):,} tokens" if t is not None else f"{s} missing" for s, t in c.splits.items())
                print(f"  {name:<15} {len(c.vocab):>6} {c.vocab.kind}s   {sizes}")
            except (FileNotFoundError, ValueError) as e:
                print(f"  {name:<15} not available: {e}")
        from ..data.labelled_text import load_sentiment, load_zh_sentiment
        from ..data.ts_format import read_ts

        for name, load in (("sentiment", load_sentiment), ("zh-sentiment", load_zh_sentiment)):
            try:
                s = load(root)
                print(f"  {name:<15} {len(s.texts):,} texts, classes {', '.join(s.classes)} (classify)")
            except (FileNotFoundError, ValueError) as e:
                print(f"  {name:<15} not available: {e}")
        jv = [root / "uea" / f"JapaneseVowels_{p}.ts{e}" for p in ("TRAIN", "TEST") for e in (".gz", "")]
        found = [p for p in jv if p.is_file()]
        if len(found) >= 2:
            sizes = [len(read_ts(p).series) for p in found[:2]]
            print(f"  {'japanese-vowels':<15} {sizes[0]} train, {sizes[1]} test series (classify)")
        else:
            print(f"  {'japanese-vowels':<15} not available: needs {root / 'uea'}/JapaneseVowels_{{TRAIN,TEST}}.ts[.gz]")
        from ..data.pairs import load_cmn_eng, load_cmudict

        for name, load, unit, what in (("cmn-eng", load_cmn_eng, "", "English sentences (seq2seq: --direction en-zh or "
                                                                   "zh-en)"),
                                       ("cmudict", load_cmudict, " words", "(seq2seq: spelling to phones)")):
            try:
                sizes = ", ".join(f"{k} {len(p):,}{unit}" for k, p in load(root).items())
                print(f"  {name:<15} {sizes} {what}")
            except (FileNotFoundError, ValueError) as e:
                print(f"  {name:<15} not available: {e}")
        print(f"  {'dates':<15} generated: 20,000 / 1,000 / 1,000 human-written dates to ISO 8601 (seq2seq)")
        print(f"  {'addition':<15} generated: 45,000 / 5,000 / 5,000 sums of 1-3 digit numbers (seq2seq)")
        from ..data.series import NAMED_SERIES, named_series

        for name, (_, freq, season, horizon, what) in NAMED_SERIES.items():
            try:
                series = named_series(name, root)
                size = f"{len(series)} series" if len(series) > 1 else f"{len(series[0].values)} points"
                print(f"  {name:<15} {size}, {freq}, season {season}, horizon {horizon}: {what} (forecast)")
            except (FileNotFoundError, ValueError) as e:
                print(f"  {name:<15} not available: {e}")
        return 0
    from ..data.download import SOURCES, download

    if args.name not in SOURCES:
        raise UsageError(f"data download needs a dataset name: {' or '.join(SOURCES)}, got {args.name!r}")
    download(args.name, resolve_data_dir(args.data_dir))
    return 0
