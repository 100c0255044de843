"""The processes that train one model together: one process alone (``Solo``), or the ranks of an MPI
job (``MPIGroup``, through mpi4py) for data-parallel training.

Data parallelism, as the trainer (``rnnlab.train.Trainer``) and the tasks use it:

    every rank holds the same weights and optimiser state;
    each rank computes its share of every global batch (``group.part(n)``: a contiguous block of the
    batch's n sequences, sizes differing by at most one), with its mean loss L_r over w_r (tokens,
    sequences, or a mask's or class weights' sum);
    one Allreduce per step sums [w_r g_r ..., w_r L_r, w_r, count_r] over ranks, so every rank gets
    g = sum_r w_r g_r / sum_r w_r, the gradient of the whole batch's mean loss, up to summation order;
    clipping and the optimiser step then run identically everywhere.

Nothing is pickled: every message is a NumPy buffer (JSON text travels as bytes). ``world()`` is the
group this process was launched in; it imports mpi4py only when a launcher (mpiexec, srun) started
several processes.
"""

from __future__ import annotations

import json
import os

import numpy as np

__all__ = ["Group", "Solo", "MPIGroup", "world", "launched_size", "launched_rank", "local_size", "RankFailed"]

# set by launchers in every process they start: MPICH / Intel MPI (Hydra), Open MPI, Slurm's srun
_SIZE_VARIABLES = ("PMI_SIZE", "OMPI_COMM_WORLD_SIZE", "SLURM_STEP_NUM_TASKS")
_RANK_VARIABLES = ("PMI_RANK", "OMPI_COMM_WORLD_RANK", "SLURM_PROCID")
_LOCAL_VARIABLES = ("MPI_LOCALNRANKS", "OMPI_COMM_WORLD_LOCAL_SIZE", "SLURM_STEP_TASKS_PER_NODE")


class RankFailed(Exception):
    """Another rank failed and has reported it (this rank stays quiet); ``code`` is the exit code."""

    def __init__(self, code: int) -> None:
        super().__init__(f"another rank failed (exit code {code})")
        self.code = code


class Group:
    """What the trainer and the tasks need from a group of ``size`` processes, this one ``rank``."""

    rank: int = 0
    size: int = 1

    @property
    def is_root(self) -> bool:
        """Whether this process writes the run folder and prints (rank 0)."""
        return self.rank == 0

    def part(self, n: int) -> slice:
        """This rank's share of n items: the ``rank``-th of ``size`` contiguous blocks whose sizes differ
        by at most one (the first n % size blocks have one more)."""
        q, r = divmod(n, self.size)
        start = self.rank * q + min(self.rank, r)
        return slice(start, start + q + (self.rank < r))

    def allreduce(self, buffer: np.ndarray) -> np.ndarray:
        """``buffer`` (float, contiguous) replaced in place by its sum over ranks; returns it."""
        return buffer

    def allgather(self, array: np.ndarray, axis: int = 0) -> np.ndarray:
        """Every rank's ``array`` joined along ``axis`` in rank order (the other axes must agree)."""
        return array

    def allgather_json(self, obj) -> list:
        """Every rank's JSON-serialisable ``obj``, in rank order."""
        return [obj]

    def any(self, *flags: bool) -> tuple[bool, ...]:
        """For each flag, whether it is true on any rank (every rank must ask, with as many flags)."""
        return tuple(bool(f) for f in flags)

    def agree(self, error: BaseException | None) -> None:
        """After a phase every rank runs (set-up): if any rank failed, every rank stops together. The
        root raises the first failure (its own as it was; another rank's as ValueError naming the rank);
        the others raise ``RankFailed``, quietly, so the job prints one message."""
        if error is not None:
            raise error

    def abort(self, code: int) -> None:
        """End every rank now (a failure inside training, where the others may be waiting in a
        collective call and would hang): MPI_Abort. Alone: nothing to do."""

    def describe(self) -> str:
        return "one process"


class Solo(Group):
    """One process: every collective operation is the identity."""


class MPIGroup(Group):
    """The ranks of ``comm`` (an mpi4py communicator, normally ``MPI.COMM_WORLD``)."""

    def __init__(self, comm) -> None:
        from mpi4py import MPI

        self.MPI, self.comm = MPI, comm
        self.rank, self.size = comm.Get_rank(), comm.Get_size()

    def allreduce(self, buffer: np.ndarray) -> np.ndarray:
        self.comm.Allreduce(self.MPI.IN_PLACE, buffer, op=self.MPI.SUM)
        return buffer

    def allgather(self, array: np.ndarray, axis: int = 0) -> np.ndarray:
        a = np.ascontiguousarray(np.moveaxis(array, axis, 0))
        rows = np.zeros(self.size, np.int64)
        rows[self.rank] = a.shape[0]
        self.comm.Allreduce(self.MPI.IN_PLACE, rows, op=self.MPI.SUM)
        row = int(np.prod(a.shape[1:], dtype=np.int64))
        out = np.empty((int(rows.sum()),) + a.shape[1:], a.dtype)
        counts = rows * row
        displs = np.concatenate([[0], np.cumsum(counts)[:-1]])
        self.comm.Allgatherv(a, [out, (counts, displs)])
        return np.moveaxis(out, 0, axis)

    def allgather_json(self, obj) -> list:
        data = np.frombuffer(json.dumps(obj).encode(), np.uint8)
        return [json.loads(bytes(part)) for part in self._split(self.allgather(data), data.size)]

    def _split(self, joined: np.ndarray, mine: int) -> list[np.ndarray]:
        sizes = np.zeros(self.size, np.int64)
        sizes[self.rank] = mine
        self.comm.Allreduce(self.MPI.IN_PLACE, sizes, op=self.MPI.SUM)
        return np.split(joined, np.cumsum(sizes)[:-1])

    def any(self, *flags: bool) -> tuple[bool, ...]:
        votes = np.array([1 if f else 0 for f in flags], np.int64)
        self.comm.Allreduce(self.MPI.IN_PLACE, votes, op=self.MPI.SUM)
        return tuple(bool(v) for v in votes)

    def agree(self, error: BaseException | None) -> None:
        mine = None if error is None else {"type": type(error).__name__, "message": str(error),
                                            "code": getattr(error, "exit_code", 2 if _is_usage(error) else 1)}
        reports = self.allgather_json(mine)
        failed = [(r, rep) for r, rep in enumerate(reports) if rep is not None]
        if not failed:
            return
        first, rep = failed[0]
        if not self.is_root:
            raise RankFailed(rep["code"])
        if first == 0:
            raise error
        raise ValueError(f"rank {first} of {self.size}: {rep['message']}")

    def abort(self, code: int) -> None:
        self.comm.Abort(code)

    def describe(self) -> str:
        return f"{self.size} MPI processes"


def _is_usage(error: BaseException) -> bool:
    return type(error).__name__ == "UsageError"


def _launcher(environ) -> tuple[str | None, int]:
    """The variable a launcher announced its process count in, and the count (None, 1: no launcher)."""
    for name in _SIZE_VARIABLES:
        value = environ.get(name, "")
        if value.isdigit():
            return name, int(value)
    return None, 1


def launched_size(environ=None) -> int:
    """How many processes the launcher says it started (1 when no launcher did)."""
    return _launcher(os.environ if environ is None else environ)[1]


def launched_rank(environ=None) -> int:
    """This process's rank as the launcher set it (0 when no launcher did)."""
    environ = os.environ if environ is None else environ
    if launched_size(environ) <= 1:
        return 0
    for name in _RANK_VARIABLES:
        value = environ.get(name, "")
        if value.isdigit():
            return int(value)
    return 0


def local_size(group: Group, environ=None) -> int:
    """How many of the group's processes share this machine (from the launcher; ``group.size`` if it
    does not say)."""
    environ = os.environ if environ is None else environ
    for name in _LOCAL_VARIABLES:
        value = environ.get(name, "").split("(")[0].split(",")[0]  # Slurm: "2(x3),1"
        if value.isdigit():
            return int(value)
    return group.size


def thread_share(group: Group, environ=None, machine: int | None = None, bound: int | None = None) -> int:
    """How many threads this process should use: the cores the launcher bound it to, if it bound it to
    fewer than the machine has (srun's task binding), else the machine's cores divided among the group's
    processes on it. ``machine`` and ``bound`` default to this machine's core count and affinity."""
    machine = machine or os.cpu_count() or 1
    if bound is None:
        bound = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else machine
    return bound if bound < machine else max(1, machine // local_size(group, environ))


def world() -> Group:
    """The group this process belongs to: ``Solo()`` unless a launcher started several processes,
    then the MPI job's ``MPIGroup`` (mpi4py is imported here, and only then)."""
    variable, n = _launcher(os.environ)
    if n <= 1:
        return Solo()
    try:
        from mpi4py import MPI
    except ImportError as e:
        raise ImportError(f"this process is one of {n} started by an MPI launcher, but mpi4py is not installed: "
                          f"pip install 'rnnlab[mpi]' (or run without mpiexec / srun)") from e
    group = MPIGroup(MPI.COMM_WORLD)
    if group.size != n and variable.startswith("SLURM_"):
        raise ImportError(f"Slurm says this step has {n} tasks but MPI sees {group.size}: run rnnlab under srun "
                          f"(not straight from the batch script), with the process-management plugin your MPI "
                          f"library was built for (srun --mpi=pmix or --mpi=pmi2; srun --mpi=list shows them)")
    if group.size != n:
        raise ImportError(f"the launcher started {n} processes but MPI sees {group.size}: mpi4py was built for another "
                          f"MPI library than the one whose mpiexec started them; use that library's mpiexec "
                          f"(`python -c 'import mpi4py; print(mpi4py.get_config())'` tells which)")
    return group
