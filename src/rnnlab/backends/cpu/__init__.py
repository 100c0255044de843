"""The compiled CPU backend: the reference kernels' steps in C and their time loops split over cores.

    native.py      loads the library built from _gates.c (steps), _gemm.c (packed product), _loops.c
                   (one thread's share of a split loop)
    kernels.py     the compiled twins of the LSTM, GRU and Elman RNN kernels
    split.py       the time loops split over threads by hidden units
    openblas.py    OpenBLAS's thread count at call time, and its idle workers
    backend.py     the backend that chooses among them

For a kernel whose class is exactly one of the reference kernels, a loop without a mask runs split
over threads when that applies (split.py), else on this thread with the compiled steps; any other
kernel (a new cell, or a subclass that overrides a step) runs its own steps in the reference loop.
"""

from . import native
from .backend import CPUBackend

__all__ = ["CPUBackend", "native"]
