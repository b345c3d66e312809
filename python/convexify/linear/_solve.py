"""Lens 1's solver: closed form or Douglas–Rachford on the convex dual, with certified weights."""

from __future__ import annotations

import warnings
from typing import Any, Optional, Sequence

import numpy as np

from .._boundary import from_core
from .._errors import ON_DIVERGENCE, DivergenceError, DivergenceWarning, InputError, InputTypeError
from .._validate import as_array, as_choice, as_int, as_real
from ._inputs import _core, _data, _depth, _gamma, _widths
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

    Args:
        X: inputs, shape ``(n, d0)``.  Any rank, including ``X = 0``.
        Y: targets, shape ``(n, dH)``.
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
        max_iter: maximum DR iterations (``>= 0``).
        t: DR step ``t > 0`` (with a binding bottleneck ``t = 2`` needs about half the iterations of 1).
        z0: warm start for DR, shape ``(n, dH)``; it is projected onto range(X).
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
        InputError / InputTypeError: invalid arguments (the message names the argument).
        DivergenceError: a non-finite DR iterate (only with ``on_divergence="raise"``).
    """
    Xa, Ya = _data(X, Y)
    H = _depth(depth)
    g = _gamma(gamma)
    ws = _widths(widths, H, Xa, Ya)
    meth = as_choice(method, "method", ("dr", "closed"))
    tol_ = as_real(tol, "tol", minimum=0.0)
    iters = as_int(max_iter, "max_iter", minimum=0)
    step = as_real(t, "t", minimum=0.0, strict_min=True)
    div = as_choice(on_divergence, "on_divergence", ON_DIVERGENCE)
    frm = as_choice(form, "form", ("reduced", "diagonal"))
    if not isinstance(record_history, (bool, np.bool_)):
        raise InputTypeError(f"record_history must be a bool, got {record_history!r}")
    z0a = None
    if z0 is not None:
        z0a = as_array(z0, "z0", 2)
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
