"""A whole training run against PyTorch in float64: same data, same initial weights, same recipe
(embedding, 2-layer LSTM, decoder, loss summed over time, global-norm clipping, SGD or Adam, carried
state). The weights must stay equal to rounding for every step."""

import sys
from pathlib import Path

import numpy as np
import pytest

torch = pytest.importorskip("torch", reason="torch is not installed (pip install torch==2.13.0)")
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # the repository root, for benchmarks/

from benchmarks.torch_lm_reference import TorchLM, train_step  # noqa: E402

from rnnlab.data import get_batch  # noqa: E402
from rnnlab.tasks import make_trainer  # noqa: E402
from rnnlab.tasks import resolve_config  # noqa: E402

TEXT = "".join(f"a {w} saw the {v} at {i % 5}\n" for i, (w, v) in enumerate(zip(["cat", "dog"] * 80, ["owl", "fox", "elk"] * 54)))


@pytest.mark.parametrize("optimizer,lr,cell", [("sgd", 1.0, "lstm"), ("adam", 0.01, "gru"), ("sgd", 0.5, "rnn")])
def test_training_trajectory_matches_torch(tmp_path, optimizer, lr, cell):
    corpus = tmp_path / "c.txt"
    corpus.write_text(TEXT)
    cfg = resolve_config("zaremba-small", flags=dict(data=str(corpus), dtype="float64", hidden=12, seq_len=7,
                                                     batch_size=3, clip=0.5, optimizer=optimizer, lr=lr, cell=cell))
    ours = make_trainer(cfg, tmp_path / "run", progress=False)
    theirs = TorchLM(len(ours.task.vocab), cfg).double()
    theirs.load_state_dict({k: torch.from_numpy(v.copy()) for k, v in ours.model.state_dict().items()})
    opt = (torch.optim.SGD if optimizer == "sgd" else torch.optim.Adam)(theirs.parameters(), lr=lr)
    state = None
    for step in range(25):
        x, y = get_batch(ours.task.train_data, step * cfg.seq_len, cfg.seq_len)
        loss, norm, _ = ours.train_step((x, y))
        ours.step += 1
        tloss, tnorm, state = train_step(theirs, opt, x, y, state, cfg)
        assert loss == pytest.approx(tloss, rel=1e-10) and norm == pytest.approx(tnorm, rel=1e-8)
    assert norm > 0.5  # clipping was active
    tsd = theirs.state_dict()
    for k, p in ours.model.state_dict().items():
        np.testing.assert_allclose(p, tsd[k].numpy(), rtol=1e-9, atol=1e-11, err_msg=k)
