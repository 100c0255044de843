"""Checkpoints: one safetensors file holding the arrays (model weights under ``model.``, optimiser
state under ``optim.``, the carried recurrent state under ``carry.``) and, in its metadata, a JSON
document with everything else (format version, step, data position, RNG states, best valid loss).

One file means one atomic rename: the file is written to a temporary name in the same folder,
flushed to disk, then renamed into place, so a kill at any instant leaves the previous checkpoint whole.
With ``keep_previous`` the checkpoint being replaced stays as ``<name>.prev`` (a hard link made before
the rename), a fallback if the newest one is ever found damaged.
Loading never executes code (no pickle) and checks the format version.
"""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path

import numpy as np
from safetensors import SafetensorError, safe_open
from safetensors.numpy import load_file, save

from .run_folder import RunFolder

__all__ = ["FORMAT_VERSION", "save_checkpoint", "load_checkpoint", "load_checkpoint_or_previous", "load_weights",
           "atomic_write_bytes"]

FORMAT_VERSION = 1


def atomic_write_bytes(path: Path, data: bytes) -> None:
    path = Path(path)
    tmp = path.with_name(f".{path.name}.tmp-{os.getpid()}")
    with open(tmp, "wb") as f:
        f.write(data)
        f.flush()
        os.fsync(f.fileno())
    os.replace(tmp, path)


def previous_path(path: Path) -> Path:
    return Path(path).with_name(Path(path).name + ".prev")


def save_checkpoint(path: Path, arrays: dict[str, np.ndarray], meta: dict, keep_previous: bool = False) -> None:
    path = Path(path)
    meta = {"format_version": FORMAT_VERSION} | meta
    data = save({k: np.ascontiguousarray(v) for k, v in arrays.items()}, metadata={"rnnlab": json.dumps(meta)})
    if keep_previous and path.is_file():
        prev, link = previous_path(path), path.with_name(f".{path.name}.link-{os.getpid()}")
        if link.exists():
            link.unlink()
        try:
            os.link(path, link)
        except OSError:  # a file system without hard links: copy instead
            shutil.copyfile(path, link)
        os.replace(link, prev)
    atomic_write_bytes(path, data)


def load_checkpoint(path: Path, arrays: bool = True) -> tuple[dict[str, np.ndarray], dict]:
    """(arrays, metadata) of an rnnlab checkpoint; with ``arrays`` False only the metadata is read."""
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"no checkpoint at {path}")
    try:
        with safe_open(str(path), framework="numpy") as f:
            raw = (f.metadata() or {}).get("rnnlab")
        tensors = load_file(str(path)) if arrays else {}
    except (SafetensorError, OSError, ValueError) as e:
        raise ValueError(f"{path} is not a readable checkpoint (truncated or corrupt?): {e}") from e
    if raw is None:
        raise ValueError(f"{path} is a safetensors file but not an rnnlab checkpoint")
    try:
        meta = json.loads(raw)
    except json.JSONDecodeError as e:
        raise ValueError(f"{path} has corrupt metadata: {e}") from e
    version = meta.get("format_version")
    if not isinstance(version, int) or version > FORMAT_VERSION:
        raise ValueError(f"{path} was written by a newer rnnlab (checkpoint format {version}); this one reads "
                         f"format {FORMAT_VERSION} or older: upgrade rnnlab")
    return tensors, meta


def load_weights(run: Path, which: str = "best") -> tuple[dict[str, np.ndarray], dict]:
    """(the model's weights by name, the checkpoint's metadata) of a run folder: "best" from
    best.safetensors, "last" from the latest checkpoint. A run with no best weights (stopped before its
    first validation) is a FileNotFoundError that says so."""
    folder = RunFolder(run)
    if which == "best" and not folder.best.is_file():
        if not folder.checkpoint.is_file():
            raise FileNotFoundError(f"no checkpoint at {folder.checkpoint}")
        raise FileNotFoundError(f"{folder.path} has no best weights (it stopped before its first validation); use "
                                f"its last checkpoint with --weights last, or train on: rnnlab train --resume "
                                f"{folder.path}")
    arrays, meta = load_checkpoint(folder.best if which == "best" else folder.checkpoint)
    return {k[6:]: v for k, v in arrays.items() if k.startswith("model.")}, meta


def load_checkpoint_or_previous(path: Path, warn=None) -> tuple[dict[str, np.ndarray], dict]:
    """``load_checkpoint(path)``; if that file is damaged and ``<path>.prev`` is whole, that one."""
    try:
        return load_checkpoint(path)
    except (ValueError, FileNotFoundError) as e:
        prev = previous_path(path)
        if not prev.is_file():
            raise
        arrays, meta = load_checkpoint(prev)
        if warn:
            warn(f"warning: {e}; using the previous checkpoint ({prev.name}, step {meta.get('step')})")
        return arrays, meta
