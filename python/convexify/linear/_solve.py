"""Lens 1's solver: closed form or Douglas–Rachford on the convex dual, with certified weights."""

from __future__ import annotations

import warnings
from typing import Any, Optional, Sequence

import numpy as np

from .._boundary import from_core
from .._errors import (
    ON_DIVERGENCE,
    ConvergenceWarning,
    DivergenceError,
    DivergenceWarning,
    InputError,
    InputTypeError,
)
from .._validate import as_array, as_choice, as_int, as_real
from ._inputs import INT_MAX, _check_scale, _core, _data, _depth, _gamma, _widths
from ._results import LinearHistory, LinearSolution


def solve(
    X: Any,
    Y: Any,
    depth: int,
    gamma: float,
    widths: Optional[Sequence[int]] = None,
    method: str = "dr",
    tol: float = 1e-10,
    max_iter: int = 10_000,
    *,
    t: float = 1.0,
    z0: Any = None,
    record_history: bool = True,
    on_divergence: str = "raise",
    form: str = "reduced",
) -> LinearSolution:
    r"""Globally optimal weights of a regularised deep linear network, certified by its convex dual.

    Solves ``min_W P(W)`` (survey eq. 2) through the equivalent rank-constrained problem
    (docs/linear.md#closed-form)::

        P* = min { 1/2||Y - M||^2 + gamma ||M||_* : rank(M) <= k, range(M) in range(X) }

    and its dual (docs/linear.md#dual).  The gap is zero for every ``gamma >= 0`` (no ``gamma <= sigma_min``
    condition), for every depth ``H >= 2``, bottleneck widths, rank-deficient ``X`` and ``n < d0``.

    **Accuracy of the returned network.**  The certificate bounds the objective: ``relative_gap <= tol``.
    The end-to-end map ``X W_1^T ... W_H^T`` of a DR candidate is only within about ``sqrt(tol)`` of ``M*``
    (the objective is quadratic around it), so DR finishes exactly (docs/linear.md#exact-finish): on the
    singular directions of ``Ytilde`` that the run identified, ``M = sum_i (s_i - gamma) p_i q_i^T``, kept
    when its objective is no worse than the DR candidate's (``certified_by == "exact"``).  Wherever ``M*``
    is unique the returned map then equals ``M*`` to about ``1e-12`` relative (tested: ``<= 1e-9``), at
    every depth.  Where it is not unique (a tie ``s_k = s_{k+1} > gamma`` at the rank cut-off) only the
    objective is guaranteed: ``P(W) - D(Lambda) <= tol`` relative, and the map is one optimal map (exact
    finish) or within about ``sqrt(tol)`` of the set of optimal maps (DR candidate).

    **Scale.**  ``P*`` is invariant to scaling ``X`` and scales like ``s^2`` when ``Y`` and ``gamma`` scale
    by ``s``; the solver works on ``X`` and ``Y`` divided by powers of two near their largest entries and
    maps the results back exactly (docs/linear.md#scale), so scaling ``X`` anywhere in float64's normal
    range, and ``Y`` with ``gamma`` while ``||Y||_F^2`` stays a normal float64, changes the results only by
    rounding (about ``1e-15`` relative).  Data outside that range is an :class:`InputError`.

    Args:
        X: inputs, shape ``(n, d0)``.  Any rank, including ``X = 0``.
        Y: targets, shape ``(n, dH)``; a 1-D target is one output column ``(n, 1)``.
        depth: number of weight matrices ``H >= 2``.
        gamma: regularisation weight, finite, ``>= 0``.
        widths: hidden widths ``(d_1, ..., d_{H-1})``; default ``min(d0, dH, n)`` each (no bottleneck).
        method: ``"dr"`` -- Douglas–Rachford on the dual in the reduced form (docs/linear.md#dr): iterates
            ``l = U_x^T L`` of shape ``(r, dH)`` in an orthonormal basis of range(X) computed by Householder
            QR + SVD of the small factor; the projection clips singular values at ``gamma``; the prox of
            ``t/2 ||.||_(k)^2`` is the PAV weighted isotonic regression :func:`prox_topk` on singular values.
            Stops when the relative gap ``(P_j - D_j) / max(|P_j|, |D_j|) <= tol``.
            ``"closed"`` -- the closed form ``M*, L*`` (docs/linear.md#closed-form, docs/linear.md#dual).
        tol: relative duality-gap tolerance of the DR certificate.
        max_iter: maximum DR iterations (``0 <= max_iter <= 2**31 - 1``).  A run that stops there without
            meeting ``tol`` warns :class:`convexify.ConvergenceWarning` (status ``"max_iter"``,
            ``certified`` False).
        t: DR step ``t > 0`` (with a binding bottleneck ``t = 2`` needs about half the iterations of 1).
        z0: warm start for DR, shape ``(n, dH)`` (or ``(n,)`` for a 1-D ``Y``); projected onto range(X).
        record_history: keep the per-iteration certificates.
        on_divergence: ``"raise"`` (:class:`convexify.DivergenceError`), ``"warn"``
            (:class:`convexify.DivergenceWarning`, then return) or ``"flag"`` (return silently; status
            ``"diverged"``).
        form: ``"reduced"`` (default; ``r x dH`` iterates, three small SVDs per iteration, any warm start;
            from ``z0 = 0`` the iterates are taken in the singular bases of ``U_x^T Y`` on both sides,
            ``rY x rY``, where they are diagonal up to rounding and a Jacobi SVD finishes in one sweep) or
            ``"diagonal"`` (docs/linear.md#dr: from ``z0 = 0`` every iterate is diagonal in the singular basis
            of ``U_x^T Y``, so the same iterates run on vectors of length ``rY``; no warm start).

    Returns:
        :class:`LinearSolution`.  ``primal_value`` is evaluated literally from the returned weights and
        ``dual_value`` from the returned ``Lambda``, so ``gap`` is a genuine certificate.

    Raises:
        InputError / InputTypeError: invalid arguments (the message names the argument), including data
            whose scale float64 cannot carry (docs/linear.md#scale).
        DivergenceError: a non-finite DR iterate (only with ``on_divergence="raise"``).

    Warns:
        ConvergenceWarning: DR stopped at ``max_iter`` without meeting ``tol``.
    """
    Xa, Ya = _data(X, Y)
    H = _depth(depth)
    g = _gamma(gamma)
    ws = _widths(widths, H, Xa, Ya)
    meth = as_choice(method, "method", ("dr", "closed"))
    tol_ = as_real(tol, "tol", minimum=0.0)
    iters = as_int(max_iter, "max_iter", minimum=0, maximum=INT_MAX)
    step = as_real(t, "t", minimum=0.0, strict_min=True)
    div = as_choice(on_divergence, "on_divergence", ON_DIVERGENCE)
    frm = as_choice(form, "form", ("reduced", "diagonal"))
    if not isinstance(record_history, (bool, np.bool_)):
        raise InputTypeError(f"record_history must be a bool, got {record_history!r}")
    _check_scale(Xa, Ya)
    z0a = None
    if z0 is not None:
        z0a = as_array(z0, "z0", (1, 2) if Ya.shape[1] == 1 else 2)
        if z0a.ndim == 1:
            z0a = np.ascontiguousarray(z0a.reshape(-1, 1))
        if z0a.shape != Ya.shape:
            raise InputError(f"z0 must have the shape of Y {Ya.shape}, got {z0a.shape}")
        if frm == "diagonal":
            raise InputError("z0: form='diagonal' starts from z0 = 0; use form='reduced' for a warm start")

    core = _core().linear_solve(Xa, Ya, list(ws), g, meth, step, tol_, iters, z0a, bool(record_history), frm)
    if core.status == "diverged" and div != "flag":
        msg = f"Douglas-Rachford produced a non-finite iterate at iteration {core.iterations}"
        if div == "raise":
            raise DivergenceError(msg)
        warnings.warn(msg, DivergenceWarning, stacklevel=2)
    if core.status == "max_iter":
        warnings.warn(
            f"Douglas-Rachford stopped at max_iter = {core.iterations} iterations without meeting "
            f"tol = {tol_:.3g}: relative gap reached {core.relative_gap:.3g} "
            "(status 'max_iter', not certified)",
            ConvergenceWarning,
            stacklevel=2,
        )
    return from_core(
        LinearSolution,
        core,
        history=from_core(LinearHistory, core.history),
        depth=H,
        gamma=g,
        widths=ws,
        method=meth,
        t=step,
    )
