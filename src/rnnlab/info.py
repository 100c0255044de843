"""What runs here: rnnlab's version, the compute backend chosen now and what it uses (``rnnlab info``)."""

from __future__ import annotations

import platform

__all__ = ["info"]


def info() -> dict[str, str]:
    """Version, backend (and the others available), kernels, instruction set, loop threads, BLAS,
    whether --flush-subnormals can run here."""
    import numpy as np

    from . import __version__
    from .backends import available, get_backend
    from .backends.cpu import native

    facts = {"rnnlab": __version__, "python": platform.python_version(), "numpy": np.__version__}
    facts |= {k: str(v) for k, v in get_backend().info().items()}
    facts["backends available"] = ", ".join(available())
    try:
        from threadpoolctl import threadpool_info
    except ImportError:
        facts["blas"] = "unknown (threadpoolctl is not installed)"
    else:
        facts["blas"] = "; ".join(f"{lib.get('internal_api')} {lib.get('version')} ({lib.get('architecture')}, "
                                  f"{lib.get('num_threads')} threads)" for lib in threadpool_info()
                                  if lib.get("user_api") == "blas") or "none found"
    facts["cpu"] = _cpu_name()
    facts["flush subnormals"] = ("available" if native.flush_mode() is not None
                                 else "no (needs the compiled library on x86-64)")
    return facts


def _cpu_name() -> str:
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()
