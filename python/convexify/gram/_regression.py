"""Kernel (ridge) regression with a lens-3 kernel: the infinite-width network's prediction
(docs/gram.md#kernel-regression)."""

from __future__ import annotations

import warnings
from dataclasses import dataclass
from typing import Any, Optional

import numpy as np
from scipy.sparse.linalg import LinearOperator

from .._errors import ConvergenceWarning, InputError
from .._repr import CompactRepr
from .._validate import as_array, as_choice, as_int, as_real
from ._operator import GramOperator
from ._tiled import dense_matrix
from ._tiles import TileKernel

__all__ = ["KernelRegression", "kernel_regression"]

SOLVERS = ("cholesky", "cg", "nystrom-cg")
DEFAULT_RANK = 1000


@dataclass(frozen=True, repr=False)
class KernelRegression(CompactRepr):
    """The prediction ``f(X_test) = K(X_test, X_train) (K + ridge I)^{-1} y`` and how it was solved.

    Attributes:
        prediction: ``(n_test,)`` or ``(n_test, k)``, shaped like ``y_train``'s columns.
        alpha: the coefficients ``(K + ridge I)^{-1} y``, ``(n,)`` or ``(n, k)``.
        solver: ``"cholesky"``, ``"cg"`` or ``"nystrom-cg"``.
        iterations: CG iterations, summed over the columns of ``y`` (0 for ``"cholesky"``).
        residual: ``||(K + ridge I) alpha - y||_F / ||y||_F``, recomputed after the solve.
        passes: full passes over the training kernel's ``n^2 / 2`` pairs (a dense ``K`` is one; every CG
            iteration is one; the final residual check is one); the ``n_test x n`` cross kernel is not
            counted.
    """

    prediction: np.ndarray
    alpha: np.ndarray
    solver: str
    iterations: int
    residual: float
    passes: int


class _Shifted(LinearOperator):
    """``K + ridge I`` for a :class:`GramOperator` ``K``."""

    def __init__(self, op: GramOperator, ridge: float) -> None:
        self.op = op
        self.ridge = ridge
        super().__init__(dtype=np.float64, shape=op.shape)

    def _matmat(self, V: np.ndarray) -> np.ndarray:
        return self.op.matmat(V) + self.ridge * V

    def _matvec(self, v: np.ndarray) -> np.ndarray:
        return self._matmat(np.asarray(v).reshape(-1, 1)).ravel()

    def _adjoint(self) -> _Shifted:
        return self


def kernel_regression(
    X_train: Any,
    y_train: Any,
    X_test: Any,
    depth: int,
    activation: Any = "relu",
    arch: str = "fc",
    c_res: float = 1.0,
    quadrature_order: int = 64,
    *,
    kernel: str = "gram",
    ridge: float = 1e-6,
    solver: str = "cholesky",
    tol: float = 1e-8,
    maxiter: Optional[int] = None,
    rank: Optional[int] = None,
    chunks: int = 2048,
    client: Any = None,
    seed: int = 0,
    normalize: bool = False,
    unit_norm: Optional[str] = None,
) -> KernelRegression:
    """Ridge regression with a lens-3 kernel: the infinite-width prediction (docs/gram.md#kernel-regression).

    ``f(X_test) = K(X_test, X_train) alpha``, ``alpha = (K + ridge I)^{-1} y`` with ``K = K(X_train,
    X_train)``: for ``kernel="ntk"`` and ``ridge -> 0`` this is the mean prediction of the infinitely wide
    network trained by gradient flow on the squared loss to convergence (Jacot et al. 2018; Lee et al. 2019;
    neural-tangents' ``predict`` at ``t = inf``); for ``"nngp"`` the posterior mean of the NNGP (Lee et al.
    2018); for ``"gram"`` the same with Du et al.'s ``K^(H)``.  With ``ridge = 0`` and distinct inputs the
    prediction interpolates the training targets.

    Solvers:

    * ``"cholesky"``: dense ``K`` (one pass), ``scipy.linalg.cho_factor`` of ``K + ridge I``; ``O(n^2)``
      memory, ``n^3 / 3`` flops.
    * ``"cg"``: conjugate gradients (``scipy.sparse.linalg.cg``, relative tolerance ``tol``) on the
      matrix-free :class:`~convexify.gram.GramOperator` ``+ ridge I``, one column of ``y`` at a time; each
      iteration is one pass over ``K``; ``O(n d + n b)`` memory.  The iteration count grows like
      ``sqrt(kappa(K + ridge I))``.
    * ``"nystrom-cg"``: CG preconditioned by the Nystrom approximation from ``rank = m`` landmark columns
      (a seeded uniform sample; Frangella, Tropp & Udell 2023).  With ``K_mm + nu I = L L^T`` (``nu`` a
      jitter of ``m eps tr(K_mm)``), ``B = K_nm L^{-T} = U S V^T`` (thin SVD) and ``Lam = max(S^2 - nu,
      0)``, ``K ~ U Lam U^T`` and the preconditioner is ``P^{-1} = (Lam_m + ridge) U (Lam + ridge I)^{-1}
      U^T + (I - U U^T)`` (applied in ``O(n m)``).  When ``K``'s spectrum decays past the ``m``-th
      eigenvalue, the preconditioned condition number is about ``(Lam_m + ridge) / ridge``.  The ``m``
      columns cost ``m / n`` of a pass and are counted as one.

    Args:
        X_train: (n, d) training rows; ``y_train``: (n,) or (n, k) targets; ``X_test``: (n_test, d).
        depth, activation, arch, c_res, quadrature_order, kernel, normalize, unit_norm: the kernel, as in
            :class:`~convexify.gram.TileKernel` (``"nngp"`` and ``"ntk"`` need ``arch="fc"``).
        ridge: the absolute ridge ``>= 0`` added to ``K``'s diagonal (absolute, not relative to ``||K||``:
            the ReLU kernels of unit-norm rows have ``K_ii`` of order 1).
        solver: ``"cholesky"``, ``"cg"`` or ``"nystrom-cg"``.
        tol: CG's relative residual tolerance.
        maxiter: CG iterations per column (default ``10 n``).
        rank: Nystrom landmarks (default ``min(n, 1000)``).
        chunks, client: the operator's tile side and parallelism (CG solvers).
        seed: seed of the landmark sample.

    Returns:
        A :class:`KernelRegression`.

    Raises:
        InputError: an argument is out of range, rows do not match, or ``K + ridge I`` is numerically not
            positive definite for ``"cholesky"`` (a pivot ``l_ii^2 <= n eps max_i A_ii``; raise
            ``ridge``); the message names the argument.
        InputTypeError: an argument has the wrong type.
    """
    solver = as_choice(solver, "solver", SOLVERS)
    ridge = as_real(ridge, "ridge", minimum=0.0)
    tol = as_real(tol, "tol", minimum=0.0, strict_min=True)
    seed = as_int(seed, "seed", minimum=0)
    chunks = as_int(chunks, "chunks", minimum=1)
    y = as_array(y_train, "y_train", (1, 2))
    tk = TileKernel(
        X_train,
        depth,
        activation,
        arch,
        c_res,
        quadrature_order,
        kernel=kernel,
        normalize=normalize,
        unit_norm=unit_norm,
    )
    n = tk.shape[0]
    if y.shape[0] != n:
        raise InputError(f"y_train must have {n} rows (one per row of X_train), got shape {y.shape}")
    Xt = as_array(X_test, "X_test", 2)
    if Xt.shape[1] != tk.d:
        raise InputError(f"X_test must have {tk.d} features like X_train, got shape {Xt.shape}")
    tk_test = TileKernel(
        X_test,
        depth,
        activation,
        arch,
        c_res,
        quadrature_order,
        kernel=kernel,
        X2=X_train,
        normalize=normalize,
        unit_norm=unit_norm,
    )
    maxiter = 10 * n if maxiter is None else as_int(maxiter, "maxiter", minimum=1)
    m = min(n, DEFAULT_RANK) if rank is None else as_int(rank, "rank", minimum=1, maximum=n)
    Y = y.reshape(n, -1)

    if solver == "cholesky":
        alpha, iters, passes, res = _solve_cholesky(tk, Y, ridge)
    else:
        op = GramOperator.from_tile_kernel(tk, chunks=chunks, client=client)
        M = _nystrom_preconditioner(op, m, ridge, seed) if solver == "nystrom-cg" else None
        alpha, iters = _solve_cg(op, Y, ridge, tol, maxiter, M)
        R = op.matmat(alpha) + ridge * alpha - Y
        res = _relative(R, Y)
        passes = op.passes + (1 if M is not None else 0)
    pred = _predict(tk_test, alpha, chunks)
    if y.ndim == 1:
        alpha, pred = alpha[:, 0], pred[:, 0]
    return KernelRegression(pred, alpha, solver, iters, res, passes)


def _relative(R: np.ndarray, Y: np.ndarray) -> float:
    ny = float(np.linalg.norm(Y))
    return float(np.linalg.norm(R)) / ny if ny > 0 else float(np.linalg.norm(R))


def _solve_cholesky(tk: TileKernel, Y: np.ndarray, ridge: float) -> tuple[np.ndarray, int, int, float]:
    from scipy.linalg import LinAlgError, cho_factor, cho_solve

    n = tk.shape[0]
    K = dense_matrix(tk)
    A = K.copy()
    A[np.diag_indices(n)] += ridge
    try:
        c = cho_factor(A, lower=True, overwrite_a=True, check_finite=False)
        # A pivot below sqrt(n eps max K_ii) means K + ridge I is singular to working precision (a Cholesky
        # of an exactly singular matrix usually completes on round-off).
        if float(np.min(np.abs(np.diag(c[0])))) ** 2 <= n * np.finfo(float).eps * float(np.max(np.diag(A))):
            raise LinAlgError("numerically singular")
    except LinAlgError:
        raise InputError(
            f"ridge: K + ridge I is not numerically positive definite at ridge={ridge:g} (duplicate or "
            "nearly parallel training rows make K singular); increase ridge"
        ) from None
    alpha = cho_solve(c, Y, check_finite=False)
    R = K @ alpha + ridge * alpha - Y
    return alpha, 0, 1, _relative(R, Y)


def _solve_cg(
    op: GramOperator, Y: np.ndarray, ridge: float, tol: float, maxiter: int, M: Optional[LinearOperator]
) -> tuple[np.ndarray, int]:
    from scipy.sparse.linalg import cg

    A = _Shifted(op, ridge)
    alpha = np.zeros_like(Y)
    iters = 0
    for c in range(Y.shape[1]):
        count = [0]

        def tick(_: Any, count: list = count) -> None:
            count[0] += 1

        x, info = cg(A, Y[:, c], rtol=tol, atol=0.0, maxiter=maxiter, M=M, callback=tick)
        iters += count[0]
        if info != 0:
            hint = (
                " (ridge=0 and a singular K: CG converges only if y lies in K's range)" if ridge == 0 else ""
            )
            warnings.warn(
                f"kernel_regression: CG did not reach tol={tol:g} in {maxiter} iterations for column {c}"
                f"{hint}; increase maxiter or ridge, or use solver='nystrom-cg' "
                "(docs/gram.md#kernel-regression)",
                ConvergenceWarning,
                stacklevel=3,
            )
        alpha[:, c] = x
    return alpha, iters


def _nystrom_preconditioner(op: GramOperator, m: int, ridge: float, seed: int) -> LinearOperator:
    from scipy.linalg import cholesky, solve_triangular, svd

    n = op.shape[0]
    idx = np.sort(np.random.default_rng(seed).choice(n, size=m, replace=False))
    C = op.columns(idx)  # K_nm
    W = C[idx]  # K_mm
    W = 0.5 * (W + W.T)
    nu = m * np.finfo(float).eps * max(float(np.trace(W)), np.finfo(float).tiny)
    L = None
    for _ in range(8):  # the jitter grows until K_mm + nu I factors (K_mm may be singular)
        try:
            L = cholesky(W + nu * np.eye(m), lower=True, check_finite=False)
            break
        except np.linalg.LinAlgError:
            nu *= 10.0
    if L is None:
        raise InputError("rank: the landmark block K_mm could not be factored; lower rank or raise ridge")
    B = solve_triangular(L, C.T, lower=True, check_finite=False).T  # K_nm L^{-T}
    U, S, _ = svd(B, full_matrices=False, check_finite=False)
    lam = np.maximum(S**2 - nu, 0.0)
    floor = max(ridge, 1e-15 * max(float(lam[0]) if lam.size else 0.0, 1e-300))
    lam_m = float(lam[-1])
    scale = (lam_m + floor) / (lam + floor)

    def apply(v: np.ndarray) -> np.ndarray:
        v = np.asarray(v, dtype=np.float64)
        Utv = U.T @ v
        return U @ ((scale[:, None] if v.ndim == 2 else scale) * Utv) + (v - U @ Utv)

    return LinearOperator((n, n), matvec=apply, matmat=apply, dtype=np.float64)


def _predict(tk_test: TileKernel, alpha: np.ndarray, chunks: int) -> np.ndarray:
    """``K(X_test, X_train) alpha`` by row blocks of ``chunks`` test points (memory ``chunks n``)."""
    m, n = tk_test.shape
    out = np.empty((m, alpha.shape[1]), dtype=np.float64)
    for r0 in range(0, m, chunks):
        r1 = min(r0 + chunks, m)
        out[r0:r1] = tk_test.block(r0, r1, 0, n) @ alpha
    return out
