"""Multichannel series for classification, from the sktime/UEA ``.ts`` format.

    # comments
    @problemName JapaneseVowels
    @univariate false          @dimensions 12          @equalLength false
    @timeStamps false          @missing false          @classLabel true 1 2 3 4 5 6 7 8 9
    @data
    v,v,...,v:v,v,...,v:...:label        one case a line: D channels separated by ':', each a
                                          comma-separated series ('?' missing), then the class label

Each case becomes an array (T_i, D), T_i the length of its channels (variable across cases, equal
within one). ``Standardizer`` scales each channel by the mean and standard deviation of the training
split only.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np

from .files import read_text

__all__ = ["SeriesSet", "read_ts", "Standardizer"]


@dataclass
class SeriesSet:
    name: str
    series: list[np.ndarray]  # (T_i, D) float64 each
    labels: list[str]
    classes: tuple[str, ...]  # as declared by @classLabel, in that order

    @property
    def channels(self) -> int:
        return self.series[0].shape[1]


def read_ts(path: str | Path) -> SeriesSet:
    """The cases of a classification ``.ts`` file; ValueError naming the line for anything malformed."""
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"no such file: {path}")
    header: dict[str, str] = {}
    series, labels = [], []
    in_data = False
    for number, line in enumerate(read_text(path).splitlines(), 1):
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        where = f"{path}:{number}"
        if not in_data:
            if not line.startswith("@"):
                raise ValueError(f"{where}: expected a @keyword header line before @data, got {line[:40]!r}")
            key, _, value = line[1:].partition(" ")
            key = key.lower()
            if key == "data":
                in_data = True
            else:
                header[key] = value.strip()
            continue
        *channels, label = line.split(":")
        if header.get("timestamps", "false").lower() == "true":
            raise ValueError(f"{path}: series with time stamps are not supported")
        if not channels:
            raise ValueError(f"{where}: expected channels separated by ':' and a class label")
        try:
            values = [[float("nan") if v.strip() == "?" else float(v) for v in ch.split(",")] for ch in channels]
        except ValueError as e:
            raise ValueError(f"{where}: not a number: {e}") from e
        if len({len(v) for v in values}) != 1:
            raise ValueError(f"{where}: the channels of a case must have one length, got "
                             f"{sorted({len(v) for v in values})}")
        if series and len(values) != series[0].shape[1]:
            raise ValueError(f"{where}: {len(values)} channels, but the first case has {series[0].shape[1]}")
        series.append(np.array(values, dtype=np.float64).T)
        labels.append(label.strip())
    if not in_data or not series:
        raise ValueError(f"{path} holds no cases (no @data section, or nothing after it)")
    declared = header.get("dimensions")
    if declared is not None and int(declared) != series[0].shape[1]:
        raise ValueError(f"{path}: @dimensions says {declared} channels, the cases have {series[0].shape[1]}")
    words = header.get("classlabel", "").split()
    if not words or words[0].lower() != "true":
        raise ValueError(f"{path}: not a classification file (@classLabel true ... is missing)")
    classes = tuple(words[1:]) or tuple(sorted(set(labels)))
    unknown = sorted(set(labels) - set(classes))
    if unknown:
        raise ValueError(f"{path}: labels {unknown} are not among the declared classes {list(classes)}")
    return SeriesSet(header.get("problemname", path.stem), series, labels, classes)


class Standardizer:
    """x -> (x - mean) / std per channel, the statistics over every time step of the cases it was fit on."""

    def __init__(self, series: list[np.ndarray]) -> None:
        steps = np.concatenate(series, axis=0)  # (sum T_i, D)
        self.mean = np.nanmean(steps, axis=0)
        std = np.nanstd(steps, axis=0)
        self.std = np.where(std > 0, std, 1.0)  # a constant channel stays as it is, centred

    def __call__(self, series: list[np.ndarray]) -> list[np.ndarray]:
        return [(s - self.mean) / self.std for s in series]
