"""The exact minimiser of the convex relaxation L_r by semismooth Newton, with its certificate."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Optional

import numpy as np

from .. import _core
from .._boundary import from_core
from .._errors import InputError
from .._validate import as_array, as_int, as_real
from ._guards import _guards, positive_rank
from ._inputs import _data

# ---------------------------------------------------------------------------------------------- Newton


@dataclass(frozen=True)
class NewtonResult:
    """Result of :func:`newton` (the exact minimiser of the convex ``L_r``).

    Built by ``_boundary.from_core`` from the core's ``_core.ReluNewtonResult``; ``n_positive``,
    ``rank_positive`` and ``global_minimiser_of_L`` are computed in Python.

    Attributes:
        w: (d,) the minimiser.
        iterations: Newton iterations taken.
        gradient_norm: certificate ``||g(w)||``, ``g = X^T (relu(Xw) - y)`` (half-gradient of ``L_r``).
        tolerance: the stopping threshold ``tol * max(1, ||X^T y||)``.
        converged: ``gradient_norm <= tolerance``; ``status``: "converged", "max_iter", "line_search_failed".
        relaxed_loss, loss: ``L_r(w)`` and ``L(w)``.
        dual_bound: ``||y||^2 - ||relu(Xw)||^2``, the Fenchel-dual lower bound on ``min L_r`` given by
            ``v = relu(Xw)`` (exactly feasible when ``g(w) = 0``; docs/relu.md#guards).
        duality_gap: ``L_r(w) - dual_bound = 2 w^T g(w)``.
        n_positive, rank_positive: ``n_+ = #{y_i > 0}`` and ``rank(X_+)`` (None if too costly).
        global_minimiser_of_L: the realizable certificate (docs/relu.md#guards): ``L(w) <= 1e-12 ||y||^2`` and
            ``rank(X_+) = d``, so ``w`` is the unique global minimiser of the non-convex ``L`` too.
        history: ``||g||`` per iteration (entry 0 at ``w0``).
    """

    w: np.ndarray
    iterations: int
    gradient_norm: float
    tolerance: float
    converged: bool
    status: str
    relaxed_loss: float
    loss: float
    dual_bound: float
    duality_gap: float
    n_positive: int
    rank_positive: Optional[int]
    global_minimiser_of_L: bool
    history: np.ndarray


def newton(
    X: Any, y: Any, w0: Any = None, tol: float = 1e-10, max_iter: int = 100, check: bool = True
) -> NewtonResult:
    """Exact minimiser of the convex, piecewise-quadratic ``L_r`` by semismooth Newton (docs/relu.md#newton).

    With ``g(w) = X^T (relu(Xw) - y)`` and the active set ``A = {z > 0} U {z = 0, y > 0}``, the step solves
    ``(X_A^T X_A + eps I) s = -g`` (``eps = 1e-12 max(1, ||X||_F^2 / d)``) with Armijo backtracking on
    ``L_r``; it stops when ``||g|| <= tol * max(1, ||X^T y||)``.  From ``w0 = 0`` the first step is least
    squares on the positive-label samples, so on realizable data whose positive rows span R^d it lands on
    ``w*`` in one step.  Runs in float64.

    Warns (:class:`RelaxationWarning`) on negative labels and when ``rank(X_+) < d``.

    Args:
        X: data (n, d) (float32 is converted to float64).
        y: labels (n,).
        w0: starting point (d,); None: zero.
        tol: relative tolerance on ``||g||``, ``> 0``.
        max_iter: Newton iterations at most, ``>= 0``.
        check: run the guards of docs/relu.md#guards first.

    Returns:
        A :class:`NewtonResult` with the minimiser, its certificate (``gradient_norm``, ``dual_bound``,
        ``duality_gap``) and the rank test of the realizable certificate.

    Raises:
        InputError: bad shapes or values, NaN or Inf, and ``L_r`` unbounded below (LP test of
            docs/relu.md#guards, only possible with negative labels).
    """
    Xa, ya = _data(X, y, allow_float32=True)
    if ya.ndim != 1:
        raise InputError(f"y must be 1-D (n,) for newton, got shape {ya.shape}")
    Xa = np.ascontiguousarray(Xa, dtype=np.float64)
    ya = np.ascontiguousarray(ya, dtype=np.float64)
    d = Xa.shape[1]
    if w0 is None:
        w = np.zeros(d)
    else:
        w = as_array(w0, "w0", 1).astype(np.float64)
        if w.shape[0] != d:
            raise InputError(f"w0 must have d = {d} entries, got shape {w.shape}")
    tol = as_real(tol, "tol", minimum=0.0, strict_min=True)
    max_iter = as_int(max_iter, "max_iter", minimum=0)
    if check:
        _guards(Xa, ya, relaxed=True, exact_solver=True)
    core = _core.relu_newton(Xa, ya, np.ascontiguousarray(w), tol, max_iter)  # _core.ReluNewtonResult
    n_plus, rank = positive_rank(Xa, ya)
    return from_core(
        NewtonResult,
        core,
        n_positive=n_plus,
        rank_positive=rank,
        global_minimiser_of_L=bool(rank == d and core.loss <= 1e-12 * float(ya @ ya)),
    )
