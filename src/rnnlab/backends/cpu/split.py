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
same way (backward_split). Each thread runs all T steps in one compiled call (_loops.c): the
product with W_b packed once per loop (_gemm.c, faster for these shapes than OpenBLAS, which packs
its operand again on every call: python -m benchmarks.gemm_shapes), the gate kernel of its block, and a
spinning barrier, with no Python and no GIL between steps. The equations are those of the reference
loops (backends/reference.py); tests/test_split.py checks the two agree and gradchecks through them.

Used when the CPU has AVX-512 or AVX2 with FMA (the packed product needs one of them), NumPy's BLAS is
OpenBLAS and may use more than one thread at the time of the call (``threadpoolctl.threadpool_limits``
is followed), there is no mask, and each block has at least MIN_BLOCK units. B threads run the loop,
B = OpenBLAS's thread count; OpenBLAS's idle workers are ended first (openblas.py). Otherwise the
backend runs the loop on the calling thread.
"""

from __future__ import annotations

import os
from concurrent.futures import ThreadPoolExecutor
from itertools import pairwise

import numpy as np

from . import native, openblas

__all__ = ["MIN_BLOCK", "SplitLoops"]

MIN_BLOCK = 100  # units per thread: the word LSTM 2x200 splits into two


def blocks(H: int, B: int) -> list[tuple[int, int]]:
    """(first unit, units) of each of B blocks of H units, as even as can be."""
    bounds = [H * i // B for i in range(B + 1)]
    return [(a, b - a) for a, b in pairwise(bounds)]


def _entries(kernel, ws):
    """(act, aux) of a kernel's workspace: aux LSTM tc, GRU hn, RNN h; the RNN has no act, aux stands in."""
    aux = ws[kernel.aux]
    return ws.get("act", aux), aux


def _step(a: np.ndarray) -> int:
    """Elements from one step's slice of ``a`` to the next."""
    return a.strides[0] // a.itemsize


class SplitLoops:
    """The split loops, with the thread pool they run on (made on first use, and again in a forked
    process, which inherits the pool object but none of its threads)."""

    def __init__(self, threads: int | None = None, min_block: int = MIN_BLOCK) -> None:
        self.fixed_threads, self.min_block = threads, min_block
        self._pool, self._workers, self._pid = None, 0, 0

    def threads(self) -> int:
        """The threads a loop may use now: as fixed, else OpenBLAS's thread count."""
        return openblas.threads() if self.fixed_threads is None else self.fixed_threads

    def plan(self, kernel, H: int, direction: str, dtype):
        """(the C loop, the blocks), or None when the loop of ``kernel`` (a compiled twin, kernels.py)
        should not be split now."""
        loop = native.function(f"split_{direction}", dtype)
        if loop is None or native.gemm_packed(dtype) is None:
            return None
        B = min(self.threads(), H // self.min_block)
        return None if B < 2 else (loop, blocks(H, B))

    def forward(self, kernel, XP, W_hh, b_rest, S, ws, keep: bool) -> bool:
        """Run the forward loop of ``kernel`` (a compiled twin: LSTM, GRU or RNN) split over units;
        False (nothing done) when it does not apply.

        XP (T, N, G*H) input pre-activations with the folded biases, each step's (N, G*H) C-contiguous
        (the reverse direction's flipped view is fine); W_hh (G*H, H); b_rest: GRU's b_hn (H,), added
        inside the loop, or None; S the state sequences (T+1, N, H) (LSTM (h, c), GRU and RNN (h,)) with
        S[i][0] set, filled here; ws the kernel's workspace, act (T', G, N, H) and LSTM tc / GRU hn
        (T', N, H) filled, or the RNN's h (T', N, H) (T' = T, or 1 when ``keep`` is False and each step
        overwrites the last).
        """
        T, N, GH = XP.shape
        G = kernel.gates
        H = GH // G
        plan = self.plan(kernel, H, "forward", XP.dtype)
        if (plan is None or not XP[0].flags.c_contiguous or W_hh.dtype != XP.dtype
                or not all(s.flags.c_contiguous and s.dtype == XP.dtype for s in S)):
            return False
        loop, parts = plan
        act, aux = _entries(kernel, ws)
        w = lambda a: _step(a) if keep else 0  # the workspace's: with keep False each step overwrites the last
        bn = None if b_rest is None else np.ascontiguousarray(b_rest, XP.dtype)

        def setup(b):
            j0, J = parts[b]
            Bp = native.pack(W_hh.reshape(G, H, H)[:, j0:j0 + J].reshape(G * J, H).T)  # W_b^T (H, G J)
            hp = np.empty((N, G * J), XP.dtype)  # hp_b: batch n, gate g, unit j at n G J + g J + j
            args = dict(kind=kernel.loop, relu=kernel.relu, T=T, N=N, J=J, H=H, G=G, j0=j0, Bp=Bp.ctypes.data,
                        hp=hp.ctypes.data, S0=S[0].ctypes.data, S1=S[-1].ctypes.data, ss=_step(S[0]),
                        XP=XP.ctypes.data, xs=_step(XP), bn=None if bn is None else bn.ctypes.data,
                        act=act.ctypes.data, as_=w(act), aux=aux.ctypes.data, xs_=w(aux))
            return args, (Bp, hp)

        self._run(loop, setup, len(parts))
        return True

    def backward(self, kernel, ws, S, dY, dfinal, W_hh):
        """The backward loop of ``kernel`` (a compiled twin) split over units; None when it does not
        apply, else (DXP, DHP, dstate0) as the reference backward_direction returns them. Thread b, for
        its units j, every step k = T-1..0:

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
        G = kernel.gates
        plan = self.plan(kernel, H, "backward", dtype)
        if plan is None or W_hh.dtype != dtype or not all(s.flags.c_contiguous for s in S):
            return None
        loop, parts = plan
        B = len(parts)
        act, aux = _entries(kernel, ws)
        DXP = np.empty((T, N, G * H), dtype)
        DHP = np.empty((T, N, G * H), dtype) if kernel.separate_dhp else DXP
        P = np.zeros((2, B, N, H), dtype)  # P_b by step parity
        if dfinal[0] is not None:
            P[T % 2, 0] = dfinal[0]
        # the carried term, alternating: LSTM dc_k and dc_{k-1}; GRU the direct path into dh_k and dh_{k-1}
        lstm = kernel.loop == 0
        first = dfinal[1] if lstm else None
        carry = [np.zeros((N, H), dtype) if first is None else np.array(first, dtype=dtype), np.empty((N, H), dtype)]
        if dY is not None:
            dY = np.ascontiguousarray(dY, dtype)  # the kernel reads dY_k's rows directly

        def setup(b):
            j0, J = parts[b]
            Bp = native.pack(W_hh.reshape(G, H, H)[:, j0:j0 + J].reshape(G * J, H))  # W_b (G J, H)
            dhpc = np.empty((N, G * J), dtype)
            args = dict(kind=kernel.loop, relu=kernel.relu, T=T, N=N, J=J, H=H, G=G, j0=j0, b=b, Bp=Bp.ctypes.data,
                        dhpc=dhpc.ctypes.data, act=act.ctypes.data, as_=_step(act), aux=aux.ctypes.data,
                        xs=_step(aux), prev=S[-1].ctypes.data, ss=_step(S[-1]), P=P.ctypes.data,
                        dY=None if dY is None else dY.ctypes.data, DXP=DXP.ctypes.data, DHP=DHP.ctypes.data,
                        ds=_step(DXP), carry0=carry[0].ctypes.data, carry1=carry[1].ctypes.data)
            return args, (Bp, dhpc)

        self._run(loop, setup, B)
        dh0 = P[0].sum(axis=0)
        if kernel.loop == 2:  # Elman RNN: no carried term
            return DXP, DHP, (dh0,)
        return (DXP, DHP, (dh0, carry[T % 2])) if lstm else (DXP, DHP, (dh0 + carry[T % 2],))

    def _run(self, loop, setup, B: int) -> None:
        """The compiled ``loop`` for every block b on its own thread of B (b = 0 on this one). ``setup(b)``
        prepares block b on its thread and returns (its arguments to ``loop`` but the barrier's counter,
        B and abort flag, by name; the arrays whose addresses those hold, kept alive until the loop is
        done). A thread that fails sets the flag, which releases the others from the barrier."""
        if self._workers < B - 1 or self._pid != os.getpid():
            self._pool = ThreadPoolExecutor(max_workers=B - 1, thread_name_prefix="rnnlab-split")
            self._workers, self._pid = B - 1, os.getpid()
        openblas.release_workers()  # spinning OpenBLAS workers would take the cores from these threads
        sync = np.zeros(2, np.int64)  # [steps finished by all threads * B, abort]
        count, abort = sync.ctypes.data, sync.ctypes.data + sync.itemsize
        flush = native.flush_mode()  # the workers compute in the caller's subnormal mode

        def work(b):
            was = native.set_flush_mode(flush) if b and flush is not None else None
            try:
                args, buffers = setup(b)
                loop(**args, counter=count, B=B, abort=abort)
                del buffers  # only now may they go
            except BaseException:
                sync[1] = 1  # release the other threads from the barrier
                raise
            finally:
                if was is not None:
                    native.set_flush_mode(was)

        futures = [self._pool.submit(work, b) for b in range(1, B)]
        try:
            work(0)
        finally:
            for fut in futures:
                fut.result()
