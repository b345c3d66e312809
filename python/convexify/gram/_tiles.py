"""One kernel of lens 3 evaluated block by block: the tile kernel behind cross kernels, tiled and out-of-core
matrices, the matrix-free operator and kernel regression (docs/gram.md#tiles)."""

from __future__ import annotations

import threading
import uuid
from typing import Any, Optional, Tuple

import numpy as np

from .. import _core
from .._errors import InputError
from .._validate import as_choice, as_int, as_real
from ._inputs import ARCHS, _activation, _depth, _inputs

__all__ = ["TileKernel", "KERNELS"]

#: The kernels a :class:`TileKernel` evaluates: Du's ``K^(H)``, the NNGP ``Sigma^(H)``, the NTK ``Theta^(H)``.
KERNELS = ("gram", "nngp", "ntk")

_CACHE_LOCK = threading.Lock()
_CACHE: dict = {}  # token -> core tiler, one per process (dask workers unpickle a TileKernel once per task)
_CACHE_MAX = 8


class TileKernel:
    """``K(X, X2)`` of one kernel, evaluated on any block of rows and columns by the core.

    Every entry is computed by the same per-pair code: ``<x_i, x'_j>`` by a dot product in a fixed summation
    order, then the layer recursion of :func:`~convexify.gram.gram_matrix` (``kernel="gram"``) or of
    :func:`~convexify.gram.ntk` (``"nngp"``, ``"ntk"``).  Side information (diagonals, tables) is computed
    once for all rows of ``X`` and ``X2``.  So a block equals the corresponding block of the dense matrix
    bit for bit, whatever the block's shape, and ``K(X, X)`` blocks below the diagonal are the exact mirror
    images of those above it (docs/gram.md#tiles; within one module of the core: the instruction-set levels
    agree with each other to round-off).  Blocks run single-threaded without the GIL, so threads or Dask
    workers may evaluate disjoint blocks of one ``TileKernel`` at once; :meth:`matrix` uses the core's
    threads.

    Args:
        X: (n, d) rows, validated like :func:`~convexify.gram.gram_matrix`'s ``X``.
        depth, activation, arch, c_res, quadrature_order, method: as in :func:`~convexify.gram.gram_matrix`
            (``"nngp"`` and ``"ntk"`` need ``arch="fc"``).
        kernel: one of :data:`KERNELS`.
        X2: (n2, d) second set of rows (the columns), or None for ``K(X, X)``.
        normalize, unit_norm: row normalisation of ``X`` and ``X2``, as in ``gram_matrix``.

    Attributes:
        shape: ``(n, n2)`` (``n2 = n`` without ``X2``).
        symmetric: True for ``K(X, X)``.

    Raises:
        InputError: an argument is out of range, ``X`` or ``X2`` has zero, non-unit (unless allowed) or
            non-finite rows, ``X2`` has another number of features, or ``kernel`` needs ``arch="fc"``; the
            message names the argument.
        InputTypeError: an argument has the wrong type.
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
        X2: Any = None,
        normalize: bool = False,
        unit_norm: Optional[str] = None,
        method: str = "auto",
    ) -> None:
        self.kernel = as_choice(kernel, "kernel", KERNELS)
        self.arch = as_choice(arch, "arch", tuple(a for a in ARCHS if a != "cnn"))
        if self.kernel != "gram" and self.arch != "fc":
            raise InputError(f"arch must be 'fc' for kernel={self.kernel!r} (the NNGP/NTK of lens 3 are FC)")
        act = _activation(activation)
        if not isinstance(act, str):
            raise InputError(
                "activation: the tile kernel needs a named activation (a callable pair runs only on "
                "gram_matrix's dense numpy path)"
            )
        self.activation = act
        self.depth = _depth(depth, self.arch)
        self.c_res = as_real(c_res, "c_res", minimum=0.0, strict_min=True)
        self.quadrature_order = as_int(quadrature_order, "quadrature_order", minimum=8, maximum=256)
        self.method = as_choice(method, "method", ("auto", "direct", "table"))
        self.X = _inputs(X, normalize, unit_norm)
        self.X2 = None
        if X2 is not None:
            X2v = _inputs(X2, normalize, unit_norm, "X2")
            if X2v.shape[1] != self.X.shape[1]:
                raise InputError(
                    f"X2 must have as many features as X ({self.X.shape[1]}), got shape {X2v.shape}"
                )
            self.X2 = X2v
        self.symmetric = self.X2 is None
        self.shape: Tuple[int, int] = (self.X.shape[0], (self.X if self.X2 is None else self.X2).shape[0])
        self._token = uuid.uuid4().hex
        self._tiler = self._build()

    def _build(self) -> Any:
        # Arrays unpickled from out-of-band buffers (Dask) may sit at any byte offset: the core reads doubles,
        # so hand it aligned, C-contiguous copies where needed.
        X = np.require(self.X, np.float64, ["C_CONTIGUOUS", "ALIGNED"])
        X2 = None if self.X2 is None else np.require(self.X2, np.float64, ["C_CONTIGUOUS", "ALIGNED"])
        return _core.GramTiles(
            X,
            X2,
            self.depth,
            self.activation,
            self.arch,
            self.c_res,
            self.quadrature_order,
            self.method,
            self.kernel,
        )

    @property
    def d(self) -> int:
        """Number of features."""
        return int(self.X.shape[1])

    def block(self, i0: int, i1: int, j0: int, j1: int) -> np.ndarray:
        """``K[i0:i1, j0:j1]`` as a new C-contiguous float64 array (single-threaded, without the GIL)."""
        self._check_block(i0, i1, j0, j1)
        return self._tiler.block(int(i0), int(i1), int(j0), int(j1))

    def diag(self) -> np.ndarray:
        """The diagonal ``K_ii`` (``K(X, X)`` only)."""
        if not self.symmetric:
            raise InputError("diag: K(X, X2) with X2 given has no diagonal")
        return np.asarray(self._tiler.diag(), dtype=np.float64)

    def columns(self, idx: Any) -> np.ndarray:
        """Columns ``K[:, idx]`` as an (n, len(idx)) array (for Nystrom approximations)."""
        idx = np.asarray(idx, dtype=np.int64).ravel()
        n2 = self.shape[1]
        if idx.size and (idx.min() < 0 or idx.max() >= n2):
            raise InputError(f"idx: column indices must lie in [0, {n2}), got [{idx.min()}, {idx.max()}]")
        return self._tiler.columns(idx)

    def matrix(self) -> np.ndarray:
        """All of ``K`` (n, n2), on the core's threads (``convexify.set_num_threads``); the same bits as the
        blocks."""
        return self._tiler.matrix()

    def blocks_ntk(self, i0: int, i1: int, j0: int, j1: int) -> Tuple[np.ndarray, np.ndarray, np.ndarray]:
        """``(Sigma^(H), Theta^(H), K^(H))[i0:i1, j0:j1]`` of an NTK-family kernel (``kernel`` "nngp" or
        "ntk") in one pass, as :func:`~convexify.gram.ntk` computes them; ``(0, n, 0, n2)`` is threaded."""
        if self.kernel == "gram":
            raise InputError("kernel: blocks_ntk needs kernel='nngp' or 'ntk'")
        self._check_block(i0, i1, j0, j1)
        if (i0, i1, j0, j1) == (0, self.shape[0], 0, self.shape[1]):
            return self._tiler.matrix(every_output=True)
        return self._tiler.block(int(i0), int(i1), int(j0), int(j1), every_output=True)

    def _check_block(self, i0: int, i1: int, j0: int, j1: int) -> None:
        n, n2 = self.shape
        if not (0 <= i0 <= i1 <= n and 0 <= j0 <= j1 <= n2):
            raise InputError(f"block [{i0}:{i1}, {j0}:{j1}] lies outside K of shape {self.shape}")

    # Pickling rebuilds the core tiler once per process (cached by token): dask ships a TileKernel to workers.
    def __getstate__(self) -> dict:
        state = dict(self.__dict__)
        del state["_tiler"]
        return state

    def __setstate__(self, state: dict) -> None:
        self.__dict__.update(state)
        with _CACHE_LOCK:
            tiler = _CACHE.get(self._token)
        if tiler is None:
            tiler = self._build()
            with _CACHE_LOCK:
                if len(_CACHE) >= _CACHE_MAX:
                    _CACHE.pop(next(iter(_CACHE)))
                _CACHE[self._token] = tiler
        self._tiler = tiler
