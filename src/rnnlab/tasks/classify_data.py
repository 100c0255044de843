"""The data of a classification run (``--data``), split as ``classify`` describes: named sets, tables,
.ts files, folders of tables; stratified 80/10/10 or K folds."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from ..data import resolve_data_dir
from ..data.files import split_tables
from ..data.labelled_text import (LabelledText, load_sentiment, load_zh_sentiment, read_table, stratified_folds,
                                  stratified_split)
from ..data.ts_format import SeriesSet, read_ts

__all__ = ["NAMED_SETS", "SPLITS", "load_splits"]

NAMED_SETS = ("sentiment", "zh-sentiment", "japanese-vowels")
SPLITS = ("train", "valid", "test")


def _series_file(path: Path, split: str) -> Path | None:
    name = path.name.replace("TRAIN", split.upper())
    return path.with_name(name) if (path.with_name(name)).is_file() else None


def load_splits(cfg) -> tuple[str, dict[str, LabelledText | SeriesSet]]:
    """("text" | "series", {split: examples})."""
    root = resolve_data_dir(cfg.data_dir)
    name, path = cfg.data, Path(cfg.data).expanduser()
    if name == "sentiment":
        return "text", _split(load_sentiment(root), cfg)
    if name == "zh-sentiment":
        return "text", _split(load_zh_sentiment(root), cfg)
    if name == "japanese-vowels" or path.name.split(".")[-2:-1] == ["ts"] or path.suffix == ".ts":
        if name == "japanese-vowels":
            folder = root / "uea"
            path = next((folder / f"JapaneseVowels_TRAIN.ts{e}" for e in (".gz", "")
                         if (folder / f"JapaneseVowels_TRAIN.ts{e}").is_file()), folder / "JapaneseVowels_TRAIN.ts.gz")
            if not path.is_file():
                raise FileNotFoundError(f"japanese-vowels needs {folder}/JapaneseVowels_{{TRAIN,TEST}}.ts[.gz]; fetch "
                                        f"them with `rnnlab data download japanese-vowels` or pass --data-dir")
        train = read_ts(path)
        test_path = _series_file(path, "test") if "TRAIN" in path.name else None
        if test_path is None:
            return "series", _split(train, cfg)
        if cfg.folds:
            raise ValueError(f"{name} has its own test split; --folds is for data without one")
        parts = _split(train, cfg, (0.9, 0.1))
        return "series", parts | {"test": read_ts(test_path)}
    if path.is_dir():
        found = split_tables(path)
        if cfg.folds:
            raise ValueError(f"{path} has its own splits; --folds is for data without them")
        return "text", {s: read_table(p) for s, p in found.items() if p is not None}
    if path.is_file():
        return "text", _split(read_table(path), cfg)
    raise FileNotFoundError(f"no such dataset, file or folder: {name} (--task classify takes "
                            f"{' | '.join(NAMED_SETS)}, a .tsv/.csv table, a .ts file or a folder of tables)")


def _split(data, cfg, fractions=(0.8, 0.1, 0.1)) -> dict:
    """{split: examples}: stratified by ``fractions``; with --folds K, fold --fold is the test split and
    the other folds are divided 8:1 into train and valid, again by class; drawn from --split-seed,
    else --seed."""
    seed = cfg.seed if cfg.split_seed is None else cfg.split_seed
    if cfg.folds:
        folds = stratified_folds(data.labels, cfg.folds, seed)
        test = folds[cfg.fold - 1]
        rest = np.sort(np.concatenate([f for i, f in enumerate(folds) if i != cfg.fold - 1]))
        train, valid = stratified_split([data.labels[i] for i in rest], seed, (8 / 9, 1 / 9))
        parts = (rest[train], rest[valid], test)
    else:
        parts = stratified_split(data.labels, seed, fractions)
    out = {}
    for split, idx in zip(SPLITS, parts):
        if isinstance(data, SeriesSet):
            out[split] = SeriesSet(data.name, [data.series[i] for i in idx], [data.labels[i] for i in idx], data.classes)
        else:
            out[split] = LabelledText(data.name, [data.texts[i] for i in idx], [data.labels[i] for i in idx])
    return out
