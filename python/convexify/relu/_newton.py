"""The exact minimiser of the convex relaxation L_r by semismooth Newton, with its certificate."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Optional

import numpy as np

from .. import _core
from .._boundary import from_core
from .._errors import DivergenceError, InputError
from .._repr import CompactRepr
from .._validate import as_array, as_int, as_real
from ._guards import _guards, positive_rank
from ._inputs import _MAX_ITERS, _data
from ._scale import rescaling, scaled, times_power, weights_from_scaled, weights_to_scaled

# ---------------------------------------------------------------------------------------------- Newton


@dataclass(frozen=True, repr=False)
class NewtonResult(CompactRepr):
    """Result of :func:`newton` (the exact minimiser of the convex ``L_r``).

    Built by ``_boundary.from_core`` from the core's ``_core.ReluNewtonResult``; ``n_positive``,
    ``rank_positive`` and ``global_minimiser_of_L`` are computed in Python.

    Attributes:
        w: (d,) the minimiser.
        iterations: Newton iterations taken.
        gradient_norm: certificate ``||g(w)||``, ``g = X^T (relu(Xw) - y)`` (half-gradient of ``L_r``).
        tolerance: the stopping threshold ``tol * ||X^T y||``.
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
    ``(X_A^T X_A + eps I) s = -g`` (``eps = 1e-12 ||X||_F^2 / d``) with Armijo backtracking on
    ``L_r``; it stops when ``||g|| <= tol * ||X^T y||`` (``= tol ||g(0)||``).  From ``w0 = 0`` the first step
    is least squares on the positive-label samples, so on realizable data whose positive rows span R^d it
    lands on ``w*`` in one step.  Runs in float64.

    Warns (:class:`RelaxationWarning`) on negative labels and when ``rank(X_+) < d``.

    Scale-equivariant (docs/relu.md#scales): ``newton(c X, k y).w = (k / c) newton(X, y).w`` for ``c, k > 0``,
    with ``gradient_norm``, ``tolerance`` and ``history`` scaled by ``c k`` and the losses, ``dual_bound``
    and ``duality_gap`` by ``k^2`` (they become inf/0 only where ``k^2 ||y||^2`` itself leaves the float64
    range); data of extreme magnitude are solved rescaled by powers of two.  The core releases the GIL and
    stops on Ctrl-C (KeyboardInterrupt).

    Args:
        X: data (n, d) (float32 is converted to float64).
        y: labels (n,).
        w0: starting point (d,); None: zero.
        tol: relative tolerance on ``||g||``, ``> 0``.
        max_iter: Newton iterations at most, ``0 <= max_iter <= 10^12``.
        check: run the guards of docs/relu.md#guards first.

    Returns:
        A :class:`NewtonResult` with the minimiser, its certificate (``gradient_norm``, ``dual_bound``,
        ``duality_gap``) and the rank test of the realizable certificate.

    Raises:
        InputError: bad shapes or values, NaN or Inf, and ``L_r`` unbounded below (LP test of
            docs/relu.md#guards, only possible with negative labels), or a minimiser outside the float64
            range (it scales like ``max|y| / max|X|``).
        DivergenceError: the gradient became non-finite (only from a far-off ``w0``).
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
    max_iter = as_int(max_iter, "max_iter", minimum=0, maximum=_MAX_ITERS)
    # Extreme magnitudes: solve for X / 2^a, y / 2^b and map back (docs/relu.md#scales).
    a, b = rescaling(Xa), rescaling(ya)
    Xs, ys = scaled(Xa, a), scaled(ya, b)
    ws = weights_to_scaled(np.ascontiguousarray(w), a, b, "w0")
    ranks = _guards(Xs, ys, relaxed=True, exact_solver=True) if check else None
    core = _core.relu_newton(Xs, ys, ws, tol, max_iter)  # _core.ReluNewtonResult, GIL released
    if core.status == "diverged":
        raise DivergenceError(
            f"newton diverged: ||g|| became non-finite at iteration {core.iterations} (from w0 = "
            f"{'0' if w0 is None else 'the given w0'}); start closer, e.g. from w0=None"
        )
    n_plus, rank = ranks if ranks is not None else positive_rank(Xs, ys)
    t2, st = 2 * b, a + b  # losses scale like 4^b, gradients like 2^(a+b)
    return from_core(
        NewtonResult,
        core,
        w=weights_from_scaled(np.asarray(core.w), a, b),
        gradient_norm=times_power(core.gradient_norm, st),
        tolerance=times_power(core.tolerance, st),
        history=times_power(np.asarray(core.history), st),
        relaxed_loss=times_power(core.relaxed_loss, t2),
        loss=times_power(core.loss, t2),
        dual_bound=times_power(core.dual_bound, t2),
        duality_gap=times_power(core.duality_gap, t2),
        n_positive=n_plus,
        rank_positive=rank,
        global_minimiser_of_L=bool(rank == d and core.loss <= 1e-12 * float(ys @ ys)),
    )
