"""Thread control of all compute: the compiled core and the BLAS/LAPACK under numpy and SciPy
(docs/conventions.md#threads)."""

from __future__ import annotations

from contextlib import contextmanager
from typing import Iterator

from . import _core
from ._validate import as_int

__all__ = ["set_num_threads", "get_num_threads", "threads"]

# OpenMP takes an int; far beyond any machine's cores, and well inside C int.
MAX_THREADS = 4096


def _limit_blas(n: int) -> None:
    from threadpoolctl import threadpool_limits

    threadpool_limits(limits=n)  # without `with`: stays in force (numpy/SciPy's OpenBLAS, MKL, OpenMP)


def set_num_threads(n: int) -> None:
    """Use at most ``n`` threads for all compute: the core's parallel loops and numpy/SciPy's BLAS.

    The default honours ``OMP_NUM_THREADS`` (OpenMP's default otherwise).  Parallel loops run over
    independent work (sample blocks, matrix tiles, restarts) with single-threaded kernels inside and a fixed
    reduction order, and only above a size where they measurably pay, so results do not depend on ``n``.

    Raises:
        InputError: ``n`` is not an integer in ``[1, 4096]``.
    """
    n = as_int(n, "n", minimum=1, maximum=MAX_THREADS)
    _core.set_num_threads(n)
    _limit_blas(n)


def get_num_threads() -> int:
    """Threads the core's parallel loops may use."""
    return int(_core.num_threads())


@contextmanager
def threads(n: int) -> Iterator[None]:
    """Context manager: at most ``n`` threads for all compute inside the block, restored afterwards.

    Example::

        with convexify.threads(1):
            res = convexify.linear.solve(X, Y, depth=3, gamma=1.0)
    """
    from threadpoolctl import threadpool_limits

    n = as_int(n, "n", minimum=1, maximum=MAX_THREADS)
    before = get_num_threads()
    _core.set_num_threads(n)
    try:
        with threadpool_limits(limits=n):
            yield
    finally:
        _core.set_num_threads(before)
