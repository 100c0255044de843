"""``retrain``: train a run that derives from another (a forecaster's refit) into its folder, replacing
a former one only when the new one has finished."""

from __future__ import annotations

import shutil
from pathlib import Path

__all__ = ["retrain"]


def retrain(cfg, folder: Path, log=None):
    """The trainer of ``cfg`` run into ``folder``; where ``folder`` holds a run already, the new one
    trains in FOLDER.new and replaces it once finished. None when Ctrl-C stopped it (the former one
    kept)."""
    from ..tasks import make_trainer

    old = Path(folder)
    new = old.with_name(old.name + ".new") if old.exists() else old
    shutil.rmtree(old.with_name(old.name + ".new"), ignore_errors=True)
    trainer = make_trainer(cfg, new, log=log)
    if trainer.run()["reason"] == "interrupted":
        if new != old:
            shutil.rmtree(new)
            if log:
                log(f"{old} still holds the run made before")
        return None
    if new != old:
        shutil.rmtree(old)
        new.rename(old)
        trainer.out = old
    return trainer
