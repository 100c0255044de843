"""``rnnlab info``: version, backend, instruction set, threads, BLAS."""

from __future__ import annotations

import json

__all__ = ["cmd_info"]


def cmd_info(args) -> int:
    from ..info import info

    facts = info()
    if args.json:
        print(json.dumps(facts))
    else:
        width = max(map(len, facts))
        for k, v in facts.items():
            print(f"{k + ':':<{width + 1}}  {v}")
    return 0
