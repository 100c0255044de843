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
    for _ in range(5):
        grad = rng.normal(size=p.shape)
        g[...] = grad
        opt.step()
        tp.grad = torch.tensor(grad)
        topt.step()
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
