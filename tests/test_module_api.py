"""The module API a PyTorch user expects, with the backward kept explicit: attribute registration,
``parameters()``, calling a module, containers, ``None`` for zero gradients, and modules used several
times in one forward pass (records taken last in, first out), gradchecked and checked against PyTorch."""

from __future__ import annotations

import numpy as np
import pytest

from rnnlab import gradcheck as gc
from rnnlab.nn import LSTM, Linear, LSTMCell, Module, ModuleList, Parameter, Sequential, no_grad


class Unrolled(Module):
    """One LSTMCell unrolled over T steps from (h0, c0), and one Linear applied twice:

        (h_t, c_t) = cell(x_t, (h_{t-1}, c_{t-1}))   t = 1..T
        y = proj(h_T) + proj(h_1) + b                (N, H)
    """

    def __init__(self, D, H, dtype=np.float64):
        super().__init__()
        self.cell = LSTMCell(D, H, dtype=dtype, seed=1)
        self.proj = Linear(H, H, dtype=dtype, seed=2)
        self.b = Parameter(np.zeros(H, dtype))

    def forward(self, x, state):
        h, c = state
        self.steps = x.shape[0]
        hs = []
        for t in range(x.shape[0]):
            h, c = self.cell(x[t], (h, c))
            hs.append(h)
        return self.proj(hs[-1]) + self.proj(hs[0]) + self.b

    def backward(self, dy):
        """dx (T, N, D) and (dh0, dc0): the forward's steps in reverse, the Linear's two uses last first."""
        self.grads["b"] += dy.sum(axis=0)
        dh_first = self.proj.backward(dy)  # the second use: proj(h_1)
        dh, dc = self.proj.backward(dy), None  # the first use: proj(h_T)
        dxs = []
        for t in range(self.steps - 1, -1, -1):
            if t == 0:
                dh = dh + dh_first
            dx, (dh, dc) = self.cell.backward((dh, dc))
            dxs.append(dx)
        return np.stack(dxs[::-1]), (dh, dc)


def _case(seed=0, T=4, N=3, D=2, H=5):
    rng = np.random.default_rng(seed)
    m = Unrolled(D, H)
    m.load_state_dict({k: rng.normal(size=v.shape) * 0.5 for k, v in m.state_dict().items()})
    x = rng.normal(size=(T, N, D))
    state = (rng.normal(size=(N, H)), rng.normal(size=(N, H)))
    dy = rng.normal(size=(N, H))
    return m, x, state, dy


def test_a_cell_unrolled_by_hand_and_a_shared_layer_pass_gradcheck():
    m, x, (h0, c0), dy = _case()
    m.forward(x, (h0, c0))
    m.zero_grad()
    dx, (dh0, dc0) = m.backward(dy)
    for used in (m.cell, m.proj):  # every use gone back through
        with pytest.raises(RuntimeError, match="no forward left"):
            used.backward(None)

    def loss():
        with no_grad():
            return float((m.forward(x, (h0, c0)) * dy).sum())

    analytic = {"x": dx, "h0": dh0, "c0": dc0} | {k: g for k, _, g in m.named_parameters()}
    wrt = {"x": x, "h0": h0, "c0": c0} | {k: p for k, p, _ in m.named_parameters()}
    errors = gc.gradcheck(loss, wrt, analytic)
    assert set(errors) >= {"x", "h0", "c0", "b", "cell.weight_hh", "proj.weight"}
    assert max(errors.values()) < gc.TOLERANCE, errors


def test_a_cell_unrolled_by_hand_and_a_shared_layer_match_pytorch():
    torch = pytest.importorskip("torch")
    from rnnlab.interop import to_torch

    m, x, (h0, c0), dy = _case(seed=3)
    y = m.forward(x, (h0, c0))
    dx, (dh0, dc0) = m.backward(dy)
    cell, proj = to_torch(m.cell), to_torch(m.proj)
    b = torch.tensor(m.b, requires_grad=True)
    xt, h, c = (torch.tensor(a, requires_grad=True) for a in (x, h0, c0))
    h_init, c_init = h, c
    hs = []
    for t in range(x.shape[0]):
        h, c = cell(xt[t], (h, c))
        hs.append(h)
    yt = proj(hs[-1]) + proj(hs[0]) + b
    (yt * torch.tensor(dy)).sum().backward()
    np.testing.assert_allclose(y, yt.detach().numpy(), rtol=1e-12, atol=1e-13)
    for ours, theirs in [(dx, xt), (dh0, h_init), (dc0, c_init), (m.grads["b"], b)]:
        np.testing.assert_allclose(ours, theirs.grad.numpy(), rtol=1e-10, atol=1e-12)
    for name, p in list(cell.named_parameters()) + [(f"proj.{n}", p) for n, p in proj.named_parameters()]:
        ours = m.proj.grads[name[5:]] if name.startswith("proj.") else m.cell.grads[name]
        np.testing.assert_allclose(ours, p.grad.numpy(), rtol=1e-10, atol=1e-12, err_msg=name)


def test_attributes_register_children_and_parameters():
    class Net(Module):
        def __init__(self):
            super().__init__()
            self.body = Sequential(Linear(3, 4, seed=0), Linear(4, 2, seed=1))
            self.heads = ModuleList([Linear(2, 1, seed=2), Linear(2, 1, seed=3)])
            self.scale = Parameter(np.ones(2, np.float32))
            self.note = "not a parameter"

        def forward(self, x):
            return self.body(x) * self.scale

    net = Net()
    names = [k for k, _, _ in net.named_parameters()]
    assert names == ["scale", "body.0.weight", "body.0.bias", "body.1.weight", "body.1.bias", "heads.0.weight",
                     "heads.0.bias", "heads.1.weight", "heads.1.bias"]
    assert net.num_parameters() == 2 + 12 + 4 + 8 + 2 + 3 + 3 and len(net.parameters()) == 9
    assert net.scale is net.params["scale"] and net.heads[1] is net.children["heads"].children["1"]
    assert net(np.ones((5, 3), np.float32)).shape == (5, 2)
    with pytest.raises(TypeError, match="Net.scale is a registered parameter"):
        net.scale = np.zeros(2, np.float32)
    with pytest.raises(AttributeError, match="no attribute 'missing'"):
        net.missing


def test_sequential_backward_is_the_chain_reversed():
    rng = np.random.default_rng(0)
    seq = Sequential(Linear(3, 4, dtype=np.float64, seed=0), Linear(4, 2, dtype=np.float64, seed=1))
    x, dy = rng.normal(size=(6, 3)), rng.normal(size=(6, 2))
    seq(x)
    dx = seq.backward(dy)
    def f():
        with no_grad():  # a forward that keeps nothing
            return float((seq(x) * dy).sum())

    errors = gc.gradcheck(f, {"x": x} | {k: p for k, p, _ in seq.named_parameters()},
                          {"x": dx} | {k: g for k, _, g in seq.named_parameters()})
    assert max(errors.values()) < gc.TOLERANCE, errors


def test_none_stands_for_a_zero_gradient():
    rng = np.random.default_rng(1)
    lstm = LSTM(3, 4, num_layers=2, dtype=np.float64, seed=0)
    x = rng.normal(size=(5, 2, 3))
    y, (h, c) = lstm(x)
    dh = rng.normal(size=h.shape)
    dx_none, _ = lstm.backward(None, (dh, None))  # a classifier that reads only the final state
    grads_none = {k: g.copy() for k, g in lstm.grads.items()}
    lstm.zero_grad()
    lstm(x)
    dx_zeros, _ = lstm.backward(np.zeros_like(y), (dh, np.zeros_like(c)))
    np.testing.assert_array_equal(dx_none, dx_zeros)
    for k, g in lstm.grads.items():
        np.testing.assert_array_equal(grads_none[k], g, err_msg=k)
    lin = Linear(4, 2)
    lin(np.ones((3, 4), np.float32))
    assert lin.backward(None) is None and not lin.grads["weight"].any()


def test_each_backward_takes_the_latest_forward_and_a_failed_one_can_be_retried():
    lin = Linear(2, 2, dtype=np.float64, seed=0)
    a, b = np.array([[1.0, 0.0]]), np.array([[0.0, 2.0]])
    lin(a)
    lin(b)
    with pytest.raises(ValueError, match="dy must have shape"):
        lin.backward(np.ones((2, 2)))
    lin.backward(np.ones((1, 2)))  # b's
    np.testing.assert_array_equal(lin.grads["weight"], np.ones((2, 1)) @ b)
    lin.backward(np.ones((1, 2)))  # a's
    np.testing.assert_array_equal(lin.grads["weight"], np.ones((2, 1)) @ (a + b))
    with pytest.raises(RuntimeError, match="Linear.backward called with no forward left"):
        lin.backward(np.ones((1, 2)))


def test_linear_and_embedding_move_to_pytorch_and_back():
    torch = pytest.importorskip("torch")
    from rnnlab.interop import from_torch, to_torch
    from rnnlab.nn import Embedding

    for ours, x in [(Linear(3, 2, seed=0), torch.ones(4, 3)), (Embedding(5, 3, seed=0), torch.tensor([[0, 4, 2]]))]:
        theirs = to_torch(ours)
        np.testing.assert_array_equal(ours(x.numpy()), theirs(x).detach().numpy())
        back = from_torch(theirs)
        assert type(back) is type(ours) and back.state_dict().keys() == ours.state_dict().keys()
        for k, v in ours.state_dict().items():
            np.testing.assert_array_equal(back.params[k], v)


def test_inference_is_eval_mode_without_records_and_restores_the_mode():
    import rnnlab

    model = rnnlab.nn.Sequential(rnnlab.nn.Linear(3, 2, seed=0), rnnlab.nn.Dropout(0.5, seed=1))
    x = np.ones((4, 3), np.float32)
    with model.inference():
        assert not model.training and not model.children["1"].training
        np.testing.assert_array_equal(model(x), model(x))  # no dropout
    assert model.training and not model.children["0"]._records  # nothing kept for a backward
    with pytest.raises(KeyError), model.inference():
        raise KeyError
    assert model.training
