"""The ``rnnlab`` command line: one module a command (``cli/<command>.py``), each a function
``cmd_<name>(args) -> exit code``; the parser is ``cli/parser.py``. Errors the user can fix are raised as
``UsageError`` (exit 2) or ``ValueError``/``OSError`` (exit 1) and printed as one line.
"""

from __future__ import annotations

import importlib
import sys

from .args import UsageError, suggestion
from .parser import build_parser

__all__ = ["main", "build_parser", "UsageError", "COMMANDS"]

# command -> module of this package holding cmd_<command> (imported when the command runs)
COMMANDS = {"train": "train", "compare": "compare", "forecast": "forecast", "eval": "eval", "translate": "translate",
            "sample": "sample", "explain": "explain", "inspect": "inspect_run", "predict": "predict", "plot": "plot",
            "data": "data", "gradcheck": "gradcheck", "info": "info", "export": "export"}


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else list(argv)
    parser = build_parser(argv)
    try:
        args, extra = parser.parse_known_args(argv)
        texts = getattr(args, "text", None)
        if extra and isinstance(texts, list) and not any(e.startswith("-") and e != "-" for e in extra):
            texts += extra  # texts after an option (rnnlab translate RUN --beam 5 "a text")
            extra = []
        if extra:
            sub = parser.commands.get(args.command, parser)
            sub.error(f"unrecognized arguments: {' '.join(extra)}{suggestion(sub, extra)}")
    except SystemExit as e:  # a usage error (already printed in one line) or --help
        return int(e.code or 0)
    if args.command is None:
        parser.print_help()
        return 2
    from ..train.distributed import RankFailed, launched_rank, launched_size

    if launched_size() > 1 and args.command != "train":
        if launched_rank() == 0:
            print(f"rnnlab {args.command}: error: started as {launched_size()} processes (mpiexec, srun); only rnnlab "
                  f"train runs on several, every other command on one", file=sys.stderr)
        return 2
    try:
        from ..backends import get_backend

        get_backend()  # a bad RNNLAB_BACKEND fails here, before a command writes anything
        module = importlib.import_module(f".{COMMANDS[args.command]}", __name__)
        return getattr(module, f"cmd_{args.command}")(args)
    except RankFailed as e:  # another rank failed and the root has said why
        return e.code
    except UsageError as e:
        if args.debug:
            raise
        print(f"rnnlab {args.command}: error: {e}", file=sys.stderr)
        return 2
    except BrokenPipeError:  # the reader stopped early (| head): not an error
        import os

        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 0
    except (ValueError, OSError, ImportError) as e:
        if args.debug:
            raise
        print(f"rnnlab {args.command}: error: {e}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print(f"rnnlab {args.command}: interrupted", file=sys.stderr)
        return 130


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
