"""The ``rnnlab gradcheck`` command: its table, its exit codes, its errors."""

import re
import subprocess
import sys

import rnnlab
from rnnlab.kernels import GRUKernel
from rnnlab.cli import main


def test_gradcheck_command_prints_a_table_and_passes(capsys):
    assert main(["gradcheck", "--cell", "gru", "--max-elements", "5"]) == 0
    out = capsys.readouterr().out.splitlines()
    assert out[0].split()[:2] == ["component", "configuration"]
    rows = [line for line in out[1:-1] if line.strip()]
    assert len(rows) == 18 and all(line.endswith("ok") for line in rows)
    assert any("layers=3 bidir=1 lengths=1 batch_first=1" in r for r in rows)
    assert any(r.startswith("gru cell") for r in rows)
    assert out[-1].startswith("18 passed, 0 failed")


def test_gradcheck_command_fails_on_a_wrong_backward(monkeypatch, capsys):
    good = GRUKernel.backward_step

    def bad(self, ws, k, dstate, prev, out=None):
        dxp, dhp, direct = good(self, ws, k, dstate, prev, out)
        return dxp, dhp, (direct[0] * 0.5,)

    monkeypatch.setattr(GRUKernel, "backward_step", bad)  # the reference kernel: run on the reference backend
    with rnnlab.use_backend("numpy"):
        assert main(["gradcheck", "--cell", "gru", "--max-elements", "5"]) == 1
    out = capsys.readouterr().out
    assert "FAIL" in out
    assert re.match(r"\d+ passed, [1-9]\d* failed", out.splitlines()[-1])


def test_unknown_cell_is_a_usage_error():
    r = subprocess.run([sys.executable, "-m", "rnnlab", "gradcheck", "--cell", "transformer"],
                       capture_output=True, text=True)
    assert r.returncode == 2
    assert "unknown cell 'transformer'; expected one of rnn, rnn_relu, lstm, gru" in r.stderr
    assert "Traceback" not in r.stderr and len(r.stderr.splitlines()) == 1


def test_every_flag_has_help_and_train_shows_its_defaults(capsys):
    from rnnlab import __version__
    from rnnlab.cli import build_parser

    from rnnlab.tasks import TASKS

    for task in TASKS:
        parser = build_parser(["train", "--task", task])
        for name, sub in parser.commands.items():
            for action in sub._actions:
                assert action.help, f"{name} {action.option_strings or action.dest} has no help"
                if name == "train" and action.option_strings and action.dest not in ("help", "resume", "preset",
                                                                                     "config"):
                    assert "(default: " in action.help, (task, action.option_strings)
    parser = build_parser(["train", "--task", "lm"])
    assert "(default: 256)" in parser.commands["train"].format_help().replace("\n", " ").replace("  ", " ")
    assert "ptb-word" in parser.commands["data"].format_help()
    assert main(["--version"]) == 0 and capsys.readouterr().out.strip() == f"rnnlab {__version__}"
