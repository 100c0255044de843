"""The LSTM, GRU and Elman RNN time loops, forward and backward, on several threads, each thread owning
a block of the hidden units.

With a small batch, one step's product h W_hh^T is too small for OpenBLAS to keep two cores busy,
and the gate arithmetic after it runs on one core. Here each of B threads (B = the BLAS thread count)
owns the units j in its block (J of them) and runs, every step:

    hp_b = h_{t-1} W_b^T               (N, G J)   W_b (G J, H): the rows of W_hh for its units, all G gates
                                                  (GRU: b_hn added to the columns of hn)
    gates of its units                 act[:, :, j], c_t[:, j], tanh(c_t)[:, j], h_t[:, j]  (compiled;
                                       GRU: act[:, :, j], hn[:, j], h_t[:, j]; RNN: h_t[:, j])
    barrier                            every block of h_t is written before any thread reads it

so the B products run side by side instead of one product split by OpenBLAS. The backward splits the
same way (backward_split). Each thread runs all T steps in one compiled call (cells/_loops.c): the
product with W_b packed once per loop (cells/_gemm.c; for H=512, N=32 105-111 GFLOP/s on one core
where OpenBLAS, which packs its operand again on every call, reaches 80-88: python -m
benchmarks.gemm_shapes), the gate kernel of its block, and a spinning barrier, with no Python and no
GIL between steps. The equations are those of the one-thread loops (bptt.py); tests/test_split.py
checks the two agree and gradchecks through them.

Used when the compiled kernels are built and the CPU has AVX-512 or AVX2 with FMA (the packed product
needs one of them),
NumPy's BLAS is OpenBLAS on more than one thread with idle workers that sleep soon (rnnlab/blas.py:
spinning workers would take the cores from these threads), there is no mask, and each block has at
least MIN_BLOCK units. Otherwise bptt.py runs the loop on this thread, with OpenBLAS's products.
"""

from __future__ import annotations

import os
from concurrent.futures import ThreadPoolExecutor
from itertools import pairwise

import numpy as np

from .. import blas
from .cells import native

__all__ = ["MIN_BLOCK", "backward_split", "forward_split"]

MIN_BLOCK = 100  # units per thread: the word LSTM 2x200 splits into two (its training step 0.87-0.95x, paired)
_KIND = {"lstm": 0, "gru": 1, "rnn": 2}  # as _loops.c numbers them
_AUX = {"lstm": "tc", "gru": "hn", "rnn": "h"}  # the workspace entry, besides act, that each kernel fills
_threads = None  # the BLAS thread count, found on first use
_pool = (None, 0, 0)  # (ThreadPoolExecutor, its threads, the process it belongs to: a fork has none)


def _blocks(H: int, name: str, direction: str, dtype):
    """(the C loop, [(first unit, units)] for each thread), or None when the loop should not be split."""
    global _threads
    loop = native.function(f"split_{direction}", dtype)
    if loop is None or name not in _KIND or native.gemm_packed(dtype) is None:
        return None
    if _threads is None:
        _threads = 1
        if blas.workers_sleep():
            try:
                from threadpoolctl import ThreadpoolController
            except ImportError:
                pass
            else:
                libs = ThreadpoolController().select(internal_api="openblas").lib_controllers
                _threads = min((lib.num_threads for lib in libs), default=1)
    B = min(_threads, H // MIN_BLOCK)
    if B < 2:
        return None
    bounds = [H * i // B for i in range(B + 1)]
    return loop, [(a, b - a) for a, b in pairwise(bounds)]


def _relu(kernel) -> int:
    return int(getattr(kernel, "nonlinearity", None) == "relu")


def _entries(ws, name: str):
    """(act, aux) of a kernel's workspace: aux LSTM tc, GRU hn, RNN h; the RNN has no act, aux stands in."""
    aux = ws[_AUX[name]]
    return ws.get("act", aux), aux


def _step(a: np.ndarray) -> int:
    """Elements from one step's slice of ``a`` to the next."""
    return a.strides[0] // a.itemsize


def forward_split(kernel, XP, W_hh, b_rest, S, ws, keep: bool) -> bool:
    """Run the forward loop of ``kernel`` (LSTM, GRU or RNN) split over units; False (nothing done)
    when it does not apply.

    XP (T, N, G*H) input pre-activations with the folded biases, each step's (N, G*H) C-contiguous
    (the reverse direction's flipped view is fine); W_hh (G*H, H); b_rest: GRU's b_hn (H,), added
    inside the loop, or None; S the state sequences (T+1, N, H) (LSTM (h, c), GRU and RNN (h,)) with
    S[i][0] set, filled here; ws the kernel's workspace, act (T', G, N, H) and LSTM tc / GRU hn
    (T', N, H) filled, or the RNN's h (T', N, H) (T' = T, or 1 when ``keep`` is False and each step
    overwrites the last).
    """
    T, N, GH = XP.shape
    name, G = kernel.name, kernel.gates
    H = GH // G
    split = _blocks(H, name, "forward", XP.dtype)
    if (split is None or not XP[0].flags.c_contiguous or W_hh.dtype != XP.dtype
            or not all(s.flags.c_contiguous and s.dtype == XP.dtype for s in S)):
        return False
    loop, blocks = split
    act, aux = _entries(ws, name)
    w = lambda a: _step(a) if keep else 0  # the workspace's: with keep False each step overwrites the last
    bn = None if b_rest is None else np.ascontiguousarray(b_rest, XP.dtype)

    def setup(b):
        j0, J = blocks[b]
        Bp = native.pack(W_hh.reshape(G, H, H)[:, j0:j0 + J].reshape(G * J, H).T)  # W_b^T (H, G J)
        hp = np.empty((N, G * J), XP.dtype)  # hp_b: batch n, gate g, unit j at n G J + g J + j
        args = (_KIND[name], _relu(kernel), T, N, J, H, G, j0, Bp.ctypes.data, hp.ctypes.data,
                S[0].ctypes.data, S[-1].ctypes.data, _step(S[0]), XP.ctypes.data, _step(XP),
                None if bn is None else bn.ctypes.data, act.ctypes.data, w(act), aux.ctypes.data, w(aux))
        return args, (Bp, hp)

    _run(loop, setup, len(blocks))
    return True


def backward_split(kernel, ws, S, dY, dfinal, W_hh):
    """The backward loop of ``kernel`` (LSTM, GRU or RNN) split over units; None when it does not apply,
    else (DXP, DHP, dstate0) as bptt.backward_direction returns them. Thread b, for its units j,
    every step k = T-1..0:

        gates backward of its units (compiled), with dh[:, j] = dY_k[:, j] + the sum over threads q
            of the previous step's P_q[:, j] (GRU: + its own direct path dh z of the previous step);
            writes dXP (and GRU dHP) for its units, the carried term (LSTM dc_{k-1}, GRU dh z), and
            its block of dHP compacted: dhp_b (N, G J)
        P_b = dhp_b W_b            (N, G J) @ (G J, H): its share of dh_{k-1} = dHP_k W_hh
        barrier

    P alternates between two buffers, as does the carried term, so that no thread overwrites what
    another may still be reading.
    """
    T = S[0].shape[0] - 1
    N, H = S[0].shape[1:]
    dtype = S[0].dtype
    name, G = kernel.name, kernel.gates
    split = _blocks(H, name, "backward", dtype)
    if split is None or W_hh.dtype != dtype or not all(s.flags.c_contiguous for s in S):
        return None
    loop, blocks = split
    B = len(blocks)
    act, aux = _entries(ws, name)
    DXP = np.empty((T, N, G * H), dtype)
    DHP = np.empty((T, N, G * H), dtype) if kernel.separate_dhp else DXP
    P = np.zeros((2, B, N, H), dtype)  # P_b by step parity
    if dfinal[0] is not None:
        P[T % 2, 0] = dfinal[0]
    # the carried term, alternating: LSTM dc_k and dc_{k-1}; GRU the direct path into dh_k and dh_{k-1}
    first = dfinal[1] if name == "lstm" else None
    carry = [np.zeros((N, H), dtype) if first is None else np.array(first, dtype=dtype), np.empty((N, H), dtype)]
    if dY is not None:
        dY = np.ascontiguousarray(dY, dtype)  # the kernel reads dY_k's rows directly

    def setup(b):
        j0, J = blocks[b]
        Bp = native.pack(W_hh.reshape(G, H, H)[:, j0:j0 + J].reshape(G * J, H))  # W_b (G J, H)
        dhpc = np.empty((N, G * J), dtype)
        args = (_KIND[name], _relu(kernel), T, N, J, H, G, j0, b, Bp.ctypes.data, dhpc.ctypes.data,
                act.ctypes.data, _step(act), aux.ctypes.data, _step(aux), S[-1].ctypes.data, _step(S[-1]),
                P.ctypes.data, None if dY is None else dY.ctypes.data, DXP.ctypes.data, DHP.ctypes.data,
                _step(DXP), carry[0].ctypes.data, carry[1].ctypes.data)
        return args, (Bp, dhpc)

    _run(loop, setup, B)
    dh0 = P[0].sum(axis=0)
    if name == "rnn":
        return DXP, DHP, (dh0,)
    return (DXP, DHP, (dh0, carry[T % 2])) if name == "lstm" else (DXP, DHP, (dh0 + carry[T % 2],))


def _run(loop, setup, B: int) -> None:
    """The compiled ``loop`` for every block b on its own thread of B (b = 0 on this one). ``setup(b)``
    prepares block b on its thread and returns (its arguments to ``loop`` before the barrier's counter,
    B and abort flag; the arrays whose addresses those hold, kept alive until the loop is done).
    A thread that fails sets the flag, which releases the others from the barrier."""
    global _pool
    if _pool[1] < B - 1 or _pool[2] != os.getpid():
        _pool = (ThreadPoolExecutor(max_workers=B - 1, thread_name_prefix="rnnlab-split"), B - 1, os.getpid())
    sync = np.zeros(2, np.int64)  # [steps finished by all threads * B, abort]
    count, abort = sync.ctypes.data, sync.ctypes.data + sync.itemsize

    def work(b):
        try:
            args, buffers = setup(b)
            loop(*args, count, B, abort)
            del buffers  # only now may they go
        except BaseException:
            sync[1] = 1  # release the other threads from the barrier
            raise

    futures = [_pool[0].submit(work, b) for b in range(1, B)]
    try:
        work(0)
    finally:
        for fut in futures:
            fut.result()
