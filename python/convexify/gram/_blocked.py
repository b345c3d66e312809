"""A kernel matrix kept out of memory (a Dask array, or a zarr array written by ``gram_matrix(..., out=)``):
validation, products and the blocked Cholesky certificate of ``lambda_min`` (docs/gram.md#lambda-min)."""

from __future__ import annotations

from typing import Any, Tuple

import numpy as np
from scipy.sparse.linalg import LinearOperator

from .._errors import InputError
from ._inputs import _U
from ._spectrum import SYMMETRY_TOL

__all__ = ["is_out_of_core", "BlockedKernel"]


def is_out_of_core(K: Any) -> bool:
    """Whether ``K`` is a Dask array or a zarr array (kept out of memory by :func:`lambda_min`)."""
    return (hasattr(K, "dask") and hasattr(K, "compute")) or type(K).__module__.startswith("zarr")


def _as_dask(K: Any, name: str) -> Any:
    import dask.array as da  # noqa: PLC0415

    if not (hasattr(K, "dask") and hasattr(K, "compute")):
        K = da.from_zarr(K)
    if K.ndim != 2 or K.shape[0] != K.shape[1]:
        raise InputError(f"{name} must be a square matrix, got shape {K.shape}")
    if K.chunks[0] != K.chunks[1]:
        K = K.rechunk((K.chunks[0], K.chunks[0]))  # square blocks, as the blocked Cholesky needs
    return K.astype(np.float64)


class BlockedKernel(LinearOperator):
    """A symmetric ``K`` held as a Dask array (zarr arrays are wrapped), checked in one pass.

    The check reads every block once: ``K`` must be finite and symmetric to ``SYMMETRY_TOL max |K|`` (as
    :func:`~convexify.gram.spectrum` demands of a dense ``K``).  Products ``K @ V`` are computed block by
    block (one pass each, counted in ``passes``).

    Raises:
        InputError: ``K`` is not square, not finite or not symmetric (naming ``name``).
    """

    def __init__(self, K: Any, name: str = "K") -> None:
        import dask.array as da  # noqa: PLC0415

        self.K = _as_dask(K, name)
        self.name = name
        self.n = int(self.K.shape[0])
        if self.n == 0:
            raise InputError(f"{name} must be non-empty")
        finite, big, asym, diag = da.compute(
            da.isfinite(self.K).all(), abs(self.K).max(), abs(self.K - self.K.T).max(), da.diagonal(self.K)
        )
        if not finite:
            raise InputError(f"{name} contains NaN or Inf")
        self.max_abs = float(big)
        if float(asym) > SYMMETRY_TOL * self.max_abs:
            raise InputError(
                f"{name} must be symmetric: max |{name} - {name}^T| = {float(asym) / self.max_abs:.3g} max "
                f"|{name}| exceeds the tolerance {SYMMETRY_TOL:.3g} max |{name}|"
            )
        self._diag = np.asarray(diag, dtype=np.float64)
        self.passes = 1  # the check read K once
        super().__init__(dtype=np.float64, shape=(self.n, self.n))

    def diag(self) -> np.ndarray:
        return self._diag.copy()

    def _matmat(self, V: np.ndarray) -> np.ndarray:
        self.passes += 1
        return np.asarray((self.K @ np.ascontiguousarray(V, dtype=np.float64)).compute())

    def _matvec(self, v: np.ndarray) -> np.ndarray:
        return self._matmat(np.asarray(v).reshape(-1, 1)).ravel()

    def _adjoint(self) -> BlockedKernel:
        return self

    def certify(self, tau: float) -> Tuple[bool, bool]:
        """``(certified, factored)``: whether a blocked Cholesky proves ``lambda_min(K) > tau``.

        As :func:`~convexify.gram.certify_lambda_min`, on ``A = K - t I`` with ``t = tau + 2 (n + 1) u
        |tr(K) - n tau|``: a Cholesky that runs to completion in floating point gives ``R^T R = A + dA`` with
        ``|dA| <= gamma_{n+1} |R^T| |R|`` (Higham 2002, Thm 10.3), whatever the order in which each entry's
        inner product is accumulated; ``dask.array.linalg.cholesky`` is such a reordering (diagonal blocks
        by LAPACK, triangular solves and Schur-complement products for the rest), so the same margin holds.
        ``factored`` is False when the bound ``n max |K_ij|`` answers without a factorisation.
        """
        import dask.array as da  # noqa: PLC0415

        n = self.n
        bound = n * self.max_abs  # |lambda| <= n max |K_ij|
        if tau < -bound:
            return True, False
        if tau >= bound:
            return False, False
        t = tau + 2.0 * (n + 1) * _U * abs(float(np.sum(self._diag)) - n * tau)
        b = self.K.chunks[0][0]
        A = self.K - t * da.eye(n, chunks=b, dtype=np.float64).rechunk(self.K.chunks)
        pad = -n % b
        if pad:
            # dask's Cholesky needs equal square blocks: factor diag(A, I), which is positive definite iff A
            # is, with the same rounding on A's part (the padding adds exact zeros to its inner products).
            zeros = da.zeros((n, pad), chunks=(self.K.chunks[0], pad), dtype=np.float64)
            A = da.block([[A, zeros], [zeros.T, da.eye(pad, chunks=pad, dtype=np.float64)]])
        A = A.rechunk((b, b))
        self.passes += 1
        try:
            L = da.linalg.cholesky(A, lower=True)
            smallest = float(da.diagonal(L).min().compute())
        except np.linalg.LinAlgError:
            return False, True
        return bool(np.isfinite(smallest) and smallest > 0.0), True
