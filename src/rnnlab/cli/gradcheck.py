"""``rnnlab gradcheck``: every backward pass against central differences, as a table."""

from __future__ import annotations

from .args import UsageError

__all__ = ["cmd_gradcheck"]


def cmd_gradcheck(args) -> int:
    from ..gradcheck import TOLERANCE, default_grid
    from ..nn import cell_kind

    try:
        cells = None if args.cell == "all" else [cell_kind(args.cell).name]
    except ValueError as e:
        raise UsageError(str(e)) from e
    rows = list(default_grid(None if args.full else args.max_elements, cells))
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
