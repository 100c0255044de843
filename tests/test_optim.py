"""Optimisers against hand-computed steps and torch.optim; clipping; schedules at their boundaries."""

import math

import numpy as np
import pytest

from rnnlab.optim import (
    SGD,
    Adagrad,
    Adam,
    AdamW,
    Cosine,
    Plateau,
    RMSprop,
    StepDecay,
    clip_grad_norm,
    clip_grad_value,
    make_optimizer,
)


def one_param(value, grad):
    p = np.array(value, dtype=np.float64)
    g = np.array(grad, dtype=np.float64)
    return p, g, [("w", p, g)]


def test_sgd_momentum_by_hand():
    p, g, params = one_param([1.0, -2.0], [0.5, 1.0])
    opt = SGD(params, lr=0.1, momentum=0.9)
    opt.step()  # buf = g
    np.testing.assert_allclose(p, [1.0 - 0.05, -2.0 - 0.1])
    opt.step()  # buf = 0.9 g + g = 1.9 g
    np.testing.assert_allclose(p, [0.95 - 0.1 * 0.95, -2.1 - 0.1 * 1.9])


def test_adam_first_step_by_hand():
    p, g, params = one_param([1.0], [0.3])
    Adam(params, lr=0.01).step()  # bias-corrected m/sqrt(v) = g/|g| -> p - lr * sign(g) (up to eps)
    np.testing.assert_allclose(p, [1.0 - 0.01 * 0.3 / (0.3 + 1e-8)], rtol=1e-12)


def test_adamw_decays_weights_directly():
    p, g, params = one_param([2.0], [0.0])
    AdamW(params, lr=0.1, weight_decay=0.5).step()  # zero gradient: only p <- p (1 - lr wd)
    np.testing.assert_allclose(p, [2.0 * (1 - 0.05)])
    p, g, params = one_param([2.0], [0.0])
    Adam(params, lr=0.1, weight_decay=0.5).step()  # L2 in the gradient: g = 1.0, normalised step lr
    np.testing.assert_allclose(p, [2.0 - 0.1 * 1.0 / (1.0 + 1e-8)])


def test_adagrad_and_rmsprop_first_step_by_hand():
    p, g, params = one_param([1.0], [2.0])
    Adagrad(params, lr=0.1).step()
    np.testing.assert_allclose(p, [1.0 - 0.1 * 2.0 / (2.0 + 1e-10)])
    p, g, params = one_param([1.0], [2.0])
    RMSprop(params, lr=0.1, alpha=0.9).step()
    np.testing.assert_allclose(p, [1.0 - 0.1 * 2.0 / (math.sqrt(0.1 * 4.0) + 1e-8)])


def test_clip_grad_norm_returns_the_norm_before_clipping():
    a, b = np.array([3.0, 0.0]), np.array([[4.0]])
    norm = clip_grad_norm([a, b], 1.0)
    assert norm == 5.0
    assert math.isclose(math.sqrt((a**2).sum() + (b**2).sum()), 1.0, rel_tol=1e-5)
    c = np.array([0.3, 0.4])
    assert clip_grad_norm([c], 1.0) == pytest.approx(0.5) and np.allclose(c, [0.3, 0.4])  # under the bound
    d = np.array([-7.0, 0.5, 9.0])
    clip_grad_value([d], 5.0)
    np.testing.assert_array_equal(d, [-5.0, 0.5, 5.0])


def test_schedules_at_their_boundaries():
    s = StepDecay(1.0, 0.5, decay_after=4)  # Zaremba small
    assert [s.lr(0, e) for e in (1, 4, 5, 6, 13)] == [1.0, 1.0, 0.5, 0.25, 0.5**9]
    c = Cosine(1.0, total_steps=110, warmup=10)
    assert c.lr(5, 1) == 0.5 and c.lr(10, 1) == 1.0 and c.lr(60, 1) == pytest.approx(0.5) and c.lr(110, 1) == 0.0
    p = Plateau(1.0, factor=4)
    for loss in (3.0, 2.0, 2.5, 1.0, 1.0):
        p.on_validation(loss)
    assert p.lr(0, 0) == 1 / 16
    q = Plateau(1.0)
    q.load_state_dict(p.state_dict())
    assert q.lr(0, 0) == 1 / 16 and q.best == 1.0


@pytest.mark.parametrize("name", ["sgd", "adam", "adamw", "rmsprop", "adagrad"])
def test_state_round_trip_continues_identically(name):
    rng = np.random.default_rng(0)
    kw = {"momentum": 0.9} if name in ("sgd", "rmsprop") else {}
    p1, p2 = rng.normal(size=(3, 4)), None
    p2 = p1.copy()
    g1, g2 = np.zeros_like(p1), np.zeros_like(p2)
    a = make_optimizer(name, [("w", p1, g1)], 0.01, weight_decay=0.01, **kw)
    for _ in range(3):
        g1[...] = rng.normal(size=g1.shape)
        a.step()
    arrays, meta = a.state_dict()
    p2[...] = p1
    b = make_optimizer(name, [("w", p2, g2)], 0.01, weight_decay=0.01, **kw)
    b.load_state_dict({k: v.copy() for k, v in arrays.items()}, meta)
    for _ in range(2):
        g1[...] = g2[...] = rng.normal(size=g1.shape)
        a.step()
        b.step()
    np.testing.assert_array_equal(p1, p2)


def test_bad_hyperparameters():
    _, _, params = one_param([1.0], [1.0])
    with pytest.raises(ValueError, match="learning rate must be a finite number > 0"):
        SGD(params, lr=0.0)
    with pytest.raises(ValueError, match="learning rate"):
        Adam(params, lr=float("nan"))
    with pytest.raises(ValueError, match="unknown optimizer 'lbfgs'"):
        make_optimizer("lbfgs", params, 0.1)
    with pytest.raises(ValueError, match="Nesterov"):
        SGD(params, lr=0.1, nesterov=True)


CASES = [
    ("SGD", dict(lr=0.1), {}),
    ("SGD", dict(lr=0.1, momentum=0.9, weight_decay=0.01), {}),
    ("SGD", dict(lr=0.1, momentum=0.9, nesterov=True), {}),
    ("Adam", dict(lr=0.01, weight_decay=0.01), {}),
    ("AdamW", dict(lr=0.01, weight_decay=0.1), {}),
    ("RMSprop", dict(lr=0.01, alpha=0.95), {}),
    ("RMSprop", dict(lr=0.01, momentum=0.5, weight_decay=0.01), {}),
    ("Adagrad", dict(lr=0.1, weight_decay=0.01), {}),
]


def steps_beside_torch(torch, opt, topt, g, tp, rng, steps: int = 5):
    """Step ``opt`` (gradient array ``g``) and the torch optimiser ``topt`` (parameter ``tp``) on the
    same random gradient ``steps`` times, yielding after each."""
    for _ in range(steps):
        grad = rng.normal(size=g.shape)
        g[...] = grad
        opt.step()
        tp.grad = torch.tensor(grad)
        topt.step()
        yield


@pytest.mark.parametrize("name,kw,_", CASES, ids=[f"{c[0]}-{i}" for i, c in enumerate(CASES)])
def test_matches_torch_optim(name, kw, _):
    torch = pytest.importorskip("torch", reason="torch is not installed")
    ours_cls = {"SGD": SGD, "Adam": Adam, "AdamW": AdamW, "RMSprop": RMSprop, "Adagrad": Adagrad}[name]
    rng = np.random.default_rng(1)
    p = rng.normal(size=(4, 3))
    g = np.zeros_like(p)
    opt = ours_cls([("w", p, g)], **kw)
    tp = torch.tensor(p.copy(), requires_grad=True)
    topt = getattr(torch.optim, name)([tp], **kw)
    for _ in steps_beside_torch(torch, opt, topt, g, tp, rng):
        np.testing.assert_allclose(p, tp.detach().numpy(), rtol=1e-12, atol=1e-14)


def test_clip_matches_torch():
    torch = pytest.importorskip("torch", reason="torch is not installed")
    rng = np.random.default_rng(2)
    gs = [rng.normal(size=(3, 4)) * 5, rng.normal(size=7) * 5]
    ts = [torch.zeros(g.shape, dtype=torch.float64, requires_grad=True) for g in gs]
    for t, g in zip(ts, gs):
        t.grad = torch.tensor(g.copy())
    norm = clip_grad_norm(gs, 2.0)
    tnorm = torch.nn.utils.clip_grad_norm_(ts, 2.0)
    assert norm == pytest.approx(tnorm.item(), rel=1e-12)
    for t, g in zip(ts, gs):
        np.testing.assert_allclose(g, t.grad.numpy(), rtol=1e-12)


def test_ntasgd_triggers_by_its_rule_and_averages_the_iterates():
    """Averaging starts at the first epoch whose validation loss is above the best of all but the last
    n; from then on the average is the mean of the iterates (from the second on, as PyTorch's ASGD),
    used inside averaged() and put back after; its state resumes exactly."""
    from rnnlab.optim.averaging import NTASGD

    rng = np.random.default_rng(0)
    p, g = rng.normal(size=(3, 2)), np.zeros((3, 2))
    opt = NTASGD([("w", p, g)], lr=0.1, nonmono=1)
    assert [opt.on_validation(v) for v in (3.0, 2.0, 2.5)] == [False, False, False]  # 2.5 < min(3.0)
    g[...] = rng.normal(size=g.shape)
    opt.step()
    assert not opt.averaging and np.all(opt.state["average"]["w"] == 0)
    assert opt.on_validation(3.5) and opt.history == [3.0, 2.0, 2.5]  # 3.5 > min(3.0, 2.0)
    iterates = []
    for k in range(4):
        if k == 2:
            arrays, meta = opt.state_dict()
            resumed = NTASGD([("w", p.copy(), g)], lr=0.1, nonmono=1)
            resumed.load_state_dict({a: v.copy() for a, v in arrays.items()}, meta)
        g[...] = rng.normal(size=g.shape)
        opt.step()
        if k >= 2:
            resumed.step()
        iterates.append(p.copy())
    np.testing.assert_array_equal(resumed.state["average"]["w"], opt.state["average"]["w"])
    np.testing.assert_allclose(opt.state["average"]["w"], np.mean(iterates[1:], axis=0), rtol=1e-13)
    with opt.averaged():
        np.testing.assert_array_equal(p, opt.state["average"]["w"])
    np.testing.assert_array_equal(p, iterates[-1])
    assert resumed.averaging and resumed.averaged_steps == 4 and not opt.on_validation(9.0)


def test_ntasgd_averages_as_torch_asgd_from_the_switch():
    """After the switch, the steps and the average are torch.optim.ASGD(t0=0, lambd=0)'s, as AWD-LSTM
    switches to it."""
    torch = pytest.importorskip("torch", reason="torch is not installed")
    from rnnlab.optim.averaging import NTASGD

    rng = np.random.default_rng(3)
    p, g = rng.normal(size=(4, 3)), np.zeros((4, 3))
    opt = NTASGD([("w", p, g)], lr=0.25, nonmono=1, weight_decay=1e-3)
    opt.averaging = True
    tp = torch.tensor(p.copy(), requires_grad=True)
    topt = torch.optim.ASGD([tp], lr=0.25, t0=0, lambd=0.0, weight_decay=1e-3)
    for _ in steps_beside_torch(torch, opt, topt, g, tp, rng):
        np.testing.assert_allclose(p, tp.detach().numpy(), rtol=1e-12)
        # torch keeps the averaging weight mu = 1/j as a float32 scalar: agreement to its rounding
        np.testing.assert_allclose(opt.state["average"]["w"], topt.state[tp]["ax"].numpy(), rtol=2e-7)


def test_the_trainer_validates_and_keeps_the_averaged_weights(tmp_path):
    """Once NT-ASGD averages, validation measures the averaged weights and best.safetensors holds them;
    training continues from the iterates."""
    from safetensors.numpy import load_file

    from rnnlab.tasks import make_trainer, resolve_config

    corpus = tmp_path / "c.txt"
    corpus.write_text("averaged weights generalise better.\n" * 40)
    cfg = resolve_config(flags=dict(data=str(corpus), hidden=8, layers=1, seq_len=8, batch_size=4, optimizer="ntasgd",
                                    lr=1.0, sample_length=0))
    trainer = make_trainer(cfg, tmp_path / "run", progress=False, log=lambda msg: None)
    trainer.opt.averaging = True
    for i in range(3):
        trainer.train_step(trainer.task.batch(1, i))
    iterate = {k: p.copy() for k, p, _ in trainer.model.named_parameters()}
    measured = trainer.validate()["loss"]
    best = load_file(str(tmp_path / "run" / "best.safetensors"))
    for k, p, _ in trainer.model.named_parameters():
        np.testing.assert_array_equal(best[f"model.{k}"], trainer.opt.state["average"][k])
        np.testing.assert_array_equal(p, iterate[k])
    with trainer.opt.averaged():
        assert trainer.task.evaluate("valid")["loss"] == measured
    assert trainer.task.evaluate("valid")["loss"] != measured


def test_the_trainer_switches_to_averaging_when_validation_stalls(tmp_path):
    """Epoch-end validation losses 3, 2, 2.5, 3.5 with --nonmono 1: the switch comes at epoch 4, said in
    a line."""
    from rnnlab.tasks import make_trainer, resolve_config

    corpus = tmp_path / "c.txt"
    corpus.write_text("averaged weights generalise better.\n" * 40)
    cfg = resolve_config(flags=dict(data=str(corpus), hidden=8, layers=1, seq_len=8, batch_size=4, optimizer="ntasgd",
                                    nonmono=1, lr=1.0, epochs=4, sample_length=0))
    said = []
    trainer = make_trainer(cfg, tmp_path / "run", progress=False, log=said.append)
    losses = iter([3.0, 2.0, 2.5, 3.5])
    trainer.task.evaluate = lambda split="valid": {"loss": next(losses), "perplexity": 1.0, "bits_per_token": 1.0,
                                                   "tokens": 1}
    trainer.run()
    assert trainer.opt.averaging and trainer.opt.history == [3.0, 2.0, 2.5]
    assert any(line.startswith("epoch 4: validation loss 3.5000 is above the best") for line in said)
