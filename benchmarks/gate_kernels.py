"""One time step's gate arithmetic, compiled kernels against NumPy: python -m benchmarks.gate_kernels.

Times forward_step and backward_step of the LSTM and GRU kernels on the arrays the time loop hands
over, for each workload's batch and hidden size: the NumPy reference (rnnlab.kernels) and the CPU
backend's compiled twin (rnnlab.backends.cpu.kernels). Best of 5 batches of calls, one thread,
microseconds per call, with rnnlab.keep_heap() as in training.
"""

from __future__ import annotations

import numpy as np

from rnnlab import keep_heap
from rnnlab.backends.cpu import native
from rnnlab.backends.cpu.kernels import twin
from rnnlab.kernels import GRUKernel, LSTMKernel

from .timing import best_seconds
from .workloads import WORKLOADS


def best_us(f) -> float:
    return best_seconds(f, 1000) * 1e6


def time_step(kernel, N: int, H: int) -> tuple[float, float]:
    rng = np.random.default_rng(0)
    G, f32 = kernel.gates, np.float32
    xp = rng.standard_normal((N, G * H), dtype=f32)
    hp = rng.standard_normal((G * H, N), dtype=f32).T  # W_hh h^T, read transposed
    prev = tuple(rng.standard_normal((N, H), dtype=f32) for _ in range(kernel.n_states))
    dstate = tuple(rng.standard_normal((N, H), dtype=f32) for _ in range(kernel.n_states))
    ws = kernel.workspace(1, N, H, f32)
    out = np.empty((N, G * H), f32)
    return (best_us(lambda: kernel.forward_step(ws, 0, xp, hp, prev)),
            best_us(lambda: kernel.backward_step(ws, 0, dstate, prev, out)))


def main() -> None:
    if not native.available():
        raise SystemExit("gate_kernels: the compiled kernels are not built (pip install needs a C compiler)")
    keep_heap()
    print("| kernel | N | H | forward NumPy / compiled (us) | backward NumPy / compiled (us) |")
    print("|---|---:|---:|---:|---:|")
    for w in WORKLOADS:
        if w.cell not in ("lstm", "gru"):
            continue
        kernel = LSTMKernel() if w.cell == "lstm" else GRUKernel()
        slow = time_step(kernel, w.batch, w.hidden)  # the NumPy reference step
        fast = time_step(twin(kernel), w.batch, w.hidden)  # the CPU backend's compiled step
        print(f"| {w.cell} | {w.batch} | {w.hidden} | {slow[0]:.1f} / {fast[0]:.1f} | {slow[1]:.1f} / {fast[1]:.1f} |",
              flush=True)


if __name__ == "__main__":
    main()
