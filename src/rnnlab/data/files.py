"""Reading data files: text (UTF-8, optionally gzipped), rows of a TSV or CSV table, and a folder's
train/valid/test tables. Every reader names the file and what was expected when it cannot."""

from __future__ import annotations

import csv
import gzip
import io
from pathlib import Path

__all__ = ["read_text", "read_rows", "split_tables"]

TABLE_SUFFIXES = (".tsv", ".csv", ".tsv.gz", ".csv.gz")


def read_text(path: str | Path) -> str:
    """UTF-8 text of a file (gzip if it ends in .gz; a leading byte-order mark dropped), with a clear
    error if it is missing, binary or empty."""
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"no such file: {path}")
    try:
        raw = gzip.decompress(path.read_bytes()) if path.suffix == ".gz" else path.read_bytes()
    except (OSError, EOFError) as e:
        raise ValueError(f"{path} is not a readable gzip file: {e}") from e
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as e:
        raise ValueError(f"{path} is not UTF-8 text (byte {e.start} is invalid); expected a text file") from e
    if "\x00" in text:
        raise ValueError(f"{path} looks binary (it holds NUL bytes); expected a text file")
    if not text.strip():
        raise ValueError(f"{path} is empty; expected some text")
    return text


def read_rows(path: str | Path) -> list[list[str]]:
    """The rows of a table: tab-separated if the name ends in .tsv[.gz], else comma-separated."""
    path = Path(path)
    stem = path.name[:-3] if path.name.endswith(".gz") else path.name
    return list(csv.reader(io.StringIO(read_text(path), newline=""), delimiter="\t" if stem.endswith(".tsv") else ","))


def split_tables(folder: Path) -> dict[str, Path | None]:
    """{train, valid, test: the folder's table of that name (train.tsv, train.csv, ... .gz), or None};
    FileNotFoundError unless train and valid are there."""
    found = {s: next((folder / f"{s}{e}" for e in TABLE_SUFFIXES if (folder / f"{s}{e}").is_file()), None)
             for s in ("train", "valid", "test")}
    if found["train"] is None or found["valid"] is None:
        raise FileNotFoundError(f"folder {folder} must hold train and valid tables (train.tsv or train.csv, ...)")
    return found
