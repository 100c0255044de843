"""Compute backends: who runs the recurrent time loops.

    numpy   the reference (``reference.py``): each cell kernel's own NumPy step, one thread
    cpu     compiled (``cpu/``): the LSTM, GRU and Elman RNN steps in C, and their time loops split
            over the CPU's cores; proven equal to the reference; other kernels run the reference loop

The choice is made at call time, in this order: ``use_backend(name)`` / ``set_backend(name)`` in the
current context, else the environment variable ``RNNLAB_BACKEND``, else the fastest available (``cpu``
when its library was built, else ``numpy``). Importing rnnlab chooses nothing and changes nothing.
``rnnlab info`` shows what runs.

``flush_subnormals()`` makes the calling thread (and the split loops' threads while it calls them)
write and read float subnormals (|x| < 1.2e-38 in float32) as 0: Intel cores compute with them in
microcode, and a tanh RNN's vanishing gradients fall into that range. It changes results (by amounts
of that size), so it is never on unless asked for (``--flush-subnormals``); OpenBLAS's own worker
threads keep their mode.
"""

from .base import Backend
from .choice import NAMES, available, flush_subnormals, get_backend, set_backend, use_backend
from .cpu import CPUBackend
from .reference import NumpyBackend

__all__ = ["Backend", "NumpyBackend", "CPUBackend", "NAMES", "available", "flush_subnormals", "get_backend",
           "set_backend", "use_backend"]
