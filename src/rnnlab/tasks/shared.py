"""Settings several tasks declare alike: the recurrent stack (``RECURRENT``), the feed-forward families
that can replace it (``FEEDFORWARD``: TCN, Transformer, window MLP), and where named data lives
(``DATA_DIR``); ``check_model`` holds them to each other; ``encoder_for`` builds the family."""

from __future__ import annotations

import numpy as np

from ..train.settings import Setting

__all__ = ["RECURRENT", "EMBED", "FEEDFORWARD", "DATA_DIR", "SIMPLIFIED", "check_model", "encoder_for", "model_name"]

RECURRENT = (
    Setting("cell", "lstm", "cell kind: {cells}"),
    Setting("layers", 2, "recurrent layers (tcn, transformer: blocks; mlp: layers)", int, low=1),
    Setting("hidden", 256, "hidden units per layer (tcn: channels; transformer: width)", int, low=1),
    Setting("dropout", 0.0, "dropout on the non-recurrent connections", float, low=0, high=1, high_open=True),
)
EMBED = Setting("embed", None, "embedding size", int, low=1, shown="--hidden")
FEEDFORWARD = (
    Setting("arch", "rnn", "rnn: a recurrent stack of --cell | tcn | transformer | mlp (over a window of inputs)",
            choices=("rnn", "tcn", "transformer", "mlp")),
    Setting("kernel_size", 7, "tcn: taps of each convolution", int, low=1),
    Setting("window", 16, "mlp: how many of the latest inputs it sees", int, low=1),
    Setting("heads", 4, "transformer: attention heads", int, low=1),
)
SIMPLIFIED = Setting("simplified", False, "map traditional Chinese characters to simplified (OpenCC's t2s tables, "
                     "rnnlab[zh]) in the data and in every new input", bool)
DATA_DIR = Setting("data_dir", None, "where named datasets live", shown="$RNNLAB_DATA, else ~/.cache/rnnlab")


def check_model(cfg, recurrent_only: tuple[str, ...] = ()) -> None:
    """The cell is registered (its name normalised); the feed-forward families' flags go with their
    --arch; ``recurrent_only`` (settings of the recurrent stack) stay at their defaults under another
    --arch. ValueError in one line."""
    from ..nn import cell_kind

    cfg.cell = cell_kind(cfg.cell).name  # ValueError naming the registered kinds
    if not hasattr(cfg, "arch"):
        return
    defaults = {s.name: s.default for s in FEEDFORWARD}
    for name, arch in {"kernel_size": "tcn", "window": "mlp", "heads": "transformer"}.items():
        if getattr(cfg, name) != defaults[name] and cfg.arch != arch:
            raise ValueError(f"--{name.replace('_', '-')} applies to --arch {arch} only (here --arch {cfg.arch})")
    if cfg.arch == "rnn":
        return
    declared = {s.name: s.default for s in cfg.settings}
    changed = [f"--{k.replace('_', '-')}" for k in recurrent_only if getattr(cfg, k) != declared[k]]
    if changed:
        raise ValueError(f"{' and '.join(changed)} appl{'y' if len(changed) > 1 else 'ies'} to --arch rnn only "
                         f"(here --arch {cfg.arch})")
    if cfg.arch == "transformer" and cfg.hidden % cfg.heads:
        raise ValueError(f"--hidden {cfg.hidden} must be a multiple of --heads {cfg.heads}")


def model_name(cfg) -> str:
    """The model's kind in a few words: the cell (a recurrent stack) or the feed-forward family."""
    return cfg.cell if getattr(cfg, "arch", "rnn") == "rnn" else cfg.arch


def encoder_for(cfg, input_size: int, max_len: int):
    """The feed-forward sequence encoder ``cfg.arch`` names (``rnnlab.models.encoders``), None for a
    recurrent stack (``--arch rnn``): ``cfg.layers`` layers of ``cfg.hidden``, positions for ``max_len``
    steps (the Transformer's)."""
    if getattr(cfg, "arch", "rnn") == "rnn":
        return None
    from ..models.encoders import make_encoder

    return make_encoder(cfg.arch, input_size, cfg.hidden, cfg.layers, cfg.dropout, kernel_size=cfg.kernel_size,
                        window=cfg.window, heads=cfg.heads, max_len=max_len, dtype=np.dtype(cfg.dtype), seed=cfg.seed)
