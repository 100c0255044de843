"""The feed-forward sequence models (TCN, Transformer, window MLP): central differences in float64, the same networks
written in PyTorch from their papers' definitions, causality and the receptive field."""

from __future__ import annotations

import numpy as np
import pytest

from rnnlab.gradcheck import TOLERANCE, randomise, check_context_lm, check_conv, check_encoder
from rnnlab.models import ContextLanguageModel
from rnnlab.models.encoders import ENCODERS, make_encoder
from rnnlab.models.tcn import TCN, receptive_field


@pytest.mark.parametrize("weight_norm,k,d", [(True, 3, 2), (False, 3, 2), (False, 1, 1)])
def test_causal_conv_gradcheck(weight_norm, k, d):
    errors = check_conv(weight_norm, k, d)
    assert max(errors.values()) < TOLERANCE, errors


@pytest.mark.parametrize("arch", ENCODERS)
@pytest.mark.parametrize("pool,tokens", [("each", True), ("last", False), ("mean", False), ("max", True)])
def test_encoder_in_classifier_gradcheck(arch, pool, tokens):
    errors = check_encoder(arch, pool, tokens)
    assert max(errors.values()) < TOLERANCE, errors


@pytest.mark.parametrize("k,levels", [(2, 3), (3, 2), (7, 1)])
def test_tcn_sees_exactly_its_receptive_field(k, levels):
    """y_t changes with x_s exactly when 0 <= t - s < 1 + 2 (k-1)(2^n - 1): causal, and every dilation
    applied (a wrong dilation or a missing chomp shows up as a different reach)."""
    R = receptive_field(k, levels)
    T = R + 4
    tcn = TCN(2, channels=3, levels=levels, kernel_size=k, dtype=np.float64, seed=1)
    randomise(tcn, np.random.default_rng(0))
    for name, p, _ in tcn.named_parameters():
        if name.endswith("bias"):
            p[...] = 100.0  # every ReLU open: no path is cut by a unit that happens to be off
    x = np.random.default_rng(1).normal(size=(T, 1, 2))
    s = 3
    x2 = x.copy()
    x2[s] += 1.0
    changed = np.abs(tcn(x2) - tcn(x)).max(axis=(1, 2)) > 0
    assert changed.tolist() == [s <= t < s + R for t in range(T)]
    assert tcn.receptive_field == R


@pytest.mark.parametrize("arch", ENCODERS)
def test_encoders_are_causal(arch):
    """Changing x_s changes y_t for every t >= s within the model's reach (the window for the MLP, all
    later steps for the Transformer) and for no t < s."""
    T, s = 12, 4
    enc = make_encoder(arch, 2, 8, 2, kernel_size=2, window=3, heads=2, max_len=T, dtype=np.float64, seed=1)
    randomise(enc, np.random.default_rng(0))
    for name, p, _ in enc.named_parameters():
        if name.endswith("bias") and arch != "transformer":
            p[...] = 100.0  # every ReLU open
    x = np.random.default_rng(1).normal(size=(T, 1, 2))
    x2 = x.copy()
    x2[s] += 1.0
    reach = {"tcn": receptive_field(2, 2), "mlp": 3, "transformer": T}[arch]
    changed = np.abs(enc(x2) - enc(x)).max(axis=(1, 2)) > 0
    assert changed.tolist() == [s <= t < s + reach for t in range(T)]


def _torch_tcn(torch, ours: TCN):
    """Bai et al.'s TCN written from the paper in PyTorch (Conv1d padded by (k-1)d, the extra outputs
    chomped, weight_norm over dim 0), loaded with ``ours``' weights."""
    nn = torch.nn
    wn = torch.nn.utils.parametrizations.weight_norm

    class Block(nn.Module):
        def __init__(self, cin, c, k, d):
            super().__init__()
            self.pad = (k - 1) * d
            self.conv1 = wn(nn.Conv1d(cin, c, k, padding=self.pad, dilation=d, dtype=torch.float64))
            self.conv2 = wn(nn.Conv1d(c, c, k, padding=self.pad, dilation=d, dtype=torch.float64))
            self.down = nn.Conv1d(cin, c, 1, dtype=torch.float64) if cin != c else None

        def forward(self, x):  # (N, C, T)
            chomp = (lambda z: z[:, :, :-self.pad]) if self.pad else (lambda z: z)
            b = torch.relu(chomp(self.conv2(torch.relu(chomp(self.conv1(x))))))
            return torch.relu(b + (x if self.down is None else self.down(x)))

    blocks = []
    for i, ob in enumerate(ours.blocks):
        b = Block(ob.conv1.in_channels, ob.conv1.out_channels, ours.kernel_size, 2 ** i)
        for name in ("conv1", "conv2"):
            conv, mine = getattr(b, name), getattr(ob, name)
            conv.parametrizations.weight.original0.data = torch.tensor(mine.params["weight_g"])
            conv.parametrizations.weight.original1.data = torch.tensor(mine.params["weight_v"])
            conv.bias.data = torch.tensor(mine.params["bias"])
        if b.down is not None:
            b.down.weight.data = torch.tensor(ob.downsample.params["weight"])
            b.down.bias.data = torch.tensor(ob.downsample.params["bias"])
        blocks.append(b)
    return nn.Sequential(*blocks)


def _torch_window_mlp(torch, ours):
    """The window MLP in PyTorch: unfold the last W inputs (zero-padded) into one vector, then Linear + ReLU."""
    W, D, H = ours.window, ours.input_size, ours.output_size
    first = torch.tensor(ours.window_layer.params["weight"]).permute(0, 2, 1).reshape(H, W * D)  # (H, W*D), step-major
    layers = [(first.requires_grad_(), torch.tensor(ours.window_layer.params["bias"], requires_grad=True))]
    layers += [(torch.tensor(m.params["weight"], requires_grad=True), torch.tensor(m.params["bias"], requires_grad=True))
               for m in ours.hidden]

    def run(x):  # (N, D, T)
        xp = torch.nn.functional.pad(x, (W - 1, 0))
        win = xp.unfold(2, W, 1)  # (N, D, T, W)
        a = win.permute(0, 2, 3, 1).reshape(x.shape[0], x.shape[2], W * D)  # (N, T, W*D), steps oldest first
        for w, b in layers:
            a = torch.relu(a @ w.T + b)
        return a.permute(0, 2, 1)

    return run, layers


@pytest.mark.parametrize("arch", ["tcn", "mlp"])
def test_encoder_matches_pytorch(arch):
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(5)
    enc = make_encoder(arch, 3, 6, 3, kernel_size=3, window=5, dtype=np.float64, seed=2)
    randomise(enc, rng)
    x, dy = rng.normal(size=(11, 4, 3)), rng.normal(size=(11, 4, 6))
    y = enc(x)
    dx = enc.backward(dy)
    tx = torch.tensor(x.transpose(1, 2, 0), requires_grad=True)  # (N, C, T)
    if arch == "tcn":
        net = _torch_tcn(torch, enc)
        ty = net(tx)
    else:
        run, layers = _torch_window_mlp(torch, enc)
        ty = run(tx)
    (ty * torch.tensor(dy.transpose(1, 2, 0))).sum().backward()
    np.testing.assert_allclose(y, ty.detach().numpy().transpose(2, 0, 1), rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(dx, tx.grad.numpy().transpose(2, 0, 1), rtol=1e-8, atol=1e-12)
    if arch == "tcn":
        theirs = {}
        for i, b in enumerate(net):
            for name in ("conv1", "conv2"):
                p = getattr(b, name).parametrizations.weight
                theirs[f"blocks.{i}.{name}.weight_g"] = p.original0.grad
                theirs[f"blocks.{i}.{name}.weight_v"] = p.original1.grad
                theirs[f"blocks.{i}.{name}.bias"] = getattr(b, name).bias.grad
            if b.down is not None:
                theirs[f"blocks.{i}.downsample.weight"] = b.down.weight.grad
                theirs[f"blocks.{i}.downsample.bias"] = b.down.bias.grad
    else:
        H, W, D = enc.output_size, enc.window, enc.input_size
        (w0, b0), *rest = layers
        theirs = {"window_layer.weight": w0.grad.reshape(H, W, D).permute(0, 2, 1), "window_layer.bias": b0.grad}
        theirs |= {f"hidden.{i}.{n}": t.grad for i, (w, b) in enumerate(rest) for n, t in (("weight", w), ("bias", b))}
    grads = {k: g for k, _, g in enc.named_parameters()}
    assert set(theirs) == set(grads)
    for k, g in grads.items():
        np.testing.assert_allclose(g, theirs[k].numpy(), rtol=1e-8, atol=1e-12, err_msg=k)


def test_transformer_matches_pytorch():
    """The Transformer against the same network built from PyTorch's own LayerNorm, GELU(tanh) and
    scaled_dot_product_attention(is_causal=True), float64, random weights and upstream gradient."""
    torch = pytest.importorskip("torch")
    F = torch.nn.functional
    rng = np.random.default_rng(7)
    enc = make_encoder("transformer", 3, 8, 2, heads=2, max_len=12, dtype=np.float64, seed=4)
    randomise(enc, rng)
    x, dy = rng.normal(size=(9, 4, 3)), rng.normal(size=(9, 4, 8))
    y = enc(x)
    dx = enc.backward(dy)

    p = {k: torch.tensor(v, requires_grad=True) for k, v in enc.state_dict().items()}
    tx = torch.tensor(x.transpose(1, 0, 2), requires_grad=True)  # (N, T, D)
    T, C, h = 9, 8, 2

    def ln(z, name):
        return F.layer_norm(z, (C,), p[name + ".weight"], p[name + ".bias"])

    def lin(z, name):
        return F.linear(z, p[name + ".weight"], p[name + ".bias"])

    z = lin(tx, "input") + p["wpe"][:T]
    for i in range(2):
        b = f"blocks.{i}."
        q, k, v = lin(ln(z, b + "ln_1"), b + "attn.c_attn").split(C, dim=2)
        q, k, v = (a.view(4, T, h, C // h).transpose(1, 2) for a in (q, k, v))
        att = F.scaled_dot_product_attention(q, k, v, is_causal=True).transpose(1, 2).reshape(4, T, C)
        z = z + lin(att, b + "attn.c_proj")
        z = z + lin(F.gelu(lin(ln(z, b + "ln_2"), b + "c_fc"), approximate="tanh"), b + "c_proj")
    ty = ln(z, "ln_f")
    (ty * torch.tensor(dy.transpose(1, 0, 2))).sum().backward()
    np.testing.assert_allclose(y, ty.detach().numpy().transpose(1, 0, 2), rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(dx, tx.grad.numpy().transpose(1, 0, 2), rtol=1e-8, atol=1e-12)
    grads = {k: g for k, _, g in enc.named_parameters()}
    assert set(grads) == set(p)
    for k, g in grads.items():
        np.testing.assert_allclose(g, p[k].grad.numpy(), rtol=1e-8, atol=1e-12, err_msg=k)


@pytest.mark.parametrize("arch", ENCODERS)
def test_context_language_model_gradcheck(arch):
    errors = check_context_lm(arch)
    assert max(errors.values()) < TOLERANCE, errors


@pytest.mark.parametrize("arch", ENCODERS)
def test_carried_context_gives_the_whole_streams_outputs(arch):
    """Batch by batch with K carried tokens, the logits equal one pass over the whole stream: K = R - 1
    for the TCN and the MLP (every output sees its full receptive field), K = T for the Transformer
    (whose second batch then sees exactly the stream's tokens before it)."""
    T, N = 6, 3
    enc = make_encoder(arch, 5, 8, 2, kernel_size=2, window=4, heads=2, max_len=3 * T, dtype=np.float64, seed=3)
    K = T if arch == "transformer" else enc.receptive_field - 1
    model = ContextLanguageModel(7, enc, K, dtype=np.float64, seed=3)
    randomise(model, np.random.default_rng(0))
    ids = np.random.default_rng(1).integers(0, 7, size=(2 * T, N))
    whole, _ = model(ids)
    first, state = model(ids[:T])
    second, _ = model(ids[T:], state)
    assert state.shape == (min(K, T), N)
    np.testing.assert_allclose(np.concatenate([first, second]), whole, rtol=1e-12, atol=1e-12)
