"""Data-parallel training over MPI (rnnlab.train.distributed): real ``mpiexec`` jobs against one process.

In float64, 2 and 4 ranks sharing each batch must give the losses and weights of one process with the
same batch to 1e-12 relative, for every task; a failure on one rank must end the job with one message,
never a hang; a rank killed with SIGKILL must leave a checkpoint that resumes bit for bit. The MPI jobs
skip where mpi4py or mpiexec is missing, and fail instead under RNNLAB_REQUIRE_MPI=1 (CI)."""

import json
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest
from safetensors.numpy import load_file

from rnnlab.train.distributed import Group, launched_rank, launched_size, local_size, thread_share

MPIEXEC = shutil.which("mpiexec", path=f"{Path(sys.executable).parent}{os.pathsep}{os.environ.get('PATH', '')}")
try:
    import mpi4py  # noqa: F401
    HAVE_MPI = MPIEXEC is not None
except ImportError:
    HAVE_MPI = False
needs_mpi = pytest.mark.skipif(not HAVE_MPI and os.environ.get("RNNLAB_REQUIRE_MPI") != "1",
                               reason="mpi4py or mpiexec is not installed (pip install 'rnnlab[mpi]')")
ENV = {k: v for k, v in os.environ.items() if not k.startswith(("PMI_", "OMPI_", "SLURM_"))} | {
    "OPENBLAS_NUM_THREADS": "1"}


class _Rank(Group):
    def __init__(self, rank, size):
        self.rank, self.size = rank, size


@pytest.mark.parametrize("n", [0, 1, 5, 6, 7, 64])
@pytest.mark.parametrize("size", [1, 2, 3, 4])
def test_the_parts_tile_the_batch_in_order_and_differ_by_one_at_most(n, size):
    parts = [_Rank(r, size).part(n) for r in range(size)]
    assert [i for p in parts for i in range(n)[p]] == list(range(n))
    lengths = [len(range(n)[p]) for p in parts]
    assert max(lengths) - min(lengths) <= 1 and lengths == sorted(lengths, reverse=True)


def test_the_launcher_is_read_from_its_variables():
    assert launched_size({}) == 1 and launched_rank({}) == 0
    assert launched_size({"PMI_SIZE": "4", "PMI_RANK": "3"}) == 4 and launched_rank({"PMI_SIZE": "4", "PMI_RANK": "3"}) == 3
    assert launched_size({"OMPI_COMM_WORLD_SIZE": "2"}) == 2
    slurm = {"SLURM_STEP_NUM_TASKS": "8", "SLURM_PROCID": "5", "SLURM_STEP_TASKS_PER_NODE": "2(x4)"}
    assert (launched_size(slurm), launched_rank(slurm), local_size(_Rank(5, 8), slurm)) == (8, 5, 2)
    assert launched_size({"SLURM_NTASKS": "8"}) == 1  # a batch script's own shell is one process
    assert local_size(_Rank(1, 3), {}) == 3  # a launcher that does not say: all on this machine


def test_each_rank_threads_on_its_share_of_the_cores():
    hydra = {"MPI_LOCALNRANKS": "2"}
    assert thread_share(_Rank(0, 1), {}, machine=8, bound=8) == 8
    assert thread_share(_Rank(1, 2), hydra, machine=8, bound=8) == 4
    assert thread_share(_Rank(1, 4), {"MPI_LOCALNRANKS": "3"}, machine=2, bound=2) == 1  # never 0
    assert thread_share(_Rank(3, 8), {"SLURM_STEP_TASKS_PER_NODE": "4(x2)"}, machine=16, bound=16) == 4
    assert thread_share(_Rank(3, 8), {"SLURM_STEP_TASKS_PER_NODE": "4(x2)"}, machine=16, bound=3) == 3  # srun bound it


def _main(env_extra, *argv):
    code = "import sys; from rnnlab.cli import main; sys.exit(main(sys.argv[1:]))"
    return subprocess.run([sys.executable, "-c", code, *argv], env=ENV | env_extra, capture_output=True, text=True,
                          timeout=120)


def test_a_launch_without_mpi4py_or_of_another_command_is_a_one_line_error(tmp_path):
    blocked = tmp_path / "block"
    blocked.mkdir()
    (blocked / "mpi4py.py").write_text("raise ImportError('hidden for this test')\n")
    p = _main({"PMI_SIZE": "2", "PMI_RANK": "0", "PYTHONPATH": str(blocked)}, "train", "--max-steps", "1",
              "--out", str(tmp_path / "run"))
    assert p.returncode == 1 and p.stderr.count("\n") == 1 and "mpi4py is not installed" in p.stderr, p.stderr
    assert not (tmp_path / "run").exists()
    p = _main({"PMI_SIZE": "2", "PMI_RANK": "0"}, "info")
    assert p.returncode == 2 and "only rnnlab train runs on several" in p.stderr
    assert _main({"PMI_SIZE": "2", "PMI_RANK": "1"}, "info").stderr == ""  # said once, by rank 0


@needs_mpi
def test_a_slurm_step_that_mpi_does_not_see_is_an_error_not_n_runs_into_one_folder(tmp_path):
    # what a batch script's own process, or srun with the wrong --mpi plugin, looks like: Slurm says 2
    # tasks, MPI initialises a singleton; training on would write one folder from each of them
    p = _main({"SLURM_STEP_NUM_TASKS": "2", "SLURM_PROCID": "0"}, "train", "--max-steps", "1",
              "--out", str(tmp_path / "run"))
    assert p.returncode == 1 and p.stderr.count("\n") == 1 and "srun --mpi=pmix" in p.stderr, p.stderr
    assert not (tmp_path / "run").exists()


# -- real MPI jobs ------------------------------------------------------------------------------------

def train(ranks, out, *flags, wait=True):
    lm = "--task" not in flags or flags[flags.index("--task") + 1] == "lm"
    cmd = [sys.executable, "-m", "rnnlab", "train", *flags, "--out", str(out), *(["--sample-length", "0"] * lm)]
    if ranks > 1:
        cmd = [MPIEXEC, "-n", str(ranks), *cmd]
    if not wait:
        with open(Path(out).with_suffix(".log"), "wb") as log:  # the child keeps its own descriptor
            return subprocess.Popen(cmd, env=ENV, stdout=subprocess.DEVNULL, stderr=log)
    p = subprocess.run(cmd, env=ENV, capture_output=True, text=True, timeout=300)
    assert p.returncode == 0, p.stderr
    return p


def losses(run):
    """Every loss and gradient norm of the run's metrics log, in order."""
    rows = [json.loads(line) for line in (run / "metrics.jsonl").read_text().splitlines()]
    return np.array([v for r in rows for k, v in sorted(r.items()) if "loss" in k or k == "grad_norm"])


def assert_same_run(a, b, rtol=1e-12):
    la, lb = losses(a), losses(b)
    assert la.shape == lb.shape and la.size > 4
    np.testing.assert_allclose(lb, la, rtol=rtol, atol=0)
    wa, wb = load_file(str(a / "checkpoint.safetensors")), load_file(str(b / "checkpoint.safetensors"))
    assert wa.keys() == wb.keys()
    for k in wa:  # relative to each tensor's scale
        scale = max(np.abs(wa[k]).max(), 1e-300)
        # the weights and carried state to rtol; Adam's moments are of gradients, and a gradient that is a
        # near-cancellation (seq2seq's attention query at 1e-9 of its terms) keeps summation order's
        # rounding at ~1e-13 of itself, squared in the second moment: 1e-10 there
        assert np.abs(wb[k] - wa[k]).max() / scale < (1e-10 if k.startswith("optim.") else rtol), k


def _tables(folder):
    rng = np.random.default_rng(0)
    words = {"good": ["fine", "great", "nice"], "bad": ["awful", "poor"], "meh": ["so", "so-so"]}
    for split, n in (("train", 29), ("valid", 5), ("test", 3)):  # 29 = 4 * 7 + 1: a last batch of one
        rows = ["text\tlabel"]
        for i in range(n):
            label = ["good", "good", "bad", "meh"][i % 4]
            rows.append(" ".join(rng.choice(words[label] + ["the", "film"], size=rng.integers(2, 9))) + f"\t{label}")
        (folder / f"{split}.tsv").write_text("\n".join(rows) + "\n")
    return folder


def _series(path):
    t = np.arange(150)
    path.write_text("value\n" + "".join(f"{10 + np.sin(i / 4) + 0.01 * i:.6f}\n" for i in t))
    return path


def _corpus(path):
    path.write_text("".join(f"the {w} sat on mat {i % 7}.\n" for i, w in enumerate(["cat", "dog", "emu"] * 40)))
    return path


SMALL = ["--hidden", "12", "--dtype", "float64", "--eval-every", "4", "--log-every", "2", "--checkpoint-every", "3"]
CASES = {
    "lm-lstm": lambda d: ["--data", str(_corpus(d / "c.txt")), "--layers", "2", "--batch-size", "6", "--seq-len", "9",
                          "--max-steps", "10", "--dropout", "0"],
    "lm-tcn": lambda d: ["--data", str(_corpus(d / "c.txt")), "--arch", "tcn", "--layers", "2", "--batch-size", "5",
                         "--seq-len", "8", "--max-steps", "8", "--dropout", "0"],
    "classify": lambda d: ["--task", "classify", "--data", str(_tables(d)), "--cell", "gru", "--bidirectional",
                           "--pool", "mean", "--class-weights", "balanced", "--batch-size", "7", "--epochs", "3"],
    "reber": lambda d: ["--task", "reber", "--cell", "rnn", "--batch-size", "5", "--examples", "20", "--epochs", "2"],
    "seq2seq": lambda d: ["--task", "seq2seq", "--data", "addition", "--batch-size", "6", "--max-steps", "6",
                          "--embed", "8"],
    "forecast": lambda d: ["--task", "forecast", "--data", str(_series(d / "s.csv")), "--column", "value",
                           "--horizon", "4", "--batch-size", "7", "--max-steps", "8"],
}


@needs_mpi
@pytest.mark.parametrize("case", CASES)
def test_two_ranks_train_as_one_process_with_the_same_batch(tmp_path, case):
    flags = CASES[case](tmp_path) + SMALL
    train(1, tmp_path / "one", *flags)
    p = train(2, tmp_path / "two", *flags)
    assert "on 2 MPI processes" in p.stderr and p.stderr.count("training a") == 1  # the root speaks for all
    assert_same_run(tmp_path / "one", tmp_path / "two")


@needs_mpi
def test_four_ranks_on_uneven_shares_train_as_one_process(tmp_path):
    flags = CASES["lm-lstm"](tmp_path) + SMALL
    train(1, tmp_path / "one", *flags)
    train(4, tmp_path / "four", *flags)  # 6 streams: shares of 2, 2, 1, 1
    assert_same_run(tmp_path / "one", tmp_path / "four")


@needs_mpi
def test_a_failure_on_one_rank_ends_every_rank_with_one_message(tmp_path):
    corpus = _corpus(tmp_path / "c.txt")
    # at set-up: only the root writes the run folder, and it finds one there already
    taken = tmp_path / "taken"
    taken.mkdir()
    (taken / "notes.txt").write_text("mine")
    p = subprocess.run([MPIEXEC, "-n", "2", sys.executable, "-m", "rnnlab", "train", "--data", str(corpus),
                        "--max-steps", "2", "--out", str(taken)], env=ENV, capture_output=True, text=True, timeout=120)
    assert p.returncode == 1 and p.stderr.count("error") == 1 and "is not empty" in p.stderr, p.stderr
    assert [f.name for f in taken.iterdir()] == ["notes.txt"]
    # inside training: rank 1 raises at its 5th step while rank 0 waits for it in the Allreduce
    script = ("import sys; from rnnlab.tasks.lm import LanguageModelTask as T; from rnnlab.cli import main\n"
              "step = T.forward_backward\n"
              "def boom(self, batch):\n"
              "    self.n = getattr(self, 'n', 0) + 1\n"
              "    if self.group.rank == 1 and self.n == 5: raise ValueError('boom')\n"
              "    return step(self, batch)\n"
              "T.forward_backward = boom\n"
              "sys.exit(main(sys.argv[1:]))\n")
    start = time.monotonic()
    p = subprocess.run([MPIEXEC, "-n", "2", sys.executable, "-c", script, "train", "--data", str(corpus),
                        "--max-steps", "50", "--checkpoint-every", "2", "--out", str(tmp_path / "run")],
                       env=ENV, capture_output=True, text=True, timeout=120)
    assert p.returncode != 0 and time.monotonic() - start < 60
    assert p.stderr.count("error on rank 1 of 2: boom") == 1, p.stderr
    load_file(str(tmp_path / "run" / "checkpoint.safetensors"))  # the last checkpoint is whole


def _rank_pid(job, rank, timeout=60):
    """The pid of the rank-th process of an mpiexec job (the launcher's child of a child)."""
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        for pid in filter(str.isdigit, os.listdir("/proc")):
            try:
                environ = Path(f"/proc/{pid}/environ").read_bytes().split(b"\0")
                cmdline = Path(f"/proc/{pid}/cmdline").read_bytes()
            except OSError:
                continue
            if f"PMI_RANK={rank}".encode() in environ and str(job).encode() in cmdline:
                return int(pid)
        time.sleep(0.1)
    raise AssertionError(f"no rank {rank} found")


@needs_mpi
def test_sigkill_of_one_rank_stops_the_job_and_the_run_resumes_bit_for_bit(tmp_path):
    flags = ["--data", str(_corpus(tmp_path / "c.txt")), "--hidden", "16", "--batch-size", "6", "--seq-len", "9",
             "--dropout", "0.3", "--dtype", "float64", "--checkpoint-every", "5", "--log-every", "5",
             "--eval-every", "40", "--max-steps", "400"]
    train(2, tmp_path / "whole", *flags)
    run = tmp_path / "killed"
    job = train(2, run, *flags, wait=False)
    while not (run / "checkpoint.safetensors").exists():
        assert job.poll() is None, run.with_suffix(".log").read_text()
        time.sleep(0.05)
    os.kill(_rank_pid(run, 1), signal.SIGKILL)
    job.wait(timeout=60)  # the launcher ends the other rank: no hang
    assert job.returncode != 0
    assert json.loads((run / "metrics.jsonl").read_text().splitlines()[-1])["step"] < 400
    p = subprocess.run([MPIEXEC, "-n", "3", sys.executable, "-m", "rnnlab", "train", "--resume", str(run)], env=ENV,
                       capture_output=True, text=True, timeout=120)
    assert p.returncode == 1 and "resume it with 2 (now 3): mpiexec -n 2" in p.stderr, p.stderr
    p = subprocess.run([MPIEXEC, "-n", "2", sys.executable, "-m", "rnnlab", "train", "--resume", str(run),
                        "--sample-length", "0"], env=ENV, capture_output=True, text=True, timeout=300)
    assert p.returncode == 0, p.stderr
    want, got = load_file(str(tmp_path / "whole" / "checkpoint.safetensors")), load_file(str(run / "checkpoint.safetensors"))
    assert want.keys() == got.keys() and all(np.array_equal(want[k], got[k]) for k in want)
    strip = lambda r: [{k: v for k, v in json.loads(x).items() if k != "tokens_per_s"}  # noqa: E731
                       for x in (r / "metrics.jsonl").read_text().splitlines()]
    assert strip(run) == strip(tmp_path / "whole")
