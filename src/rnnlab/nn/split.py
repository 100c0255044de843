"""The LSTM and GRU time loops, forward and backward, on several threads, each thread owning a block
of the hidden units.

With a small batch, one step's product h W_hh^T is too small for OpenBLAS to keep two cores busy,
and the gate arithmetic after it runs on one core. Here each of B threads (B = the BLAS thread count)
owns the units j in its block (J of them) and runs, every step:

    hp_b = h_{t-1} W_b^T               (N, G J)   W_b (G J, H): the rows of W_hh for its units, all G gates
                                                  (GRU: b_hn added to the columns of hn)
    gates of its units                 act[:, :, j], c_t[:, j], tanh(c_t)[:, j], h_t[:, j]  (compiled;
                                       GRU: act[:, :, j], hn[:, j], h_t[:, j])
    barrier                            every block of h_t is written before any thread reads it

so the B products run side by side instead of one product split by OpenBLAS. The product is the
compiled one (cells/_gemm.c) with W_b^T packed once per loop: 105-114 GFLOP/s on one core for these
shapes, where OpenBLAS, which packs its operand again on every call, reached 82-89. Without AVX-512
it is OpenBLAS's on one thread (threadpoolctl limits it inside the loop), as hp_b^T = W_b h^T, the
orientation it runs faster. The backward (backward_split) splits the same way, each
thread multiplying its block of the hidden pre-activations' gradient with its rows of W_hh into a
partial dh that all threads sum the next step. The equations are those of the one-thread loops (bptt.py);
tests/test_split.py checks the two agree and gradchecks through them.
Used when the compiled kernels are built, NumPy's BLAS is OpenBLAS on more than one thread with idle
workers that sleep soon (rnnlab/blas.py), there is no mask, and each block has at least MIN_BLOCK units.
"""

from __future__ import annotations

import os
from concurrent.futures import ThreadPoolExecutor
from itertools import pairwise

import numpy as np

from .. import blas
from .cells import native

__all__ = ["MIN_BLOCK", "backward_split", "forward_split"]

MIN_BLOCK = 128  # units per thread; at 100 (word LSTM 2x200) the split did not pay
_blas = None  # (threadpoolctl controller, BLAS thread count), found on first use
_pool = (None, 0, 0)  # (ThreadPoolExecutor, its threads, the process it belongs to: a fork has none)


def _blocks(H: int):
    """[(first unit, units)] for each thread, or None when the loop should not be split."""
    global _blas
    if _blas is None:
        _blas = (None, 1)
        if blas.workers_sleep():
            try:
                from threadpoolctl import ThreadpoolController
            except ImportError:
                pass
            else:
                controller = ThreadpoolController().select(internal_api="openblas")
                threads = min((lib.num_threads for lib in controller.lib_controllers), default=1)
                _blas = (controller, threads)
    B = min(_blas[1], H // MIN_BLOCK)
    if B < 2:
        return None
    bounds = [int(x) for x in np.linspace(0, H, B + 1)]
    return [(a, b - a) for a, b in pairwise(bounds)]


def forward_split(kernel, XP, W_hh, b_rest, S, ws, keep: bool) -> bool:
    """Run the forward loop of ``kernel`` (LSTM or GRU; any other has no compiled kernel and is left
    alone) split over units; False (nothing done) when it does not apply.

    XP (T, N, G*H) input pre-activations with the folded biases, each step's (N, G*H) C-contiguous
    (the reverse direction's flipped view is fine); W_hh (G*H, H); b_rest: GRU's b_hn (H,), added
    inside the loop, or None; S the state sequences (T+1, N, H) (LSTM (h, c), GRU (h,)) with S[i][0]
    set, filled here; ws the kernel's workspace, act (T', G, N, H) and LSTM tc / GRU hn (T', N, H)
    filled (T' = T, or 1 when ``keep`` is False and each step overwrites the last).
    """
    T, N, GH = XP.shape
    lstm, G = kernel.name == "lstm", kernel.gates
    H = GH // G
    f = native.function(f"{kernel.name}_forward", XP.dtype)
    blocks = None if f is None else _blocks(H)
    if blocks is None or not XP[0].flags.c_contiguous or not all(s.flags.c_contiguous for s in S):
        return False
    act, aux = ws["act"], ws["tc" if lstm else "hn"]
    step = lambda a: a.strides[0] if keep else 0  # bytes from one step's slice to the next
    it = XP.itemsize
    gemm = native.gemm_packed(XP.dtype)

    def setup(b):
        j0, J = blocks[b]
        Wb = W_hh.reshape(G, H, H)[:, j0:j0 + J].reshape(G * J, H)  # (G J, H), a copy
        h = S[0]
        hb, ss = h.ctypes.data, h.strides[0]
        if gemm:  # hp_b = h W_b^T (N, G J), compiled with W_b^T packed: gate g, unit j, batch n at n G J + g J + j
            Bp = native.pack(Wb.T)
            hp = np.empty((N, G * J), XP.dtype)
            bp, hpa, hps = Bp.ctypes.data, hp.ctypes.data, (G * J, J, 1)
            product = lambda t: gemm(N, H, G * J, hb + t * ss, H, bp, hpa, G * J)
            product.buffers = (Bp, hp)  # what bp and hpa point into, kept alive with it
        else:  # hp_b^T = W_b h^T (G J, N) with OpenBLAS, which runs this orientation faster
            Wb = np.ascontiguousarray(Wb)
            hpT = np.empty((G * J, N), XP.dtype)
            hp, hpa, hps = hpT.T, hpT.ctypes.data, (1, J * N, N)
            product = lambda t: np.dot(Wb, h[t].T, out=hpT)
        hn, bn = (None, None) if b_rest is None else (hp[:, 2 * J:], b_rest[j0:j0 + J])  # GRU: b_hn onto hn
        off = j0 * it
        xp, xs = XP.ctypes.data + off, XP.strides[0]
        h0 = hb + off
        c0 = S[-1].ctypes.data + off  # the LSTM's c; the GRU's h, unused
        a0, as_, x0, xs_ = act.ctypes.data + off, step(act), aux.ctypes.data + off, step(aux)

        def forward(t):
            product(t)
            if lstm:  # c_prev, act, c, tc, h
                args = (c0 + t * ss, H, a0 + t * as_, N * H, c0 + (t + 1) * ss, x0 + t * xs_, h0 + (t + 1) * ss)
            else:  # h_prev, act, hn, h
                if bn is not None:
                    np.add(hn, bn, out=hn)
                args = (h0 + t * ss, H, a0 + t * as_, N * H, x0 + t * xs_, h0 + (t + 1) * ss)
            f(N, J, xp + t * xs, GH, H, 1, hpa, *hps, *args)
        return forward

    _run(setup, T, len(blocks))
    return True


def _run(setup, T: int, B: int) -> None:
    """Steps i = 0..T-1 of every block b on B threads (b = 0 on this one), each step followed by a
    barrier that all threads pass together, with BLAS on one thread meanwhile. ``setup(b)`` prepares
    block b on its thread and returns its step function. A thread that fails releases the others."""
    global _pool
    if _pool[1] < B - 1 or _pool[2] != os.getpid():
        _pool = (ThreadPoolExecutor(max_workers=B - 1, thread_name_prefix="rnnlab-split"), B - 1, os.getpid())
    sync = np.zeros(2, np.int64)  # [steps finished by all threads * B, abort]
    count, abort = sync.ctypes.data, sync.ctypes.data + sync.itemsize

    def work(b):
        try:
            step = setup(b)
            for i in range(T):
                step(i)
                native.spin_barrier(count, B * (i + 1), abort)
                if sync[1]:
                    return
        except BaseException:
            sync[1] = 1  # release the other threads from the barrier
            raise

    with _blas[0].limit(limits=1):
        futures = [_pool[0].submit(work, b) for b in range(1, B)]
        try:
            work(0)
        finally:
            for fut in futures:
                fut.result()


def backward_split(kernel, ws, S, dY, dfinal, W_hh):
    """The backward loop of ``kernel`` (LSTM or GRU) split over units; None when it does not apply,
    else (DXP, DHP, dstate0) as bptt.backward_direction returns them. Thread b, for its units j,
    every step k = T-1..0:

        gates backward of its units (compiled), with dh[:, j] = dY_k[:, j] + the sum over threads q
            of the previous step's P_q[:, j] (GRU: + its own direct path dh z of the previous step);
            writes dXP (and GRU dHP) for its units, the carried term (LSTM dc_{k-1}, GRU dh z), and
            its block of dHP compacted: dhp_b (N, G J)
        P_b = dhp_b W_b            (N, G J) @ (G J, H): its share of dh_{k-1} = dHP_k W_hh
        barrier

    The product is the compiled one with W_b packed (native.gemm_packed); without it, OpenBLAS's,
    with P kept transposed (H, N), P_b^T = W_b^T dhp_b^T, an orientation it runs about 10% faster.
    P alternates between two buffers, as does the carried term, so that no thread overwrites what
    another may still be reading.
    """
    T = S[0].shape[0] - 1
    N, H = S[0].shape[1:]
    dtype = S[0].dtype
    lstm, G = kernel.name == "lstm", kernel.gates
    f = native.function(f"{kernel.name}_backward", dtype)
    blocks = None if f is None else _blocks(H)
    if blocks is None:
        return None
    B, it = len(blocks), S[0].itemsize
    act, aux = ws["act"], ws["tc" if lstm else "hn"]
    DXP = np.empty((T, N, G * H), dtype)
    DHP = DXP if lstm else np.empty((T, N, G * H), dtype)
    gemm = native.gemm_packed(dtype)
    P = np.zeros((2, B, N, H) if gemm else (2, B, H, N), dtype)  # P_b (or P_b^T) by step parity
    if dfinal[0] is not None:
        P[T % 2, 0] = dfinal[0] if gemm else np.asarray(dfinal[0]).T
    dr_dk = (H, 1) if gemm else (1, N)  # the partials' strides by batch row and by unit, in elements
    # the carried term, alternating: LSTM dc_k and dc_{k-1}; GRU the direct path into dh_k and dh_{k-1}
    first = dfinal[1] if lstm else None
    carry = [np.zeros((N, H), dtype) if first is None else np.array(first, dtype=dtype), np.empty((N, H), dtype)]
    if dY is not None:
        dY = np.ascontiguousarray(dY, dtype)  # the kernel reads dY_k's rows directly

    def setup(b):
        j0, J = blocks[b]
        Wb = W_hh.reshape(G, H, H)[:, j0:j0 + J].reshape(G * J, H)  # (G J, H), a copy
        dhpc = np.empty((N, G * J), dtype)
        if gemm:
            Bp = native.pack(Wb)
            bp, da, outs = Bp.ctypes.data, dhpc.ctypes.data, [P[0, b].ctypes.data, P[1, b].ctypes.data]
            product = lambda k: gemm(N, G * J, H, da, G * J, bp, outs[k % 2], H)
            product.buffers = (Bp, dhpc)  # what bp and da point into, kept alive with it
        else:
            WbT = np.ascontiguousarray(Wb.T)  # (H, G J)
            product = lambda k: np.dot(WbT, dhpc.T, out=P[k % 2, b])
        off = j0 * it
        a0, as_, x0, xs = act.ctypes.data + off, act.strides[0], aux.ctypes.data + off, aux.strides[0]
        s0, ss = S[-1].ctypes.data + off, S[-1].strides[0]  # LSTM c_{k-1}, GRU h_{k-1}
        d0, e0, ds = DXP.ctypes.data + off, DHP.ctypes.data + off, DXP.strides[0]
        cs = [a.ctypes.data + off for a in carry]
        p0, ps = P.ctypes.data + j0 * dr_dk[1] * it, P.strides[0]  # the partials of its units
        y0, ys = (None, 0) if dY is None else (dY.ctypes.data + off, dY.strides[0])

        def backward(i):
            k = T - 1 - i
            head = (N, J, H, a0 + k * as_, N * H, x0 + k * xs, s0 + k * ss, p0 + ((k + 1) % 2) * ps, *dr_dk, B,
                    N * H, None if y0 is None else y0 + k * ys)
            c_in, c_out = cs[i % 2], cs[(i + 1) % 2]
            if lstm:  # dc_next, da, dc_prev, dac
                f(*head, c_in, d0 + k * ds, c_out, dhpc.ctypes.data)
            else:  # dd, dxp, dhp, dh_prev (direct), dhpc
                f(*head, c_in, d0 + k * ds, e0 + k * ds, c_out, dhpc.ctypes.data)
            product(k)
        return backward

    _run(setup, T, B)
    dh0 = P[0].sum(axis=0) if gemm else np.ascontiguousarray(P[0].sum(axis=0).T)
    return (DXP, DHP, (dh0, carry[T % 2])) if lstm else (DXP, DHP, (dh0 + carry[T % 2],))
