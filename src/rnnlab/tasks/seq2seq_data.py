"""The data of a seq2seq run (``--data``): named pair sets, tables, folders of tables, each split's
(source, references) token sequences as the run reads them (``token_kinds``), traditional Chinese
characters mapped to simplified with ``--simplified``."""

from __future__ import annotations

from pathlib import Path

from ..data.corpora import resolve_data_dir
from ..data.files import split_tables
from ..data.pairs import (NAMED_PAIRS, Pairs, load_cmn_eng, load_cmudict, make_addition, make_dates, read_pairs,
                          split_by_hash)
from ..data.text import simplified

__all__ = ["load_pairs", "token_kinds"]


def load_pairs(cfg) -> dict[str, Pairs]:
    """The splits of --data, traditional Chinese characters mapped to simplified with --simplified."""
    pairs = _load_pairs(cfg)
    if cfg.simplified:
        for split in pairs.values():
            split.sources = [[simplified(t) for t in s] for s in split.sources]
            split.references = [[[simplified(t) for t in r] for r in refs] for refs in split.references]
    return pairs


def _load_pairs(cfg) -> dict[str, Pairs]:
    name, path = cfg.data, Path(cfg.data).expanduser()
    if name == "cmn-eng":
        return load_cmn_eng(resolve_data_dir(cfg.data_dir), cfg.direction, cfg.source_tokens, cfg.target_tokens)
    if name == "cmudict":
        return load_cmudict(resolve_data_dir(cfg.data_dir))
    if name == "dates":
        return make_dates(seed=0)
    if name == "addition":
        return make_addition(seed=0, reverse=cfg.reverse_source)
    if path.is_dir():
        return {s: read_pairs(p, *token_kinds(cfg)) for s, p in split_tables(path).items() if p is not None}
    if path.is_file():
        return split_by_hash(read_pairs(path, *token_kinds(cfg)))
    raise FileNotFoundError(f"no such dataset, file or folder: {name} (--task seq2seq takes {' | '.join(NAMED_PAIRS)}, "
                            f"a .tsv/.csv table with source and target columns, or a folder of them)")


def token_kinds(cfg) -> tuple[str, str]:
    """How the source and the target are read: the settings, else by the data (cmn-eng: English words,
    Chinese characters; cmudict: characters to phones; the rest: characters)."""
    english_first = cfg.direction == "en-zh"
    default = {"cmn-eng": ("word", "char") if english_first else ("char", "word"),
               "cmudict": ("char", "space")}.get(cfg.data, ("char", "char"))
    return cfg.source_tokens or default[0], cfg.target_tokens or default[1]
