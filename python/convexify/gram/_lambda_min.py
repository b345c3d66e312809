"""``lambda_min`` of a lens-3 kernel at scale: dense, block Lanczos (LOBPCG) on the matrix-free operator, or a
Cholesky certificate (docs/gram.md#lambda-min)."""

from __future__ import annotations

import dataclasses
import math
import warnings
from dataclasses import dataclass
from typing import Any, Optional

import numpy as np
from scipy.sparse.linalg import LinearOperator

from .._errors import ConvergenceWarning, InputError
from .._repr import CompactRepr
from .._validate import as_choice, as_int, as_real
from ._blocked import BlockedKernel, is_out_of_core
from ._inputs import _EPS, _U
from ._operator import GramOperator
from ._spectrum import _symmetrized, certify_lambda_min
from ._tiled import dense_matrix
from ._tiles import TileKernel

__all__ = ["LambdaMin", "lambda_min"]

METHODS = ("dense", "lanczos", "cholesky")
_BISECTION_STEPS = 6
_BACKOFF_STEPS = 8
_DENSE_ESTIMATE_MAX_N = 4000  # above this "cholesky" estimates by LOBPCG on the dense matrix


@dataclass(frozen=True, repr=False)
class LambdaMin(CompactRepr):
    """The smallest eigenvalue of a symmetric kernel, with what is known about its error.

    Attributes:
        estimate: the computed ``lambda_min``.
        lower: a lower bound (``nan`` where none is justified; see :func:`lambda_min` per method).
        upper: an upper bound.
        certified: True only when ``lower`` is proved by a Cholesky factorisation that accounts for its own
            rounding (:func:`~convexify.gram.certify_lambda_min`).
        method: ``"dense"``, ``"lanczos"`` or ``"cholesky"``.
        passes: full passes over the kernel's ``n^2 / 2`` pairs: building a dense ``K`` is one, and each
            (block) product with ``K`` is one, also for a given ``K``.
        iterations: eigensolver iterations (LOBPCG), or Cholesky factorisations for ``"cholesky"``.
        residual: ``||K v - estimate v||_2`` for the computed unit eigenvector ``v`` (``nan`` if none).
    """

    estimate: float
    lower: float
    upper: float
    certified: bool
    method: str
    passes: int
    iterations: int
    residual: float


class _Counted(LinearOperator):
    """A dense symmetric matrix as an operator that counts its passes (each product is one)."""

    def __init__(self, K: np.ndarray) -> None:
        self.K = K
        self.passes = 0
        super().__init__(dtype=np.float64, shape=K.shape)

    def diag(self) -> np.ndarray:
        return np.diag(self.K).copy()

    def _matmat(self, V: np.ndarray) -> np.ndarray:
        self.passes += 1
        return self.K @ V

    def _matvec(self, v: np.ndarray) -> np.ndarray:
        return self._matmat(np.asarray(v).reshape(-1, 1)).ravel()

    def _adjoint(self) -> _Counted:
        return self


def lambda_min(
    X_or_K: Any,
    depth: Optional[int] = None,
    activation: Any = "relu",
    arch: str = "fc",
    c_res: float = 1.0,
    quadrature_order: int = 64,
    *,
    kernel: str = "gram",
    method: str = "dense",
    tol: float = 1e-8,
    maxiter: Optional[int] = None,
    block_size: int = 8,
    seed: int = 0,
    client: Any = None,
    chunks: int = 2048,
    normalize: bool = False,
    unit_norm: Optional[str] = None,
) -> LambdaMin:
    """``lambda_min`` of a symmetric kernel ``K`` (docs/gram.md#lambda-min).

    ``X_or_K`` is ``K`` itself when it is a square array and ``depth is None``; otherwise it is ``X`` and
    ``K`` is the lens-3 kernel of :class:`~convexify.gram.TileKernel` (``kernel="gram"``, Du et al.'s
    ``K^(H)``; ``"nngp"``; ``"ntk"``), built dense for ``"dense"`` / ``"cholesky"`` and never stored for
    ``"lanczos"``.

    Methods:

    * ``"dense"``: ``scipy.linalg.eigh`` (LAPACK ``dsyevr``) for the smallest eigenpair.  A backward-stable
      eigensolver returns the exact eigenvalues of ``K + E`` with ``||E||_2 <= p(n) eps ||K||_2``, so by
      Weyl's inequality ``|estimate - lambda_min| <= p(n) eps ||K||_2``.  LAPACK does not state ``p(n)``;
      we take ``p(n) = n`` for ``lower`` / ``upper`` (a customary, not a proved, constant), hence
      ``certified=False``.
    * ``"lanczos"``: block LOBPCG (Knyazev 2001; ``scipy.sparse.linalg.lobpcg``, ``largest=False``, a
      seeded Gaussian start of ``block_size`` columns, no preconditioner) on the matrix-free
      :class:`~convexify.gram.GramOperator`.  The returned unit Ritz vector ``v`` is re-applied once, so
      ``estimate = v^T K v`` and ``residual = ||K v - estimate v||``.  By Courant-Fischer every Rayleigh
      quotient is ``>= lambda_min``: ``upper = estimate + 2 n u ||K v||`` (the rounding of the quotient).  By
      the Krylov-Bogoliubov bound *some* eigenvalue lies within ``residual`` of ``estimate``; that it is the
      smallest is not proved (it would need a lower bound on the gap to ``lambda_2``, Kato-Temple), so
      ``lower = nan`` and ``certified=False``.  The bottom of ``K^(3)``'s spectrum is clustered: plain
      Lanczos needs about ``n^0.5`` iterations (about 575 at n = 16,000 for 1e-6), hence the block method
      and a generous ``maxiter`` (default 1000); each iteration is one pass over ``K``.
    * ``"cholesky"``: an estimate (``"dense"`` up to n = 4000, LOBPCG on the dense ``K`` above), then
      :func:`~convexify.gram.certify_lambda_min` (a Cholesky of ``K - t I`` that accounts for its own
      rounding, Higham 2002 ch. 10) at ``tau = estimate - margin``, backing off geometrically until it
      succeeds, then ``6`` bisection steps toward the estimate.  Success proves ``lambda_min(K) > lower``
      (``certified=True``); if no threshold in the back-off succeeds, ``lower = nan`` and
      ``certified=False``.  ``K`` is in memory, except:

    A Dask or zarr ``K`` (for instance from ``gram_matrix(..., out="K.zarr")``) stays out of memory for
    ``"lanczos"`` and ``"cholesky"``: one pass checks it is finite and symmetric, LOBPCG multiplies block by
    block, and the certificate factors ``K - t I`` by ``dask.array.linalg.cholesky`` (blocked: LAPACK on
    the diagonal blocks, triangular solves and Schur-complement products for the others).  A completed
    Cholesky satisfies Higham's componentwise bound (Thm 10.3) whatever the order of each entry's inner
    product, so the blocked factorisation carries the same margin ``2 (n + 1) u tr(K - t I)``.  Each
    factorisation counts as a pass.  ``"dense"`` reads such a ``K`` into memory.

    Args:
        X_or_K: ``K`` (n, n), symmetric, or ``X`` (n, d) with ``depth`` given.
        depth, activation, arch, c_res, quadrature_order, kernel, normalize, unit_norm: the kernel, as in
            :class:`~convexify.gram.TileKernel` (ignored when ``K`` is given).
        method: ``"dense"``, ``"lanczos"`` or ``"cholesky"``.
        tol: LOBPCG's relative residual tolerance: it stops when every Ritz pair of the block has
            ``||K v - theta v|| <= tol tr(K)`` (``tr(K) >= ||K||_2`` for a PSD ``K``); a
            :class:`~convexify.ConvergenceWarning` is issued when the smallest pair misses it.  The
            eigenvalue error is about ``residual^2 / gap``, far below ``residual`` (measured: 1e-11 at
            n = 300, ReLU depth 3, ``tol=1e-8``, block 8, about 1000 iterations).
        maxiter: LOBPCG iterations (default 1000).
        block_size: LOBPCG block size (``>= 1``, at most ``n / 5``).
        seed: seed of the LOBPCG start block.
        client, chunks: the operator's parallelism and tile side (``"lanczos"`` from ``X`` only).

    Returns:
        A :class:`LambdaMin`.

    Raises:
        InputError: an argument is out of range, ``K`` is not square and symmetric, or ``X_or_K`` is not
            square while ``depth`` is None (the message names the argument).
        InputTypeError: an argument has the wrong type.
    """
    method = as_choice(method, "method", METHODS)
    tol = as_real(tol, "tol", minimum=0.0, strict_min=True)
    block_size = as_int(block_size, "block_size", minimum=1)
    seed = as_int(seed, "seed", minimum=0)
    maxiter = 1000 if maxiter is None else as_int(maxiter, "maxiter", minimum=1)
    chunks = as_int(chunks, "chunks", minimum=1)

    if depth is None and method != "dense" and is_out_of_core(X_or_K):
        blocked = BlockedKernel(X_or_K, "X_or_K")
        if method == "lanczos":
            return _lanczos(blocked, tol, maxiter, block_size, seed, 0)
        return _cholesky_blocked(blocked, tol, maxiter, block_size, seed)
    if depth is None:
        K, e = _symmetrized(_materialize(X_or_K), "X_or_K")
        K = np.ldexp(K, e)
        passes = 0
        op: Any = None
    else:
        tk = TileKernel(
            X_or_K,
            depth,
            activation,
            arch,
            c_res,
            quadrature_order,
            kernel=kernel,
            normalize=normalize,
            unit_norm=unit_norm,
        )
        passes = 0
        if method == "lanczos":
            K = None
            op = GramOperator.from_tile_kernel(tk, chunks=chunks, client=client)
        else:
            K = dense_matrix(tk)
            passes = 1
            op = None

    if method == "dense":
        return _dense(K, passes)
    if method == "lanczos":
        if op is None:
            op = _Counted(K)
        return _lanczos(op, tol, maxiter, block_size, seed, passes)
    return _cholesky(K, tol, maxiter, block_size, seed, passes)


def _materialize(K: Any) -> Any:
    """A Dask or zarr ``K`` read into memory (other inputs are validated by ``_symmetrized``)."""
    if hasattr(K, "compute") and not isinstance(K, np.ndarray):  # a dask array
        return K.compute()
    if type(K).__module__.startswith("zarr"):
        return K[...]
    return K


def _dense(K: np.ndarray, passes: int) -> LambdaMin:
    from scipy.linalg import eigh

    n = K.shape[0]
    w, V = eigh(K, subset_by_index=[0, 0], check_finite=False)
    lam = float(w[0])
    v = V[:, 0]
    res = float(np.linalg.norm(K @ v - lam * v))
    norm2 = float(np.linalg.norm(K, 2)) if n <= 2000 else float(np.max(np.abs(K).sum(axis=1)))
    err = n * _EPS * norm2
    return LambdaMin(lam, lam - err, lam + err, False, "dense", passes, 0, res)


def _lanczos(op: Any, tol: float, maxiter: int, block_size: int, seed: int, passes: int) -> LambdaMin:
    from scipy.sparse.linalg import lobpcg

    n = op.shape[0]
    if 5 * block_size > n:
        raise InputError(f"block_size must be at most n / 5 = {n // 5} for LOBPCG, got {block_size}")
    rng = np.random.default_rng(seed)
    X0 = rng.standard_normal((n, block_size))
    scale = float(np.sum(op.diag())) if hasattr(op, "diag") else float(np.trace(op.K))
    tol_abs = tol * max(scale, np.finfo(float).tiny)  # tr(K) >= ||K||_2 for a PSD K
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)  # non-convergence is reported below
        w, V, hist = lobpcg(op, X0, largest=False, tol=tol_abs, maxiter=maxiter, retLambdaHistory=True)
    k = int(np.argmin(w))
    v = V[:, k] / np.linalg.norm(V[:, k])
    Kv = op.matvec(v)
    theta = float(v @ Kv)
    res = float(np.linalg.norm(Kv - theta * v))
    upper = theta + 2.0 * n * _U * float(np.linalg.norm(Kv))
    if res > tol_abs:
        warnings.warn(
            f"lambda_min: LOBPCG stopped after {len(hist) - 1} iterations with residual {res:.3g} > tol "
            f"{tol:.3g}; increase maxiter or block_size (docs/gram.md#lambda-min)",
            ConvergenceWarning,
            stacklevel=3,
        )
    return LambdaMin(theta, math.nan, upper, False, "lanczos", passes + op.passes, len(hist) - 1, res)


def _cholesky(K: np.ndarray, tol: float, maxiter: int, block_size: int, seed: int, passes: int) -> LambdaMin:
    n = K.shape[0]
    if n <= _DENSE_ESTIMATE_MAX_N:
        est = _dense(K, 0)
    else:
        est = _lanczos(_Counted(K), tol, maxiter, block_size, seed, 0)
    delta = 2.0 * (n + 1) * _U * float(np.sum(np.abs(np.diag(K))))
    return _certified(est, delta, lambda tau: certify_lambda_min(K, tau), passes)


def _cholesky_blocked(op: Any, tol: float, maxiter: int, block_size: int, seed: int) -> LambdaMin:
    est = _lanczos(op, tol, maxiter, block_size, seed, 0)
    delta = 2.0 * (op.n + 1) * _U * float(np.sum(np.abs(op.diag())))
    res = _certified(est, delta, lambda tau: op.certify(tau)[0], 0)
    return dataclasses.replace(res, passes=op.passes)  # the check, the products and every factorisation


def _certified(est: LambdaMin, delta: float, certify: Any, passes: int) -> LambdaMin:
    """Back off below the estimate until ``certify(tau)`` succeeds, then bisect toward the estimate."""
    theta = est.estimate
    # The certificate loses about delta = 2 (n + 1) u tr(K - tau I); start a few such margins below.
    margin = max(4.0 * delta, 1e-6 * abs(theta), est.residual)
    factorizations = 0
    lower = math.nan
    for k in range(_BACKOFF_STEPS):
        tau = theta - margin * 4.0**k
        factorizations += 1
        if certify(tau):
            lower = tau
            break
    if math.isnan(lower):
        return LambdaMin(
            theta, math.nan, est.upper, False, "cholesky", passes + est.passes, factorizations, est.residual
        )
    hi = theta
    for _ in range(_BISECTION_STEPS):
        mid = 0.5 * (lower + hi)
        factorizations += 1
        if certify(mid):
            lower = mid
        else:
            hi = mid
    return LambdaMin(
        theta, lower, est.upper, True, "cholesky", passes + est.passes, factorizations, est.residual
    )
