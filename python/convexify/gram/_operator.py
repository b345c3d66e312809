"""The kernel matrix as a matrix-free linear operator: ``K @ V`` tile by tile, ``K`` never stored
(docs/gram.md#operator)."""

from __future__ import annotations

from contextlib import nullcontext
from typing import Any, Optional

import numpy as np
from scipy.sparse.linalg import LinearOperator
from threadpoolctl import threadpool_limits

from .._errors import InputError, InputTypeError
from .._validate import as_int
from ._tiled import _bounds, run_tiles, tile_grid
from ._tiles import TileKernel

__all__ = ["GramOperator"]


def _tile_products(
    tk: TileKernel, i: int, j: int, chunks: int, V: np.ndarray
) -> tuple[np.ndarray, Optional[np.ndarray]]:
    """``(K_IJ V_J, K_IJ^T V_I)`` (the second None on the diagonal), from one evaluation of ``K_IJ``."""
    n = tk.shape[0]
    r0, r1 = _bounds(i, chunks, n)
    c0, c1 = _bounds(j, chunks, n)
    T = tk.block(r0, r1, c0, c1)
    return T @ V[c0:c1], (None if i == j else T.T @ V[r0:r1])


class GramOperator(LinearOperator):
    """``K(X, X)`` of one lens-3 kernel as a ``scipy.sparse.linalg.LinearOperator`` that never stores ``K``.

    ``K @ V`` (``V`` of shape ``(n,)`` or ``(n, k)``) is one pass over the upper tiles ``K_IJ``, ``I <= J``,
    of side ``b = chunks``: each tile is evaluated once and contributes ``K_IJ V_J`` to the rows ``I`` and,
    for ``I < J``, ``K_IJ^T V_I`` to the rows ``J``.  Tiles are evaluated in parallel (threads, or a Dask
    client's workers) but the partial products are summed in the fixed row-major tile order, so results do
    not depend on the number of workers or on completion order.  Memory ``O(n d + n k + workers b^2)``; cost
    per pass ``n^2 / 2`` kernel pairs plus ``2 n^2 k`` flops (docs/gram.md#operator).

    Args:
        X, depth, activation, arch, c_res, quadrature_order, kernel, normalize, unit_norm, method: as in
            :class:`~convexify.gram.TileKernel` (symmetric kernels only: no ``X2``); ``X`` may also be a
            symmetric ``TileKernel`` (the other kernel arguments are then ignored).
        chunks: tile side ``b >= 1`` (memory per in-flight tile ``8 b^2`` bytes).
        client: None (threads, ``convexify.get_num_threads()`` of them; the core releases the GIL),
            ``"serial"`` or a ``distributed.Client`` (the kernel is scattered to every worker
            once, ``V`` once per pass).

    Attributes:
        tile_kernel: the :class:`~convexify.gram.TileKernel`.
        passes: full passes over ``K`` made so far (one per ``matvec`` / ``matmat``, whatever ``V``'s width).
    """

    def __init__(
        self,
        X: Any,
        depth: int,
        activation: Any = "relu",
        arch: str = "fc",
        c_res: float = 1.0,
        quadrature_order: int = 64,
        *,
        kernel: str = "gram",
        chunks: int = 2048,
        client: Any = None,
        normalize: bool = False,
        unit_norm: Optional[str] = None,
        method: str = "auto",
    ) -> None:
        tk = (
            X
            if isinstance(X, TileKernel)
            else TileKernel(
                X,
                depth,
                activation,
                arch,
                c_res,
                quadrature_order,
                kernel=kernel,
                normalize=normalize,
                unit_norm=unit_norm,
                method=method,
            )
        )
        if not tk.symmetric:
            raise InputError("X: GramOperator needs a symmetric kernel K(X, X) (a TileKernel without X2)")
        self.tile_kernel = tk
        self.chunks = as_int(chunks, "chunks", minimum=1)
        if isinstance(client, str) and client != "serial":
            raise InputError(f"client must be None, 'serial' or a distributed.Client, got {client!r}")
        if client is not None and not isinstance(client, str):
            from ._tiled import _check_client

            _check_client(client)
        self.client = client
        self.passes = 0
        self._scattered: Any = None  # the TileKernel on the client's workers, scattered once
        self._tiles = tile_grid(tk, self.chunks)
        super().__init__(dtype=np.float64, shape=tk.shape)

    @classmethod
    def from_tile_kernel(cls, tk: TileKernel, *, chunks: int = 2048, client: Any = None) -> GramOperator:
        """The operator of an existing symmetric :class:`~convexify.gram.TileKernel`."""
        return cls(tk, tk.depth, chunks=chunks, client=client)

    # SciPy's public entry points check shapes with a ValueError; ours name V first (an InputError).
    def _check_V(self, V: Any) -> None:
        if isinstance(V, LinearOperator) or np.isscalar(V):
            return
        try:
            shape = np.shape(V)
        except Exception:
            raise InputTypeError(
                f"V must be an array of shape (n,) or (n, k), got {type(V).__name__}"
            ) from None
        if len(shape) not in (1, 2) or shape[0] != self.shape[0]:
            raise InputError(f"V must have shape ({self.shape[0]},) or ({self.shape[0]}, k), got {shape}")

    def dot(self, x: Any) -> Any:
        self._check_V(x)
        return super().dot(x)

    def matvec(self, x: Any) -> Any:
        self._check_V(x)
        return super().matvec(x)

    def matmat(self, X: Any) -> Any:
        self._check_V(X)
        return super().matmat(X)

    def rmatvec(self, x: Any) -> Any:
        self._check_V(x)
        return super().rmatvec(x)

    def rmatmat(self, X: Any) -> Any:
        self._check_V(X)
        return super().rmatmat(X)

    def _matmat(self, V: Any) -> np.ndarray:
        n = self.shape[0]
        V = np.ascontiguousarray(V, dtype=np.float64)
        if V.ndim != 2 or V.shape[0] != n:
            raise InputError(f"V must have {n} rows, got shape {V.shape}")
        if not np.isfinite(V).all():
            raise InputError("V contains NaN or Inf")
        b = self.chunks
        Y = np.zeros((n, V.shape[1]), dtype=np.float64)
        tasks = [(i, j, b, V) for i, j in self._tiles]
        kernel: Any = self.tile_kernel
        if self.client is not None and not isinstance(self.client, str):
            if self._scattered is None or self._scattered.status != "finished":
                self._scattered = self.client.scatter(self.tile_kernel, broadcast=True, hash=False)
            kernel = self._scattered
            Vf = self.client.scatter(V, broadcast=True, hash=False)
            tasks = [(i, j, b, Vf) for i, j in self._tiles]
        # Threads evaluate tiles side by side: one BLAS thread each (no oversubscription).
        limit = threadpool_limits(limits=1, user_api="blas") if self.client is None else nullcontext()
        with limit:
            for (i, j, _, _), (upper, lower) in run_tiles(_tile_products, kernel, tasks, self.client):
                r0, r1 = _bounds(i, b, n)
                Y[r0:r1] += upper
                if lower is not None:
                    c0, c1 = _bounds(j, b, n)
                    Y[c0:c1] += lower
        self.passes += 1
        return Y

    def _matvec(self, v: Any) -> np.ndarray:
        return self._matmat(np.asarray(v, dtype=np.float64).reshape(-1, 1)).ravel()

    def _rmatvec(self, v: Any) -> np.ndarray:
        return self._matvec(v)

    def _rmatmat(self, V: Any) -> np.ndarray:
        return self._matmat(V)

    def _adjoint(self) -> GramOperator:
        return self

    def diag(self) -> np.ndarray:
        """The diagonal ``K_ii`` (no pass over ``K``)."""
        return self.tile_kernel.diag()

    def columns(self, idx: Any) -> np.ndarray:
        """The columns ``K[:, idx]``, (n, len(idx)) (for Nystrom approximations; not counted as a pass)."""
        return self.tile_kernel.columns(idx)
