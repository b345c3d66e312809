"""Guards and certificates of lens 2: boundedness LP, identifiability, stationarity tests.

The theory is in docs/relu.md#exactness and docs/relu.md#guards.
"""

from __future__ import annotations

import warnings
from typing import Optional, Tuple

import numpy as np

from .._errors import InputError, RelaxationWarning
from ._scale import exponent as _exponent

__all__ = [
    "unbounded_direction",
    "positive_rank",
    "polish_vanilla",
]


def unbounded_direction(X: np.ndarray, y: np.ndarray, tol: float = 1e-9) -> Optional[np.ndarray]:
    """A direction ``v`` with ``X v <= 0`` and ``y^T X v > 0`` (so ``L_r(t v) -> -inf``), or None.

    Solves the LP ``max y^T X v  s.t.  X v <= 0,  -1 <= v <= 1`` with HiGHS (docs/relu.md#exactness,
    docs/relu.md#guards).  ``L_r`` is unbounded below iff the optimum is positive; "positive" means above
    ``tol * ||X^T y||_1``.  With ``y >= 0`` no LP is needed (``y^T X v <= 0`` whenever ``X v <= 0``) and None
    is returned at once.

    Args:
        X: data (n, d).
        y: labels (n,).
        tol: relative threshold on the LP's optimum.

    Returns:
        The direction ``v`` (d,) found by the LP, or None when ``L_r`` is bounded below.

    Raises:
        InputError: ``X`` not 2-D, ``y`` not 1-D, their rows differing, NaN or Inf, ``tol < 0``.
    """
    from scipy.optimize import linprog

    from .._validate import as_array, as_real, same_rows

    X = as_array(X, "X", 2)
    y = as_array(y, "y", 1)
    same_rows(("X", X), ("y", y))
    tol = as_real(tol, "tol", minimum=0.0)
    if np.all(y >= 0):
        return None
    # The LP's answer is invariant under X -> c X, y -> k y (c, k > 0): solve it at unit scale
    # (docs/relu.md#scales), exactly (powers of two).
    X = np.ldexp(X, -_exponent(X))
    y = np.ldexp(y, -_exponent(y))
    c = -(X.T @ y)
    d = X.shape[1]
    res = linprog(c, A_ub=X, b_ub=np.zeros(X.shape[0]), bounds=[(-1.0, 1.0)] * d, method="highs")
    if res.status != 0 or res.x is None:  # pragma: no cover - the LP is always feasible (v = 0) and bounded
        return None
    value = -res.fun
    if value > tol * max(1.0, float(np.abs(c).sum())):
        return np.asarray(res.x)
    return None


def positive_rank(X: np.ndarray, y: np.ndarray, max_flops: float = 2e9) -> Tuple[int, Optional[int]]:
    """``(n_+, rank(X_+))`` with ``X_+`` the rows of ``X`` whose label is positive (docs/relu.md#guards).

    The rank (singular values above the tolerance of docs/conventions.md#linalg, those of ``R`` in
    ``X_+ = Q R``, so that the long O(n_+ d^2) part runs with the GIL released) is skipped (None)
    when it would cost more than ``max_flops``, unless ``n_+ < d`` makes it trivially deficient (then
    ``n_+`` is returned).

    Args:
        X: data (n, d).
        y: labels (n,).
        max_flops: largest SVD cost (``n_+ d min(n_+, d)``) to pay for the rank.

    Returns:
        ``(n_+, rank)`` with ``rank`` None when skipped.
    """
    pos = y > 0
    n_plus = int(np.count_nonzero(pos))
    d = X.shape[1]
    if n_plus == 0:
        return 0, 0
    if n_plus * d * min(n_plus, d) > max_flops:
        return n_plus, (n_plus if n_plus < d else None)
    from scipy.linalg import qr

    Xp = np.asarray(X[pos], dtype=np.float64)
    # The singular values of X_+ are those of R in X_+ = Q R: the QR (LAPACK geqrf, which SciPy calls with
    # the GIL released) does the O(n_+ d^2) work, the SVD only a d x d triangle.
    R = qr(Xp, mode="r", check_finite=False)[0] if n_plus > d else Xp
    s = np.linalg.svd(R, compute_uv=False)
    tol = s[0] * max(Xp.shape) * np.finfo(np.float64).eps
    return n_plus, int(np.count_nonzero(s > tol))


def _loss(X: np.ndarray, y: np.ndarray, w: np.ndarray) -> float:
    r = np.maximum(X @ w, 0.0) - y
    return float(r @ r)


def polish_vanilla(
    X: np.ndarray, y: np.ndarray, w: np.ndarray, max_iter: int = 50
) -> Tuple[np.ndarray, float, float]:
    """Gauss-Newton on the non-convex ``L`` inside the activation cell of ``w`` (docs/relu.md#guards).

    In the cell where the sign pattern of ``z = X w`` is fixed, ``L`` is the convex quadratic
    ``||X_A w - y_A||^2 + sum_{i not in A} y_i^2`` (``A = {z > 0}``).  Each step goes towards its minimiser
    ``(X_A^T X_A)^+ X_A^T y_A``, truncated to stay inside the cell (so the polish stays in the basin GD
    ended in) and backtracked (Armijo on ``L``).  Returns the polished point, its loss ``L`` and the norm of
    the (sub)gradient ``2 X^T [1[z >= 0] (relu(z) - y)]`` there.  No global guarantee, by design.

    Args:
        X: data (n, d), float64.
        y: labels (n,).
        w: the starting point (d,) (a GD end point).
        max_iter: Gauss-Newton steps at most.

    Returns:
        ``(w, L(w), ||grad L(w)||)`` at the polished point.
    """
    w = np.asarray(w, dtype=np.float64).copy()
    f = _loss(X, y, w)
    for _ in range(max_iter):
        z = X @ w
        A = z > 0
        if not A.any():
            break
        target, *_ = np.linalg.lstsq(X[A], y[A], rcond=None)
        direction = target - w
        zd = X @ direction
        # Largest step that keeps every sign of z (ties at 0 are left alone).
        with np.errstate(divide="ignore", invalid="ignore"):
            leave = np.where((z > 0) & (zd < 0), -z / zd, np.inf)
            enter = np.where((z < 0) & (zd > 0), -z / zd, np.inf)
        s = min(1.0, 0.999 * float(min(leave.min(), enter.min())))
        if not np.isfinite(s) or s <= 1e-12:
            break
        grad = 2.0 * X.T @ ((np.maximum(z, 0.0) - y) * (z >= 0))
        slope = min(float(grad @ direction), 0.0)
        accepted = False
        while s >= 1e-12:
            wt = w + s * direction
            ft = _loss(X, y, wt)
            if ft <= f + 1e-4 * s * slope:
                accepted = True
                break
            s *= 0.5
        if not accepted:
            break
        done = ft >= f - 1e-15 * max(f, 1.0)
        w, f = wt, ft
        if done:
            break
    z = X @ w
    gnorm = float(np.linalg.norm(2.0 * X.T @ ((np.maximum(z, 0.0) - y) * (z >= 0))))
    return w, f, gnorm


def _guards(X: np.ndarray, y: np.ndarray, relaxed: bool, exact_solver: bool) -> Tuple[int, Optional[int]]:
    """The guards of docs/relu.md#guards for every label column; warnings, or InputError (exact solver).

    Returns :func:`positive_rank` of the first label column (newton reports it).
    """
    first = None
    Y = y.reshape(y.shape[0], -1)
    Xd = np.asarray(X, dtype=np.float64)
    rank_budget = 2e9
    for b in range(Y.shape[1]):
        col = np.asarray(Y[:, b], dtype=np.float64)
        if b > 0 and np.array_equal(col, Y[:, 0]):
            continue
        where = "" if Y.shape[1] == 1 else f" (label column {b})"
        if relaxed and np.any(col < 0):
            v = unbounded_direction(Xd, col)
            if v is not None:
                msg = (
                    f"L_r is unbounded below{where}: v with X v <= 0 and y^T X v = "
                    f"{float(col @ (Xd @ v)):.3g} > 0 exists (negative labels, docs/relu.md#exactness)"
                )
                if exact_solver:
                    raise InputError("y: " + msg + "; the relaxed problem has no minimiser")
                warnings.warn(msg + "; relaxed GD will run off to infinity", RelaxationWarning, stacklevel=3)
            else:
                warnings.warn(
                    f"y has negative labels{where}: the exactness theorem does not apply (it needs y >= 0; "
                    "argmin L_r may differ from argmin L, docs/relu.md#exactness)",
                    RelaxationWarning,
                    stacklevel=3,
                )
        n_plus, rank = positive_rank(Xd, col, max_flops=rank_budget)
        if first is None:
            first = (n_plus, rank)
        if rank is not None and rank < X.shape[1]:
            warnings.warn(
                f"only rank(X_+) = {rank} < d = {X.shape[1]} among the n_+ = {n_plus} positive-label samples"
                f"{where}: the minimiser is not unique (w* is not identifiable, docs/relu.md#exactness)",
                RelaxationWarning,
                stacklevel=3,
            )
        if Y.shape[1] > 16:
            rank_budget = 0  # many problems: only the cheap n_+ < d test for the other columns
    return first
