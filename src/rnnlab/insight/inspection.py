"""What ``rnnlab inspect`` shows: one input through a run's model, traced (``rnnlab.insight.diagnostics``); the
input is the task's (``Task.inspection_input``: a language model's text, a long-range problem's test
sequences).

``inspect_run`` returns plain lists, ready for the HTML page (``rnnlab.insight.page``), the PNGs and JSON:
tokens (T,), values[quantity][i][t] for the chosen units, flow (lag norms), jacobian (the largest and
smallest singular value of each step's Jacobian), saturation per gate (left, right) per unit, and
parameter_norms: ||dL/dW|| of every parameter (per layer: the names end in _l0, _l1, ...).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from . import diagnostics as dg

__all__ = ["inspect_run"]


def inspect_run(run: str | Path, text: str | None = None, units: list[int] | None = None, top: int = 8) -> dict:
    """Trace ``run`` on its input; ``units`` (default: the ``top`` units whose hidden state varies most
    over the shown sequence) are the ones whose activations are kept."""
    from ..tasks import load_task

    run = Path(run)
    _, task, _ = load_task(run)
    model = task.model
    run_batch, shown, about = task.inspection_input(text)
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
        for g in tr.kernel.sigmoid_gates:
            name = f"{tr.kernel.titles()[g]} gate"
            values[name], signed[name] = tr.ws["act"][:T, g, 0], False
    sv = dg.singular_values(tr, 0)
    return {"run": str(run), "cell": tr.cell, "about": about, "tokens": shown, "units": units,
            "values": {q: [v[:, u].tolist() for u in units] for q, v in values.items()}, "signed": signed,
            "flow": {"||dL/dh_t||": dg.lag_norms(tr).tolist()},
            "jacobian": {"largest": sv[:, 0].tolist(), "smallest": sv[:, -1].tolist()},
            "saturation": {g: (left.tolist(), right.tolist()) for g, (left, right) in dg.gate_saturation(tr).items()},
            "parameter_norms": dg.parameter_norms(model)}
