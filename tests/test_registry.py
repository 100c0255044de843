"""A new cell kind is one kernel and one registry entry: a minimal gated unit registered here from the
outside, gradchecked, checked against the layers' own guarantees, and trained as a language model
through the public API, exactly as the built-in kinds are."""

from __future__ import annotations

import json

import numpy as np
import pytest

import rnnlab
from rnnlab import gradcheck as gc
from rnnlab.kernels import CellKernel
from rnnlab.functional import sigmoid
from rnnlab.nn import RNNBase, cell_kind, cell_names, register_cell, unregister_cell
from rnnlab.tasks import make_trainer
from rnnlab.tasks import resolve_config


class MGUKernel(CellKernel):
    """Minimal gated unit (Zhou et al. 2016), with its candidate's reset applied after the hidden
    product as in PyTorch's GRU:

        f = sigma(xf + hf)       n = tanh(xn + f * hn)       h' = (1 - f) * h + f * n

    Backward, given dh':
        dn = dh' f      dan = dn (1 - n^2)      df = dh' (n - h) + dan hn      daf = df f (1 - f)
        dxp = [daf | dan]      dhp = [daf | dan f]      dh_direct = dh' (1 - f)
    """

    gates = 2
    folded_hh_gates = 1  # b_hf folds into xp; b_hn stays inside f * (.)
    separate_dhp = True

    def workspace(self, T, N, H, dtype):
        return {"act": np.empty((T, 2, N, H), dtype), "hn": np.empty((T, N, H), dtype)}

    def forward_step(self, ws, k, xp, hp, prev):
        (h,) = prev
        H = h.shape[1]
        f, n = ws["act"][k]
        sigmoid(xp[:, :H] + hp[:, :H], out=f)
        ws["hn"][k] = hp[:, H:]
        np.tanh(xp[:, H:] + f * ws["hn"][k], out=n)
        return ((1 - f) * h + f * n,)

    def backward_step(self, ws, k, dstate, prev, out=None):
        (dh,) = dstate
        (h,) = prev
        f, n = ws["act"][k]
        dan = dh * f * (1 - n * n)
        daf = (dh * (n - h) + dan * ws["hn"][k]) * f * (1 - f)
        dxp = np.concatenate([daf, dan], axis=1)
        return dxp, np.concatenate([daf, dan * f], axis=1), (dh * (1 - f),)


@pytest.fixture
def mgu():
    kind = register_cell("mgu", MGUKernel)
    yield kind
    unregister_cell("mgu")


def test_a_registered_cell_is_known_everywhere_by_one_name(mgu):
    assert cell_kind("MGU") is mgu and "mgu" in cell_names()
    assert mgu.gates == 2 and mgu.state_names == ("h",)
    layer = mgu.layer(3, 4, num_layers=2, bidirectional=True)
    assert isinstance(layer, RNNBase) and layer.mode == "mgu"
    assert layer.params["weight_ih_l1_reverse"].shape == (8, 8)
    with pytest.raises(ValueError, match="registered already"):
        register_cell("mgu", MGUKernel)
    with pytest.raises(ValueError, match="expected one of rnn, rnn_relu, lstm, gru, ln_lstm, ln_gru, mgu"):
        cell_kind("mgu2")


@pytest.mark.parametrize("backend", rnnlab.backends.available())
def test_a_registered_cell_passes_gradcheck_on_every_backend(mgu, backend):
    """The CPU backend has no compiled MGU: it must run the kernel's own steps, for layers and cells."""
    with rnnlab.use_backend(backend):
        errors = gc.check_recurrent("mgu", num_layers=2, bidirectional=True, lengths=True, H=5, seed=4)
        errors |= gc.check_cell("mgu", seed=4)
    assert {"input", "state_h", "weight_hh_l1_reverse"} <= set(errors)
    assert max(errors.values()) < gc.TOLERANCE, errors


def test_a_registered_cell_trains_a_language_model(mgu, tmp_path):
    corpus = tmp_path / "c.txt"
    corpus.write_text("".join(f"the {w} sat on the {v}.\n" for w, v in zip(["cat", "dog", "bird"] * 300,
                                                                           ["mat", "log"] * 450)))
    cfg = resolve_config(flags=dict(data=str(corpus), cell="MGU", hidden=32, layers=1, seq_len=16, batch_size=8,
                                    optimizer="adam", lr=0.01, max_steps=80, log_every=10, eval_every=40))
    assert cfg.cell == "mgu"
    trainer = make_trainer(cfg, tmp_path / "run", progress=False, log=lambda msg: None)
    assert isinstance(trainer.model.rnn.kernel, MGUKernel)
    trainer.run()
    rows = [json.loads(line) for line in (tmp_path / "run" / "metrics.jsonl").read_text().splitlines()]
    train = [r["train_loss"] for r in rows if "train_loss" in r]
    valid = [r["valid_loss"] for r in rows if "valid_loss" in r]
    assert train[0] > 2.5 and train[-1] < 1.0, train  # from about ln(vocabulary) to well below
    assert valid[-1] < 1.0, valid


def test_explain_and_inspect_show_a_registered_cell_by_its_kernels_facts(mgu, tmp_path, capsys):
    """The gate names, which gates are sigmoids and the equations are the kernel's: explain and inspect
    read them there, for a cell they have never heard of."""
    from rnnlab.cli import main

    MGUKernel.gate_names, MGUKernel.gate_titles, MGUKernel.sigmoid_gates = ("f", "n"), ("forget", "new"), (0,)
    try:
        assert main(["explain", "--cell", "mgu", "--x", "0.5,-0.2", "--h", "0.1,0.3,-0.4", "--json"]) == 0
        numbers = json.loads(capsys.readouterr().out)
        f, n, h = (np.array(numbers[k]) for k in ("f", "n", "h_{t-1}"))
        assert np.allclose(numbers["h_t"], (1 - f) * h + f * n)  # the kernel's own equation, by its gate names
        assert {"xp_f", "hp_f", "xp_n", "hp_n", "da_f", "da_n"} <= set(numbers)
        assert main(["explain", "--cell", "mgu"]) == 0
        printed = capsys.readouterr().out
        assert "f = sigma(xf + hf)" in printed  # the docstring's equations
        corpus = tmp_path / "c.txt"
        corpus.write_text("the cat sat on the mat.\n" * 60)
        run = tmp_path / "run"
        assert main(["train", "--data", str(corpus), "--cell", "mgu", "--hidden", "8", "--layers", "1", "--seq-len",
                     "8", "--batch-size", "4", "--max-steps", "5", "--sample-length", "0", "--out", str(run)]) == 0
        assert main(["inspect", str(run), "--json"]) == 0
        info = json.loads(capsys.readouterr().out)
        assert info["cell"] == "mgu" and list(info["saturation"]) == ["forget"]
        assert "forget gate" in info["values"] and "new gate" not in info["values"]
        assert main(["explain", "--run", str(run)]) == 0  # the run's weights, its initial state, a drawn input
        assert "h_{t-1} = 0" in capsys.readouterr().out
    finally:
        del MGUKernel.gate_names, MGUKernel.gate_titles, MGUKernel.sigmoid_gates
