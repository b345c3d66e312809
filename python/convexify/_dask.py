"""Sweeps of independent solves on a Dask client (issue 17, item 7; docs/gram.md#sweeps).

``dask[distributed]`` is an optional extra (``pip install "convexify[dask]"``); without it only
``client="serial"`` works, and any other ``client`` raises an :class:`~convexify.InputError` naming the extra.
"""

from __future__ import annotations

import atexit
import threading
from typing import Any, Callable, Iterable, List

from ._errors import InputError, InputTypeError

__all__ = ["sweep", "default_client"]

_EXTRA_HINT = 'install the optional extra: pip install "convexify[dask]" (dask[distributed])'
_LOCK = threading.Lock()
_DEFAULT: dict = {}


def _distributed():
    try:
        import distributed  # noqa: PLC0415
    except ImportError as exc:  # pragma: no cover - exercised only without the extra
        raise InputError(f"client: Dask is not installed; {_EXTRA_HINT}") from exc
    return distributed


def default_client() -> Any:
    """The current ``distributed.Client``, or one process-wide loopback ``LocalCluster`` started on first use.

    The cluster has no dashboard, one thread per worker (the core then runs single-threaded) and is closed at
    interpreter exit.
    """
    distributed = _distributed()
    try:
        return distributed.get_client()
    except ValueError:
        pass
    with _LOCK:
        client = _DEFAULT.get("client")
        if client is not None and client.status == "running":
            return client
        cluster = distributed.LocalCluster(
            host="127.0.0.1", dashboard_address=None, threads_per_worker=1, processes=True
        )
        client = distributed.Client(cluster, set_as_default=False)
        _DEFAULT["client"], _DEFAULT["cluster"] = client, cluster
        atexit.register(_close_default)
        return client


def _close_default() -> None:
    client, cluster = _DEFAULT.pop("client", None), _DEFAULT.pop("cluster", None)
    if client is not None:
        client.close()
    if cluster is not None:
        cluster.close()


def _resolve_client(client: Any) -> Any:
    if client is None:
        return default_client()
    distributed = _distributed()
    if not isinstance(client, distributed.Client):
        raise InputTypeError(f"client must be None, 'serial' or a distributed.Client, got {client!r}")
    if client.status != "running":
        raise InputError(f"client is not running (status {client.status!r}); pass an open distributed.Client")
    return client


def sweep(
    fn: Callable[[Any], Any], grid: Iterable[Any], client: Any = None, *, progress: bool = False
) -> List[Any]:
    """Evaluate ``fn(p)`` for every point ``p`` of ``grid``, independently, results in grid order.

    Args:
        fn: a callable of one argument (picklable when the client's workers are processes).
        grid: an iterable of grid points (gamma values, widths, seeds, parameter dicts, ...).
        client: ``None`` (the current ``distributed.Client``, else one process-wide loopback ``LocalCluster``,
            dashboard off, closed at exit), ``"serial"`` (in this process, no Dask needed) or a
            ``distributed.Client`` (a ``LocalCluster`` or ``Client(address)`` of a real cluster).  An
            in-process ``LocalCluster(processes=False)`` measures this process's memory: give it
            ``memory_limit=0``, or its workers pause (and the sweep waits) once this process outgrows 80% of
            the limit.
        progress: show ``distributed.progress`` while the futures run (Dask clients only).

    Returns:
        ``[fn(p) for p in grid]``.

    Raises:
        InputTypeError: ``fn`` is not callable, ``grid`` is not iterable or ``client`` has a wrong type.
        InputError: Dask is not installed (the message names the ``dask`` extra) or the client is closed.
        RuntimeError: ``fn`` raised; the message names the failing grid point and its index, the original
            exception is chained as ``__cause__``.
    """
    if not callable(fn):
        raise InputTypeError(f"fn must be callable, got {fn!r}")
    if isinstance(grid, (str, bytes)):
        raise InputTypeError("grid must be an iterable of grid points, got a string")
    try:
        points = list(grid)
    except TypeError as exc:
        raise InputTypeError(f"grid must be iterable, got {type(grid).__name__}") from exc
    if isinstance(client, str):
        if client != "serial":
            raise InputError(f"client must be None, 'serial' or a distributed.Client, got {client!r}")
        out = []
        for i, p in enumerate(points):
            try:
                out.append(fn(p))
            except Exception as exc:
                raise RuntimeError(f"sweep: fn failed at grid point {i} ({p!r}): {exc!r}") from exc
        return out
    c = _resolve_client(client)
    if not points:
        return []
    futures = c.map(fn, points, pure=False)
    if progress:
        _distributed().progress(futures)
    out = []
    for i, (p, fut) in enumerate(zip(points, futures)):
        try:
            out.append(fut.result())
        except Exception as exc:
            c.cancel(futures[i + 1 :])
            raise RuntimeError(f"sweep: fn failed at grid point {i} ({p!r}): {exc!r}") from exc
    return out
