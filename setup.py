"""Build of the compiled LSTM gate kernels; everything else about the package is in pyproject.toml.

src/rnnlab/nn/cells/_gates.c is plain C with no Python API, loaded with ctypes by native.py. It is
built when a C compiler is there; without one the install goes on (optional) and the NumPy kernels run.
"""

from setuptools import Extension, setup

setup(ext_modules=[Extension(
    "rnnlab.nn.cells._gates",
    sources=["src/rnnlab/nn/cells/_gates.c"],
    extra_compile_args=["-O3", "-fno-math-errno", "-fno-trapping-math", "-fopenmp-simd"],
    libraries=["m"],
    optional=True,
)])
