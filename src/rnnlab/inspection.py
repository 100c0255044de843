"""What ``rnnlab inspect`` shows: one input through a run's model, traced (``rnnlab.diagnostics``).

    language model     a text (default: the start of the validation split); the loss is that of the
                       text's last token, so the flow shows how far back its gradient reaches
    long-range task    the first test sequences (up to 100: the flow averages them); the first is the
                       one coloured, its symbols (adding: its values, a marked step in brackets)

``inspect_run`` returns plain lists, ready for the HTML page (``rnnlab.page``), the PNGs and JSON:
tokens (T,), values[quantity][i][t] for the chosen units, flow (lag norms), jacobian (the largest and
smallest singular value of each step's Jacobian), saturation per gate (left, right) per unit, and
parameter_norms: ||dL/dW|| of every parameter (per layer: the names end in _l0, _l1, ...).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from . import diagnostics as dg
from .nn import SoftmaxCrossEntropy

__all__ = ["inspect_run"]


def _language_model(run: Path, text: str | None):
    from .data import load_corpus
    from .tasks import load_task

    cfg, task, _ = load_task(run)
    vocab, model = task.vocab, task.model
    if text is None:
        text = vocab.decode(vocab.encode(load_corpus(cfg.data, cfg.data_dir).tokens("valid")[:200]))
    tokens = vocab.tokenize(text)
    if len(tokens) < 2:
        raise ValueError(f"--text needs at least two {vocab.kind}s (the network reads all but the last and "
                         f"predicts each next one), got {len(tokens)}")
    try:
        ids = vocab.encode(tokens)  # unknown tokens: <unk> if the vocabulary has it, else an error
    except ValueError as e:
        raise ValueError(f"--text: {e}") from None
    x, y = ids[:-1, None], ids[1:, None]
    mask = np.zeros(y.shape)
    mask[-1] = 1  # the last token's loss alone
    ce = SoftmaxCrossEntropy()

    def run_batch():
        logits, _ = model(x)
        ce(logits, y, mask)
        model.backward(ce.backward())

    shown = [vocab.itos[i] if vocab.kind == "char" else vocab.itos[i] + " " for i in ids[:-1]]
    return model, run_batch, shown, f"{len(ids) - 1} {vocab.kind}s of text; the loss is the last {vocab.kind}'s"


def _long_range(run: Path):
    from .data import longrange as lr
    from .tasks import load_task

    _, task, _ = load_task(run)
    b = task.first("test", 100)
    x0 = b["x"][:b["lengths"][0], 0]
    if task.problem == "adding":
        shown = [f"[{v:.2f}] " if m == 1 else f"{v:.2f} " for v, m in x0]
    else:
        alphabet = {"copy": "_12345678:", "temporal-order": lr.TEMPORAL_SYMBOLS, "reber": lr.REBER_SYMBOLS}
        shown = [alphabet[task.problem][i] for i in x0]
    return (task.model, lambda: task.forward_backward(b), shown,
            f"{task.about()}; the first of {len(b['lengths'])} test sequences shown, the flow averaged over all")


def inspect_run(run: str | Path, text: str | None = None, units: list[int] | None = None, top: int = 8) -> dict:
    """Trace ``run`` on its input; ``units`` (default: the ``top`` units whose hidden state varies most
    over the shown sequence) are the ones whose activations are kept."""
    from .train.config import read_run_config

    run = Path(run)
    cfg = read_run_config(run)
    if cfg.task == "lm":
        model, run_batch, shown, about = _language_model(run, text)
    elif cfg.task in ("adding", "copy", "temporal-order", "reber"):
        if text is not None:
            raise ValueError(f"--text is for language-model runs; {run} is a {cfg.task} run (it shows its test "
                             f"sequences)")
        model, run_batch, shown, about = _long_range(run)
    else:
        raise ValueError(f"{run} is a {cfg.task} run; inspect reads language-model and long-range runs")
    tr = dg.trace(model, run_batch)
    T, H = len(shown), tr.W_hh.shape[1]
    h = tr.S[0][1:T + 1, 0]  # (T, H) of the first sequence
    if units is None:
        units = sorted(np.argsort(-h.std(axis=0), kind="stable")[:top].tolist())
    bad = [u for u in units if not 0 <= u < H]
    if bad:
        raise ValueError(f"--units {bad[0]} is not a unit of this layer (0..{H - 1})")
    values = {"hidden state h": h}
    signed = {"hidden state h": True}
    if tr.kernel.n_states == 2:
        values["tanh(cell c)"], signed["tanh(cell c)"] = np.tanh(tr.S[1][1:T + 1, 0]), True
    if "act" in tr.ws:
        for g, name in enumerate(dg.GATES[tr.cell]):
            if name != "cell" and name != "new":
                values[f"{name} gate"], signed[f"{name} gate"] = tr.ws["act"][:T, g, 0], False
    sv = dg.singular_values(tr, 0)
    return {"run": str(run), "cell": tr.cell, "about": about, "tokens": shown, "units": units,
            "values": {q: [v[:, u].tolist() for u in units] for q, v in values.items()}, "signed": signed,
            "flow": {"||dL/dh_t||": dg.lag_norms(tr).tolist()},
            "jacobian": {"largest": sv[:, 0].tolist(), "smallest": sv[:, -1].tolist()},
            "saturation": {g: (left.tolist(), right.tolist()) for g, (left, right) in dg.gate_saturation(tr).items()},
            "parameter_norms": dg.parameter_norms(model)}
