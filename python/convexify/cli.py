"""Command line: `convexify info`, `convexify reproduce [--quick] [--out DIR] [--only L,..] [--threads N]`."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import List, NoReturn, Optional

from ._lenses import LENS_NAMES
from ._threads import MAX_THREADS


class _Parser(argparse.ArgumentParser):
    """An argument parser whose errors are one line naming the option (no usage block, no traceback)."""

    def error(self, message: str) -> NoReturn:
        self.exit(2, f"{self.prog}: error: {message}\n")


def _thread_count(text: str) -> int:
    try:
        n = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"must be an integer in [1, {MAX_THREADS}], got {text!r}") from None
    if not 1 <= n <= MAX_THREADS:
        raise argparse.ArgumentTypeError(f"must be an integer in [1, {MAX_THREADS}], got {n}")
    return n


def main(argv: Optional[List[str]] = None) -> int:
    from . import __version__

    parser = _Parser(prog="convexify", description=__doc__)
    parser.add_argument("--version", action="version", version=f"convexify {__version__}")
    sub = parser.add_subparsers(dest="command", required=True, parser_class=_Parser)
    sub.add_parser("info", help="version, compiler and flags, Eigen version and SIMD, threads, CUDA status")
    rep = sub.add_parser("reproduce", help="run every lens's study and write a report with verdicts")
    rep.add_argument("--quick", action="store_true", help="smaller studies (about 2 minutes on 2 cores)")
    rep.add_argument("--out", default="convexify-report", help="output folder (default: convexify-report)")
    rep.add_argument(
        "--only",
        default="",
        help=f"comma-separated lenses: {','.join(LENS_NAMES)} "
        "(a report of the same mode already in --out keeps the other lenses)",
    )
    rep.add_argument(
        "--threads",
        type=_thread_count,
        default=None,
        help="threads for all compute: the compiled core and numpy/SciPy's BLAS (default: OMP_NUM_THREADS)",
    )
    args = parser.parse_args(argv)

    if args.command == "info":
        from ._info import info_text

        print(info_text())
        return 0

    from . import reproduce, set_num_threads

    if args.threads is not None:
        set_num_threads(args.threads)
    only = [s.strip() for s in args.only.split(",") if s.strip()] or None
    try:
        reproduce.run(Path(args.out), quick=args.quick, only=only)
    except ValueError as exc:
        print(f"convexify reproduce: {exc}", file=sys.stderr)
        return 2
    print(f"report written to {Path(args.out) / 'report.md'}")
    return 0


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
