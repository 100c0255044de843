"""Training-step speed of rnnlab's TCN, Transformer and window MLP against the same networks in PyTorch,
one thread each, float32, interleaved rounds in one process:

    python -m benchmarks.feedforward_speed [--rounds 5]

A step is forward, then backward of sum(y * dy) for a random dy (no optimiser), on x (T=128, N=32, D).
Prints and writes benchmarks/results/feedforward-speed.md: the median step time of each side and
PyTorch's time over rnnlab's (above 1: rnnlab is faster).
"""

from __future__ import annotations

import argparse
import os
import platform
import statistics
from pathlib import Path

os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")

import numpy as np  # noqa: E402

from .timing import best_seconds  # noqa: E402

T, N = 128, 32
WORKLOADS = {  # name: (arch, input D, width, layers, options)
    "TCN 4x128, k=3": ("tcn", 32, 128, 4, dict(kernel_size=3)),
    "TCN 4x128, k=7": ("tcn", 32, 128, 4, dict(kernel_size=7)),
    "Transformer 4x128, 4 heads": ("transformer", 128, 128, 4, dict(heads=4, max_len=T)),
    "window MLP 2x256, W=16": ("mlp", 32, 256, 2, dict(window=16)),
}


def rnnlab_step(arch, D, C, layers, opts):
    from rnnlab.models.encoders import make_encoder

    enc = make_encoder(arch, D, C, layers, seed=0, **opts)
    rng = np.random.default_rng(0)
    x, dy = rng.standard_normal((T, N, D), np.float32), rng.standard_normal((T, N, C), np.float32)

    def step():
        enc.zero_grad()
        enc(x)
        enc.backward(dy)

    return step


def torch_step(arch, D, C, layers, opts):
    import torch

    nn, F = torch.nn, torch.nn.functional
    torch.manual_seed(0)
    if arch == "tcn":
        k, wn, mods = opts["kernel_size"], nn.utils.parametrizations.weight_norm, []
        for i in range(layers):
            cin, d = (D if i == 0 else C), 2 ** i
            mods.append(nn.ModuleDict(dict(c1=wn(nn.Conv1d(cin, C, k, padding=(k - 1) * d, dilation=d)),
                                           c2=wn(nn.Conv1d(C, C, k, padding=(k - 1) * d, dilation=d)),
                                           down=nn.Conv1d(cin, C, 1) if cin != C else nn.Identity())))

        def net(x):  # (N, D, T)
            for i, m in enumerate(mods):
                p = (k - 1) * 2 ** i
                b = F.relu(m["c2"](F.relu(m["c1"](x)[:, :, :-p]))[:, :, :-p])
                x = F.relu(b + m["down"](x))
            return x

        params = [p for m in mods for p in m.parameters()]
        x = torch.randn(N, D, T)
        dy = torch.randn(N, C, T)
    elif arch == "transformer":
        h = opts["heads"]
        blocks = [nn.ModuleDict(dict(ln1=nn.LayerNorm(C), attn=nn.Linear(C, 3 * C), proj=nn.Linear(C, C),
                                     ln2=nn.LayerNorm(C), fc=nn.Linear(C, 4 * C), fc2=nn.Linear(4 * C, C)))
                  for _ in range(layers)]
        wpe, lnf = nn.Parameter(torch.randn(T, C) * 0.02), nn.LayerNorm(C)

        def net(x):  # (N, T, C)
            z = x + wpe
            for b in blocks:
                q, kk, v = b["attn"](b["ln1"](z)).split(C, dim=2)
                q, kk, v = (a.view(N, T, h, C // h).transpose(1, 2) for a in (q, kk, v))
                a = F.scaled_dot_product_attention(q, kk, v, is_causal=True).transpose(1, 2).reshape(N, T, C)
                z = z + b["proj"](a)
                z = z + b["fc2"](F.gelu(b["fc"](b["ln2"](z)), approximate="tanh"))
            return lnf(z)

        params = [p for b in blocks for p in b.parameters()] + [wpe, *lnf.parameters()]
        x = torch.randn(N, T, D)
        dy = torch.randn(N, T, C)
    else:
        W = opts["window"]
        first = nn.Conv1d(D, C, W, padding=W - 1)
        rest = [nn.Linear(C, C) for _ in range(layers - 1)]

        def net(x):  # (N, D, T)
            a = F.relu(first(x)[:, :, :T]).transpose(1, 2)
            for lin in rest:
                a = F.relu(lin(a))
            return a

        params = [*first.parameters(), *(p for lin in rest for p in lin.parameters())]
        x = torch.randn(N, D, T)
        dy = torch.randn(N, T, C)
    x.requires_grad_(True)

    def step():
        for p in params:
            p.grad = None
        (net(x) * dy).sum().backward()

    return step


def main() -> None:
    import torch

    torch.set_num_threads(1)
    ap = argparse.ArgumentParser()
    ap.add_argument("--rounds", type=int, default=5)
    args = ap.parse_args()
    lines = [f"Training step (forward + backward), T={T}, N={N}, float32, one thread, median of {args.rounds} "
             f"interleaved rounds; {platform.processor() or platform.machine()}, torch {torch.__version__}, "
             f"numpy {np.__version__}", "",
             "| network | rnnlab ms | PyTorch ms | PyTorch / rnnlab |", "|---|---:|---:|---:|"]
    for name, (arch, D, C, layers, opts) in WORKLOADS.items():
        ours, theirs = rnnlab_step(arch, D, C, layers, opts), torch_step(arch, D, C, layers, opts)
        a, b = [], []
        for _ in range(args.rounds):
            a.append(best_seconds(ours, 5, batches=1))  # a warm-up, then the mean of 5 steps
            b.append(best_seconds(theirs, 5, batches=1))
        ma, mb = statistics.median(a) * 1e3, statistics.median(b) * 1e3
        lines.append(f"| {name} | {ma:.1f} | {mb:.1f} | {mb / ma:.2f} |")
        print(lines[-1], flush=True)
    out = Path(__file__).parent / "results" / "feedforward-speed.md"
    out.write_text("\n".join(lines) + "\n")
    print(f"written to {out}")


if __name__ == "__main__":
    main()
