"""Thread control of the compiled core (docs/conventions.md#threads)."""

from __future__ import annotations

from . import _core
from ._validate import as_int

__all__ = ["set_num_threads", "get_num_threads"]


def set_num_threads(n: int) -> None:
    """Set the number of threads the core's parallel loops may use.

    The default honours ``OMP_NUM_THREADS`` (OpenMP's default otherwise).  Parallel loops run over
    independent work (sample blocks, matrix tiles, restarts) with single-threaded kernels inside and a fixed
    reduction order, and only above a size where they measurably pay, so results do not depend on ``n``.
    """
    _core.set_num_threads(as_int(n, "n", minimum=1))


def get_num_threads() -> int:
    """Threads the core's parallel loops may use."""
    return int(_core.num_threads())
