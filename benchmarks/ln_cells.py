"""The layer-normalised cells against the same cells written in PyTorch (no PyTorch layer exists: a
Python loop over the steps with torch.nn.LayerNorm, as a PyTorch user writes them), one training step
(forward and backward) of a 2-layer stack, one thread, in one run:

    python -m benchmarks.ln_cells [--T 35] [--N 20] [--H 200] [--reps 10]

Prints milliseconds per step for both and the ratio (PyTorch / rnnlab: above 1, rnnlab is faster), and
the plain compiled LSTM and GRU for scale. Run it on a quiet machine.
"""

from __future__ import annotations

import argparse
import os
import time

os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")

import numpy as np  # noqa: E402
import torch  # noqa: E402

from rnnlab.nn import cell_kind  # noqa: E402


class TorchLayerNormLSTM(torch.nn.Module):
    """rnnlab.kernels.ln_lstm's equations."""

    def __init__(self, D: int, H: int) -> None:
        super().__init__()
        self.ih, self.hh = torch.nn.Linear(D, 4 * H, bias=False), torch.nn.Linear(H, 4 * H, bias=False)
        self.ln_x, self.ln_h = torch.nn.LayerNorm(4 * H, bias=False), torch.nn.LayerNorm(4 * H)
        self.ln_c = torch.nn.LayerNorm(H)

    def forward(self, x):
        h = x.new_zeros(x.shape[1], self.hh.in_features)
        c, out, xs = torch.zeros_like(h), [], self.ln_x(self.ih(x))
        for t in range(x.shape[0]):
            i, f, g, o = (xs[t] + self.ln_h(self.hh(h))).chunk(4, 1)
            c = torch.sigmoid(f) * c + torch.sigmoid(i) * torch.tanh(g)
            h = torch.sigmoid(o) * torch.tanh(self.ln_c(c))
            out.append(h)
        return torch.stack(out)


class TorchLayerNormGRU(torch.nn.Module):
    """rnnlab.kernels.ln_gru's equations."""

    def __init__(self, D: int, H: int) -> None:
        super().__init__()
        self.ih, self.hh = torch.nn.Linear(D, 3 * H, bias=False), torch.nn.Linear(H, 3 * H, bias=False)
        self.ln_x, self.ln_h = torch.nn.LayerNorm(3 * H), torch.nn.LayerNorm(3 * H)

    def forward(self, x):
        h, out, xs = x.new_zeros(x.shape[1], self.hh.in_features), [], self.ln_x(self.ih(x))
        for t in range(x.shape[0]):
            xr, xz, xn = xs[t].chunk(3, 1)
            hr, hz, hn = self.ln_h(self.hh(h)).chunk(3, 1)
            r, z = torch.sigmoid(xr + hr), torch.sigmoid(xz + hz)
            h = (1 - z) * torch.tanh(xn + r * hn) + z * h
            out.append(h)
        return torch.stack(out)


def per_step(fn, reps: int) -> float:
    fn()
    t = time.perf_counter()
    for _ in range(reps):
        fn()
    return (time.perf_counter() - t) / reps * 1000


def main() -> None:
    ap = argparse.ArgumentParser(prog="python -m benchmarks.ln_cells")
    ap.add_argument("--T", type=int, default=35)
    ap.add_argument("--N", type=int, default=20)
    ap.add_argument("--H", type=int, default=200)
    ap.add_argument("--reps", type=int, default=10)
    args = ap.parse_args()
    torch.set_num_threads(1)
    T, N, H = args.T, args.N, args.H
    x = np.random.default_rng(0).normal(size=(T, N, H)).astype(np.float32)
    xt = torch.from_numpy(x)
    print(f"| cell (2 layers, T {T}, N {N}, H {H}, one thread) | PyTorch ms | rnnlab ms | ratio |")
    print("|---|---:|---:|---:|")
    for mode, torch_cell in (("ln_lstm", TorchLayerNormLSTM), ("ln_gru", TorchLayerNormGRU)):
        theirs = torch.nn.Sequential(torch_cell(H, H), torch_cell(H, H))
        ours = cell_kind(mode).layer(H, H, num_layers=2)

        def torch_step():
            theirs(xt).sum().backward()

        def our_step():
            y, _ = ours.forward(x)
            ours.backward(np.ones_like(y))

        t_ms, o_ms = per_step(torch_step, args.reps), per_step(our_step, args.reps)
        print(f"| {mode} | {t_ms:.1f} | {o_ms:.1f} | {t_ms / o_ms:.2f} |", flush=True)
    for mode in ("lstm", "gru"):
        plain = cell_kind(mode).layer(H, H, num_layers=2)

        def plain_step():
            y, _ = plain.forward(x)
            plain.backward(np.ones_like(y))

        print(f"| {mode} (compiled, for scale) | | {per_step(plain_step, args.reps):.1f} | |", flush=True)


if __name__ == "__main__":
    main()
