"""One small, fully specified language-model training run, for tests/test_lm_unchanged.py and
scripts/make_lm_fixture.py: float64 on the NumPy reference backend, dropout (so the random streams
matter), periodic validation and checkpoints, a stop by --max-steps."""

from __future__ import annotations

import json
from pathlib import Path

from rnnlab.backends import use_backend
from rnnlab.tasks import make_trainer
from rnnlab.tasks import resolve_config
from rnnlab.train import load_checkpoint

TEXT = "".join(f"a {w} saw the {v} at {i % 5}\n" for i, (w, v) in enumerate(zip(["cat", "dog"] * 80, ["owl", "fox", "elk"] * 54)))
FLAGS = dict(dtype="float64", cell="lstm", layers=2, hidden=12, dropout=0.2, seq_len=7, batch_size=3,
             optimizer="adam", lr=0.01, clip=1.0, max_steps=14, eval_every=5, checkpoint_every=4, log_every=3, seed=7)
FIXTURE = Path(__file__).resolve().parent / "fixtures" / "lm_run"


def run(folder: Path) -> tuple[list[dict], dict, dict]:
    """Train into ``folder``: (metrics rows without tokens_per_s, checkpoint arrays, checkpoint metadata)."""
    folder.mkdir(parents=True, exist_ok=True)
    corpus = folder / "corpus.txt"
    corpus.write_text(TEXT)
    with use_backend("numpy"):
        trainer = make_trainer(resolve_config(flags=FLAGS | {"data": str(corpus)}), folder / "run", progress=False,
                          log=lambda msg: None)
        trainer.run()
    rows = [{k: v for k, v in json.loads(line).items() if k != "tokens_per_s"}
            for line in (folder / "run" / "metrics.jsonl").read_text().splitlines()]
    arrays, meta = load_checkpoint(folder / "run" / "checkpoint.safetensors")
    return rows, arrays, meta
