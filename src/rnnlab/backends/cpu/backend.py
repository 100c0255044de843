"""``CPUBackend``: the compiled steps, and their time loops split over threads where that applies."""

from __future__ import annotations

from .. import reference
from ..base import Backend
from . import native
from .kernels import twin
from .split import MIN_BLOCK, SplitLoops

__all__ = ["CPUBackend"]


class CPUBackend(Backend):
    """``threads``: how many threads a split loop may use (None: OpenBLAS's thread count at each call,
    which follows ``threadpoolctl.threadpool_limits``); ``min_block``: the fewest hidden units a thread
    takes (the loop is split into min(threads, H // min_block) blocks, or not at all below 2)."""

    name = "cpu"

    def __init__(self, threads: int | None = None, min_block: int = MIN_BLOCK) -> None:
        self.split = SplitLoops(threads, min_block)

    def forward_direction(self, kernel, XP, state0, W_hh, b_hh_rest, mask, keep=True):
        fast = twin(kernel)
        if fast is None:
            return reference.forward_direction(kernel, XP, state0, W_hh, b_hh_rest, mask, keep)
        S, ws = reference.allocate(fast, XP, state0, W_hh.shape[1], keep)
        if mask is None and self.split.forward(fast, XP, W_hh, b_hh_rest, S, ws, keep):
            return S, ws
        reference.forward_loop(fast, XP, W_hh, b_hh_rest, mask, S, ws, keep)
        return S, ws

    def backward_direction(self, kernel, ws, S, dY, dfinal, W_hh, mask):
        fast = twin(kernel)
        if fast is None:
            return reference.backward_direction(kernel, ws, S, dY, dfinal, W_hh, mask)
        if mask is None:
            done = self.split.backward(fast, ws, S, dY, dfinal, W_hh)
            if done is not None:
                return done
        return reference.backward_direction(fast, ws, S, dY, dfinal, W_hh, mask)

    def step_kernel(self, kernel):
        return twin(kernel) or kernel

    def info(self) -> dict:
        isa = {2: "AVX-512", 1: "AVX2+FMA", 0: "none (the loops stay on one thread)"}[native.gemm_isa(2)]
        return {"backend": self.name, "kernels": "compiled (C)", "packed product": isa,
                "loop threads": f"up to {self.split.threads()} (blocks of at least {self.split.min_block} units)"}
