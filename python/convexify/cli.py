"""Command line: `convexify info` and `convexify reproduce [--quick] [--out DIR] [--only LENS,...]`."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import List, Optional

from ._lenses import LENS_NAMES


def main(argv: Optional[List[str]] = None) -> int:
    parser = argparse.ArgumentParser(prog="convexify", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)
    sub.add_parser("info", help="version, compiler and flags, Eigen version and SIMD, threads, CUDA status")
    rep = sub.add_parser("reproduce", help="run every lens's study and write a report with verdicts")
    rep.add_argument("--quick", action="store_true", help="smaller studies (about 2 minutes on 2 cores)")
    rep.add_argument("--out", default="convexify-report", help="output folder (default: convexify-report)")
    rep.add_argument("--only", default="", help=f"comma-separated lenses: {','.join(LENS_NAMES)}")
    rep.add_argument("--threads", type=int, default=None, help="threads for the compiled core")
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
