"""benchmarks.quiet.Watch tells a disturbed benchmark from a quiet one: CPU time taken by a process that
is not the benchmark's own is counted, the benchmark's own children's is not (compared within one run,
so whatever else the machine is doing cancels out)."""

from __future__ import annotations

import subprocess
import sys
import time

import pytest

pytest.importorskip("threadpoolctl")
from benchmarks.quiet import Verdict, Watch  # noqa: E402

BURN = "import time\nt = time.perf_counter()\nwhile time.perf_counter() - t < {s}: pass\n"


def test_a_stranger_burning_a_core_is_seen_and_our_own_children_are_not():
    with Watch() as own:
        subprocess.run([sys.executable, "-c", BURN.format(s=1.0)], check=True)  # waited for: ours
    with Watch() as stranger:
        # started by a shell that exits at once: the burner is not this process's child
        subprocess.run(["sh", "-c", f"{sys.executable} -c '{BURN.format(s=1.2)}' >/dev/null 2>&1 &"], check=True)
        time.sleep(1.0)
    assert stranger.verdict.foreign_cores - own.verdict.foreign_cores > 0.5
    assert not stranger.verdict.quiet


def test_the_verdict_names_what_disturbed_it():
    calm, busy = Verdict(0.01, 0.02, 0.1, 0.1), Verdict(0.01, 0.25, 0.1, 0.1)
    assert calm.quiet and not busy.quiet
    assert busy.describe().startswith("DISTURBED") and "+25.0%" in busy.describe()
