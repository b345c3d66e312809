"""Tiled and out-of-core kernel matrices: a lazy Dask array, or a zarr / ``.npy`` file written tile by tile
and resumable (docs/gram.md#tiled).

The matrix ``K`` of shape ``(n, n2)`` is cut into square tiles of side ``b = chunks`` (the last row and
column of tiles ragged).  With ``nb = ceil(n / b)`` tile rows and ``nb2`` tile columns, a symmetric
``K(X, X)`` needs only the ``nb (nb + 1) / 2`` tiles ``K_IJ``, ``I <= J``; ``K_JI = K_IJ^T`` is written (or
evaluated lazily) as the exact transpose.  A cross kernel ``K(X, X2)`` needs all ``nb nb2`` tiles.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
from concurrent.futures import ThreadPoolExecutor
from typing import Any, Callable, Iterator, List, Optional, Tuple

import numpy as np

from .._errors import InputError, InputTypeError
from .._validate import as_int
from ._tiles import TileKernel

__all__ = ["tiled_matrix", "tile_grid", "kernel_params", "run_tiles", "dense_matrix"]

#: Default tile side when ``chunks is None``.
DEFAULT_CHUNKS = 2048
_DONE_SUFFIX = ".done"  # sidecar directory: one empty file per finished tile, written after its data
_PARAMS_FILE = "params.json"
_ATTR = "convexify"

Tile = Tuple[int, int]


def tile_grid(tk: TileKernel, chunks: int) -> List[Tile]:
    """The tiles ``(I, J)`` that must be evaluated: ``I <= J`` for a symmetric kernel, all otherwise.

    Row-major order (``I`` then ``J``); every consumer that reduces over tiles uses this order.
    """
    nb = -(-tk.shape[0] // chunks)
    nb2 = -(-tk.shape[1] // chunks)
    if tk.symmetric:
        return [(i, j) for i in range(nb) for j in range(i, nb2)]
    return [(i, j) for i in range(nb) for j in range(nb2)]


def _bounds(index: int, chunks: int, n: int) -> Tuple[int, int]:
    return index * chunks, min((index + 1) * chunks, n)


def _tile(tk: TileKernel, i: int, j: int, chunks: int) -> np.ndarray:
    i0, i1 = _bounds(i, chunks, tk.shape[0])
    j0, j1 = _bounds(j, chunks, tk.shape[1])
    return tk.block(i0, i1, j0, j1)


def _mirror(tile: np.ndarray) -> np.ndarray:
    return np.ascontiguousarray(tile.T)


def _chunks(chunks: Optional[int], tk: TileKernel) -> int:
    if chunks is None:
        return min(DEFAULT_CHUNKS, max(tk.shape))
    return as_int(chunks, "chunks", minimum=1)


def kernel_params(tk: TileKernel) -> dict:
    """The parameters that determine ``K``: the kernel's settings and a SHA-256 of ``X`` (and ``X2``) bytes.

    ``X`` is hashed after validation (and normalisation), i.e. exactly the rows the kernel sees.
    """
    h = hashlib.sha256()
    h.update(repr(tk.X.shape).encode())
    h.update(tk.X.tobytes())
    if tk.X2 is not None:
        h.update(b"X2" + repr(tk.X2.shape).encode())
        h.update(tk.X2.tobytes())
    return {
        "kernel": tk.kernel,
        "depth": int(tk.depth),
        "activation": tk.activation,
        "arch": tk.arch,
        "c_res": float(tk.c_res),
        "quadrature_order": int(tk.quadrature_order),
        "method": tk.method,
        "symmetric": bool(tk.symmetric),
        "x_sha256": h.hexdigest(),
    }


def dense_matrix(tk: TileKernel) -> np.ndarray:
    """All of ``K`` in memory: the threaded dense :func:`~convexify.gram.gram_matrix` for a symmetric Du
    kernel (``kernel="gram"``, half the pairs), else :meth:`TileKernel.matrix` (threaded); same bits."""
    if tk.symmetric and tk.kernel == "gram":
        from ._kernel import gram_matrix  # noqa: PLC0415

        # tk.X is already validated (and normalised): "ignore" hands the same rows to the core.
        return gram_matrix(
            tk.X,
            tk.depth,
            tk.activation,
            tk.arch,
            tk.c_res,
            tk.quadrature_order,
            unit_norm="ignore",
            method=tk.method,
        )
    return tk.matrix()


def _distributed() -> Any:
    from .._dask import _distributed as dist

    return dist()


def run_tiles(
    fn: Callable[..., Any], tk: Any, tasks: List[Any], client: Any, *, window: Optional[int] = None
) -> Iterator[Tuple[Any, Any]]:
    """Evaluate ``fn(tk, *task)`` for every task, yielding ``(task, result)`` in task order.

    ``client``: ``None`` (threads, ``convexify.get_num_threads()`` workers; the core releases the GIL),
    ``"serial"`` (this thread) or a ``distributed.Client`` (the client's workers; ``tk`` is scattered once, or
    passed already scattered as a ``distributed.Future``).
    At most ``window`` tasks are in flight, so memory stays bounded, and results come back in task order
    (deterministic reductions).
    """
    from collections import deque

    from .. import get_num_threads

    if isinstance(client, str):
        if client != "serial":
            raise InputError(f"client must be None, 'serial' or a distributed.Client, got {client!r}")
        for t in tasks:
            yield t, fn(tk, *t)
        return
    if client is None:
        workers = max(1, int(get_num_threads()))
        w = window or 2 * workers
        with ThreadPoolExecutor(max_workers=workers) as pool:
            pending: deque = deque()
            it = iter(tasks)
            try:
                for t in it:
                    pending.append((t, pool.submit(fn, tk, *t)))
                    if len(pending) >= w:
                        t0, f0 = pending.popleft()
                        yield t0, f0.result()
                while pending:
                    t0, f0 = pending.popleft()
                    yield t0, f0.result()
            finally:
                for _, f in pending:
                    f.cancel()
        return
    c = _check_client(client)
    nthreads = sum(c.nthreads().values()) or 1
    w = window or 2 * nthreads
    distributed = _distributed()
    # hash=False: a fresh key per scatter (a content-hashed key released by an earlier call while this one
    # re-scatters it is lost, and its dependents cancelled).
    tkf = tk if isinstance(tk, distributed.Future) else c.scatter(tk, broadcast=False, hash=False)
    pending = deque()
    try:
        for t in tasks:
            pending.append((t, c.submit(fn, tkf, *t, pure=False)))
            if len(pending) >= w:
                t0, f0 = pending.popleft()
                yield t0, f0.result()
        while pending:
            t0, f0 = pending.popleft()
            yield t0, f0.result()
    finally:
        if pending:
            c.cancel([f for _, f in pending])


def _check_client(client: Any) -> Any:
    distributed = _distributed()
    if not isinstance(client, distributed.Client):
        raise InputTypeError(f"client must be None, 'serial' or a distributed.Client, got {client!r}")
    if client.status != "running":
        raise InputError(f"client is not running (status {client.status!r}); pass an open distributed.Client")
    return client


def _tile_task(tk: TileKernel, i: int, j: int, chunks: int) -> np.ndarray:
    return _tile(tk, i, j, chunks)


def tiled_matrix(
    tk: TileKernel,
    chunks: Optional[int] = None,
    out: Optional[str | os.PathLike] = None,
    client: Any = None,
    progress: bool = True,
) -> Any:
    """``K`` of a :class:`~convexify.gram.TileKernel`, tiled: a lazy Dask array or a file written by tiles.

    Only the upper tiles ``K_IJ``, ``I <= J``, of a symmetric kernel are evaluated; the lower ones are their
    exact transposes, so the result is exactly symmetric.  With the core tiler every tile equals the
    corresponding block of the dense :func:`~convexify.gram.gram_matrix` bit for bit (docs/gram.md#tiled).

    Args:
        tk: the kernel.
        chunks: tile side ``b`` (an int ``>= 1``); None for ``min(2048, max(n, n2))``.  Memory per tile
            ``8 b^2`` bytes (32 MiB at ``b = 2048``).
        out: None for a lazy ``dask.array.Array`` (chunks ``(b, b)``; ``tk`` enters its graph once; compute
            it with any Dask scheduler, e.g. ``client.compute``; ``client`` and ``progress`` are unused), or a
            path ending in ``.zarr`` (a zarr v3 array, one chunk per tile) or ``.npy`` (a memory-mapped
            ``.npy`` file).  A file is written tile by tile and is resumable: every finished tile leaves an
            empty flag file in the sidecar directory ``<out>.done/`` *after* its data, so a rerun computes
            only the tiles without a flag, and an interrupted write is never trusted.  The kernel's
            parameters and a SHA-256 of ``X`` (and ``X2``) are stored (zarr attributes and
            ``<out>.done/params.json``); an existing file with another shape, dtype, tile size or parameters
            is refused, never overwritten.
        client: where the tiles of a file are computed: None (local threads, ``convexify.get_num_threads()``
            of them; the core releases the GIL), ``"serial"`` (this thread) or a ``distributed.Client``
            (its workers; the driver writes the tiles, so the file need not be on a shared filesystem).
        progress: a ``tqdm`` bar over finished tiles (it appears only after 10 s).

    Returns:
        The lazy Dask array, the zarr array (opened read-only) or the ``.npy`` memory map (read-only).

    Raises:
        InputError: ``chunks`` is not ``>= 1``, ``out`` has another suffix or mismatches an existing file
            (the message names ``out``), Dask / zarr are not installed (naming the ``dask`` extra), or
            ``client`` is closed.
        InputTypeError: ``tk``, ``chunks``, ``out`` or ``client`` has the wrong type.
    """
    if not isinstance(tk, TileKernel):
        raise InputTypeError(f"tk must be a TileKernel, got {type(tk).__name__}")
    b = _chunks(chunks, tk)
    if out is None:
        return _lazy(tk, b)
    if not isinstance(out, (str, os.PathLike)):
        raise InputTypeError(f"out must be None or a path ending in .zarr or .npy, got {out!r}")
    path = os.fspath(out)
    if not isinstance(path, str):
        raise InputTypeError(f"out must be a str path, got {out!r}")
    path = path.rstrip("/" + os.sep) or path
    if path.endswith(".zarr"):
        store: _Store = _ZarrStore(path, tk, b)
    elif path.endswith(".npy"):
        store = _NpyStore(path, tk, b)
    else:
        raise InputError(f"out must end in .zarr or .npy, got {path!r}")
    if not isinstance(progress, (bool, np.bool_)):
        raise InputTypeError(f"progress must be a bool, got {progress!r}")
    if not isinstance(client, str) and client is not None:
        _check_client(client)
    store.open()
    missing = [t for t in tile_grid(tk, b) if not store.done(t)]
    if missing:
        from tqdm.auto import tqdm

        with tqdm(total=len(missing), disable=not progress, delay=10.0, unit="tile", desc="tiles") as bar:
            for (i, j, _), tile in run_tiles(_tile_task, tk, [(i, j, b) for i, j in missing], client):
                store.write(i, j, tile)
                bar.update(1)
    return store.result()


def _lazy(tk: TileKernel, b: int) -> Any:
    try:
        import dask.array as da  # noqa: PLC0415
        from dask.highlevelgraph import HighLevelGraph  # noqa: PLC0415
    except ImportError as exc:  # pragma: no cover - exercised only without the extra
        from .._dask import _EXTRA_HINT

        raise InputError(f"out=None (a lazy Dask array) needs Dask; {_EXTRA_HINT}") from exc
    n, n2 = tk.shape
    nb, nb2 = -(-n // b), -(-n2 // b)
    name = f"convexify-tiles-{tk._token}-{b}"
    tk_key = f"convexify-tilekernel-{tk._token}"
    dsk: dict = {tk_key: tk}  # the kernel (and its data) enters the graph once
    for i, j in tile_grid(tk, b):
        dsk[(name, i, j)] = (_tile, tk_key, i, j, b)
        if tk.symmetric and i != j:
            dsk[(name, j, i)] = (_mirror, (name, i, j))
    graph = HighLevelGraph.from_collections(name, dsk, dependencies=())
    row_chunks = tuple(min(b, n - k * b) for k in range(nb))
    col_chunks = tuple(min(b, n2 - k * b) for k in range(nb2))
    return da.Array(graph, name, chunks=(row_chunks, col_chunks), dtype=np.float64)


class _Store:
    """A file holding ``K`` plus its sidecar completion record ``<path>.done/``."""

    def __init__(self, path: str, tk: TileKernel, b: int) -> None:
        self.path = path
        self.tk = tk
        self.b = b
        self.done_dir = path + _DONE_SUFFIX
        self.meta = {
            "shape": [int(s) for s in tk.shape],
            "dtype": "float64",
            "chunks": [b, b],
            "params": kernel_params(tk),
        }

    def _refuse(self, why: str) -> None:
        raise InputError(f"out: {self.path!r} already exists with {why}; remove it or choose another path")

    def _check_meta(self, found: Any) -> None:
        if not isinstance(found, dict):
            self._refuse("no convexify metadata (not written by tiled_matrix)")
        for key in ("shape", "dtype", "chunks", "params"):
            if found.get(key) != self.meta[key]:
                self._refuse(f"another {key} ({found.get(key)!r}, expected {self.meta[key]!r})")

    def _sidecar(self, fresh: bool) -> None:
        params = os.path.join(self.done_dir, _PARAMS_FILE)
        if fresh:
            if os.path.exists(self.done_dir):
                shutil.rmtree(self.done_dir)
            os.makedirs(self.done_dir)
            with open(params, "w") as fh:
                json.dump(self.meta, fh)
            return
        try:
            with open(params) as fh:
                found = json.load(fh)
        except (OSError, ValueError):
            found = None
        self._check_meta(found)

    def _flag(self, i: int, j: int) -> str:
        return os.path.join(self.done_dir, f"{i}-{j}")

    def done(self, t: Tile) -> bool:
        return os.path.exists(self._flag(*t))

    def write(self, i: int, j: int, tile: np.ndarray) -> None:
        n, n2 = self.tk.shape
        r0, r1 = _bounds(i, self.b, n)
        c0, c1 = _bounds(j, self.b, n2)
        self._put(r0, r1, c0, c1, tile)
        if self.tk.symmetric and i != j:
            self._put(c0, c1, r0, r1, _mirror(tile))
        self._sync()
        open(self._flag(i, j), "wb").close()  # the flag comes after the data

    def open(self) -> None:
        raise NotImplementedError

    def _put(self, r0: int, r1: int, c0: int, c1: int, tile: np.ndarray) -> None:
        raise NotImplementedError

    def _sync(self) -> None:
        pass

    def result(self) -> Any:
        raise NotImplementedError


class _ZarrStore(_Store):
    def open(self) -> None:
        try:
            import zarr  # noqa: PLC0415
        except ImportError as exc:  # pragma: no cover - exercised only without the extra
            from .._dask import _EXTRA_HINT

            raise InputError(f"out: writing .zarr needs zarr; {_EXTRA_HINT}") from exc
        self._zarr = zarr
        if os.path.exists(self.path):
            try:
                z = zarr.open_array(self.path, mode="r+")
            except Exception as exc:
                raise InputError(f"out: {self.path!r} exists but is not a zarr array ({exc})") from None
            self._check_meta(dict(z.attrs).get(_ATTR))
            if [int(s) for s in z.shape] != self.meta["shape"] or str(z.dtype) != "float64":
                self._refuse(f"shape {z.shape} and dtype {z.dtype}")
            if list(z.chunks) != self.meta["chunks"]:
                self._refuse(f"chunks {z.chunks}")
            self._sidecar(fresh=not os.path.exists(self.done_dir))
            self.z = z
            return
        # open_array(mode="w-") exists in zarr 2.16+ and 3 alike (zarr 3 writes the v3 format by default).
        self.z = zarr.open_array(
            store=self.path,
            mode="w-",
            shape=tuple(self.tk.shape),
            chunks=(self.b, self.b),
            dtype="float64",
            fill_value=np.nan,
        )
        self.z.attrs[_ATTR] = self.meta
        self._sidecar(fresh=True)

    def _put(self, r0: int, r1: int, c0: int, c1: int, tile: np.ndarray) -> None:
        self.z[r0:r1, c0:c1] = tile

    def result(self) -> Any:
        return self._zarr.open_array(self.path, mode="r")


class _NpyStore(_Store):
    def open(self) -> None:
        shape = tuple(self.tk.shape)
        if os.path.exists(self.path):
            if not os.path.exists(os.path.join(self.done_dir, _PARAMS_FILE)):
                self._refuse("no sidecar record <out>.done/params.json (not written by tiled_matrix)")
            self._sidecar(fresh=False)
            try:
                mm = np.load(self.path, mmap_mode="r+")
            except Exception as exc:
                raise InputError(f"out: {self.path!r} exists but is not a .npy file ({exc})") from None
            if mm.shape != shape or mm.dtype != np.float64 or not mm.flags.c_contiguous:
                self._refuse(f"shape {mm.shape} and dtype {mm.dtype}")
            self.mm = mm
            return
        self.mm = np.lib.format.open_memmap(self.path, mode="w+", dtype=np.float64, shape=shape)
        self._sidecar(fresh=True)

    def _put(self, r0: int, r1: int, c0: int, c1: int, tile: np.ndarray) -> None:
        self.mm[r0:r1, c0:c1] = tile

    def _sync(self) -> None:
        self.mm.flush()

    def result(self) -> Any:
        self.mm.flush()
        del self.mm
        return np.load(self.path, mmap_mode="r")
