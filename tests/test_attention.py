"""Attention (additive, general, dot): central differences in float64, the same equations in PyTorch,
the mask, and the order of backward calls."""

from __future__ import annotations

import numpy as np
import pytest

from rnnlab.gradcheck import TOLERANCE, attention_case, check_attention
from rnnlab.nn import ATTENTION_KINDS

KINDS = list(ATTENTION_KINDS)


@pytest.mark.parametrize("kind", KINDS)
def test_attention_gradcheck(kind):
    errors = check_attention(kind)
    assert max(errors.values()) < TOLERANCE, errors


@pytest.mark.parametrize("kind", KINDS)
def test_attention_matches_the_same_equations_in_pytorch(kind):
    torch = pytest.importorskip("torch")
    att, x, up, _ = attention_case(kind, seed=3)
    lengths = (5, 2, 4)
    k = att.keys(x["h"])
    c1, a1 = att(x["s1"], k, x["h"], lengths)
    c2, a2 = att(x["s2"], k, x["h"], lengths)
    ds2, dk2, dh2 = att.backward(up["dc2"])
    ds1, dk1, dh1 = att.backward(up["dc1"], up["da1"])
    dh = dh1 + dh2 + att.keys_backward(dk1 + dk2)

    t = {n: torch.tensor(v, requires_grad=True) for n, v in (x | dict(att.params)).items()}
    mask = torch.arange(5)[:, None] < torch.tensor(lengths)[None, :]  # (T, N)

    def step(s):
        if kind == "additive":
            e = torch.tanh(s @ t["query_weight"].T + t["h"] @ t["key_weight"].T) @ t["score_weight"]
        else:
            keys = t["h"] @ t["weight"].T if kind == "general" else t["h"]
            e = torch.einsum("ns,tns->tn", s, keys)
        a = torch.softmax(e.masked_fill(~mask, float("-inf")), dim=0)
        return torch.einsum("tn,tnh->nh", a, t["h"]), a.T

    tc1, ta1 = step(t["s1"])
    tc2, ta2 = step(t["s2"])
    loss = (tc1 * torch.tensor(up["dc1"])).sum() + (ta1 * torch.tensor(up["da1"])).sum() + (
        tc2 * torch.tensor(up["dc2"])).sum()
    loss.backward()
    for ours, theirs in ((c1, tc1), (a1, ta1), (c2, tc2), (a2, ta2)):
        np.testing.assert_allclose(ours, theirs.detach().numpy(), rtol=1e-12, atol=1e-14)
    ours = {"h": dh, "s1": ds1, "s2": ds2} | dict(att.grads)
    for name, grad in ours.items():
        np.testing.assert_allclose(grad, t[name].grad.numpy(), rtol=1e-10, atol=1e-12, err_msg=name)


def test_masked_positions_get_no_weight_and_no_gradient():
    att, x, up, _ = attention_case("additive", seed=1)
    k = att.keys(x["h"])
    c, a = att(x["s1"], k, x["h"], [5, 2, 4])
    np.testing.assert_allclose(a.sum(axis=1), 1.0)
    assert np.all(a[1, 2:] == 0) and np.all(a[2, 4:] == 0) and np.all(a[0] > 0)
    ds, dk, dh = att.backward(up["dc1"], up["da1"])
    dh = dh + att.keys_backward(dk)
    assert np.all(dh[2:, 1] == 0) and np.all(dh[4:, 2] == 0) and np.any(dh[:2, 1] != 0)


def test_backward_out_of_order_is_refused():
    att, x, up, _ = attention_case("general")
    k = att.keys(x["h"])
    att(x["s1"], k, x["h"])
    with pytest.raises(RuntimeError, match="reverse order"):
        att.keys_backward(np.zeros_like(k))
    att.backward(up["dc1"])  # the step's record is still there: the refused call consumed nothing
    att.keys_backward(np.zeros_like(k))
    with pytest.raises(ValueError, match="dot attention needs"):
        type(att)(4, 6, "dot")
