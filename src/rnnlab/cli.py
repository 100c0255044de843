"""The ``rnnlab`` command line.

Every subcommand is a function ``cmd_<name>(args) -> exit code``; errors the user can fix are
raised as ``UsageError`` (exit 2) or ``ValueError``/``OSError`` (exit 1) and printed as one line.
"""

from __future__ import annotations

import argparse
import sys

__all__ = ["main", "build_parser", "UsageError"]


class UsageError(Exception):
    """A mistake in the command line itself (exit code 2)."""


def cmd_gradcheck(args) -> int:
    from .gradcheck import MODES, TOLERANCE, default_grid

    wanted = set(MODES) if args.cell == "all" else {args.cell}
    rows = [r for r in default_grid(None if args.full else args.max_elements)
            if args.cell == "all" or r[0].split()[0] in wanted]
    width = max(len(c) for c, _, _ in rows), max(len(c) for _, c, _ in rows)
    print(f"{'component':<{width[0]}}  {'configuration':<{width[1]}}  {'max rel error':>13}  result")
    failed = 0
    for comp, cfg, check in rows:
        errors = check()
        worst = max(errors.values())
        ok = worst < TOLERANCE
        failed += not ok
        where = "" if ok else f"  (worst: {max(errors, key=errors.get)})"
        print(f"{comp:<{width[0]}}  {cfg:<{width[1]}}  {worst:13.2e}  {'ok' if ok else 'FAIL'}{where}", flush=True)
    print(f"{len(rows) - failed} passed, {failed} failed (tolerance {TOLERANCE:.0e}, central differences "
          f"in float64)")
    return 1 if failed else 0


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="rnnlab", description="Recurrent neural networks in NumPy, "
                                "with hand-derived backpropagation through time.")
    p.add_argument("--debug", action="store_true", help="show tracebacks on errors")
    sub = p.add_subparsers(dest="command", metavar="COMMAND")

    g = sub.add_parser("gradcheck", help="check every backward pass against central differences")
    g.add_argument("--cell", default="all", choices=["all", "rnn_tanh", "rnn_relu", "lstm", "gru"],
                   help="which recurrent kind to check (default: all, plus the other layers)")
    g.add_argument("--max-elements", type=int, default=20, metavar="K",
                   help="check K random elements of each tensor (default 20)")
    g.add_argument("--full", action="store_true", help="check every element of every tensor")
    g.set_defaults(func=cmd_gradcheck)
    return p


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if args.command is None:
        parser.print_help()
        return 2
    try:
        return args.func(args)
    except UsageError as e:
        if args.debug:
            raise
        print(f"rnnlab {args.command}: error: {e}", file=sys.stderr)
        return 2
    except (ValueError, OSError) as e:
        if args.debug:
            raise
        print(f"rnnlab {args.command}: error: {e}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print(f"rnnlab {args.command}: interrupted", file=sys.stderr)
        return 130


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
