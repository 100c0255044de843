"""Build of the compiled gate kernels; everything else about the package is in pyproject.toml.

src/rnnlab/backends/cpu/_gates.c (the gates), _gemm.c (the split loops' product with packed weights),
_loops.c (a thread's share of a split loop) and _fpmode.c (a thread's subnormal mode) are plain C with
no Python API, one library loaded with ctypes by native.py. It is built when a C compiler is there; without one the install goes on
(optional) and the NumPy backend runs.
"""

from setuptools import Extension, setup

setup(ext_modules=[Extension(
    "rnnlab.backends.cpu._native",
    sources=["src/rnnlab/backends/cpu/_gates.c", "src/rnnlab/backends/cpu/_gemm.c",
             "src/rnnlab/backends/cpu/_loops.c", "src/rnnlab/backends/cpu/_fpmode.c"],
    extra_compile_args=["-O3", "-fno-math-errno", "-fno-trapping-math", "-fopenmp-simd"],
    libraries=["m"],
    optional=True,
)])
