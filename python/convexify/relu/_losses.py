"""The losses L and L_r of lens 2, their gradients, and the step-size helpers (lambda_max, default_step)."""

from __future__ import annotations

from typing import Any, Union

import numpy as np

from .. import _core
from .._errors import InputError
from .._validate import as_array, as_int
from ._inputs import _MAX_POWER_ITERS, _POWER_ITERS, _STEP_MARGIN, _check_labels_for, _data, _flag, _weights
from ._scale import rescaling, scaled, times_power, weights_to_scaled


def _evaluate(w: Any, X: Any, y: Any, *, want_gradient: bool, relaxed: bool, strict: bool):
    Xa, ya = _data(X, y, allow_float32=True, finite=False)
    W, single = _weights(w, Xa.shape[1])
    _check_labels_for(W, ya)
    # Extreme magnitudes: evaluate on X / 2^a, y / 2^b (docs/relu.md#scales; NaN/Inf give a = b = 0 and are
    # named by the core).
    a, b = rescaling(Xa), rescaling(ya)
    Xa, ya = scaled(Xa, a), scaled(ya, b)
    W = weights_to_scaled(W, a, b, "w")
    L, Lr, G = _core.relu_losses(Xa, ya, W, want_gradient, relaxed, strict)  # overload by dtype of X
    L, Lr = times_power(np.asarray(L), 2 * b), times_power(np.asarray(Lr), 2 * b)
    G = None if G is None else times_power(np.asarray(G), a + b)
    return np.atleast_1d(L), np.atleast_1d(Lr), G, single, Xa.dtype


def loss(w: Any, X: Any, y: Any) -> Union[float, np.ndarray]:
    """``L(w) = ||relu(X w) - y||^2`` (un-normalised sum, survey eq. 5/7; docs/relu.md#losses).

    Args:
        w: weights, (d,) or (B, d) (one weight per row).
        X: data (n, d), samples as rows; float64 or float32.
        y: labels, (n,) (shared by every row of ``w``) or (n, B) (column b for row b).

    Returns:
        A float for ``w`` (d,), else an array (B,) with one value per row.

    Raises:
        InputError: bad shapes, NaN or Inf in ``X``, ``y`` or ``w`` (naming the argument).
    """
    L, _, _, single, _ = _evaluate(w, X, y, want_gradient=False, relaxed=False, strict=False)
    return float(L[0]) if single else L


def relaxed_loss(w: Any, X: Any, y: Any) -> Union[float, np.ndarray]:
    """``L_r(w) = ||relu(X w)||^2 - 2 y^T X w + ||y||^2`` (survey eq. 8), convex in ``w``.

    Equal to ``L(w) + 2 y^T relu(-X w)`` (docs/relu.md#losses).

    Args:
        w: weights, (d,) or (B, d).
        X: data (n, d).
        y: labels, (n,) or (n, B); shapes as in :func:`loss`.

    Returns:
        A float for ``w`` (d,), else an array (B,).

    Raises:
        InputError: bad shapes, NaN or Inf in ``X``, ``y`` or ``w``.
    """
    _, Lr, _, single, _ = _evaluate(w, X, y, want_gradient=False, relaxed=True, strict=False)
    return float(Lr[0]) if single else Lr


def gradient(w: Any, X: Any, y: Any, relaxed: bool = False, strict: bool = False) -> np.ndarray:
    """(Sub)gradient of ``L`` (``relaxed=False``) or ``L_r`` (``relaxed=True``), docs/relu.md#losses.

    ``grad L = 2 X^T [D (relu(Xw) - y)]`` with ``D = diag(1[Xw >= 0])`` (the survey's convention; with it
    GD from ``w = 0`` moves), or ``1[Xw > 0]`` with ``strict=True`` (what autodiff frameworks give).
    ``grad L_r = 2 X^T (relu(Xw) - y)``.

    Args:
        w: weights, (d,) or (B, d).
        X: data (n, d).
        y: labels, (n,) or (n, B).
        relaxed: the gradient of ``L_r`` instead of ``L``.
        strict: vanilla mask ``1[Xw > 0]`` instead of ``1[Xw >= 0]``.

    Returns:
        (d,) for ``w`` (d,), (B, d) for ``w`` (B, d), in float64.

    Raises:
        InputError: bad shapes, NaN or Inf in the arguments.
        InputTypeError: ``relaxed`` or ``strict`` not a bool.
    """
    relaxed = _flag(relaxed, "relaxed")
    strict = _flag(strict, "strict")
    _, _, G, single, _ = _evaluate(w, X, y, want_gradient=True, relaxed=relaxed, strict=strict)
    return G[0] if single else G


def add_bias_column(X: Any) -> np.ndarray:
    """``[X, 1]``: append a constant-1 column (the explicit bias of docs/relu.md#shapes).

    Args:
        X: data (n, d).

    Returns:
        (n, d + 1), C-contiguous, in the dtype of ``X``.

    Raises:
        InputError: ``X`` not 2-D or not finite.
    """
    Xa = as_array(X, "X", 2, allow_float32=True)
    return np.ascontiguousarray(np.hstack([Xa, np.ones((Xa.shape[0], 1), dtype=Xa.dtype)]))


def lambda_max(X: Any, iters: int = _POWER_ITERS) -> float:
    """``lambda_max(X^T X)`` estimated by ``iters`` power iterations (GEMV only; slightly underestimates).

    Scale-equivariant, ``lambda_max(c X) = c^2 lambda_max(X)``: the iteration runs on ``X / 2^e`` with
    ``2^e <= max|X_ij| < 2^(e+1)`` (as LAPACK's ``dnrm2`` scales), so it neither overflows nor underflows
    (docs/relu.md#scales).

    Args:
        X: data (n, d), float64 or float32.
        iters: power iterations, ``1 <= iters <= 10^6`` (it converges long before).

    Returns:
        The estimate, a float (<= the true ``lambda_max``, up to round-off).

    Raises:
        InputError: ``X`` not 2-D or not finite, ``iters`` out of range, or ``lambda_max`` itself outside
            the float64 range (it scales like ``max|X|^2``: above ~1e308 or below ~2e-308).
    """
    Xa = as_array(X, "X", 2, allow_float32=True)
    iters = as_int(iters, "iters", minimum=1, maximum=_MAX_POWER_ITERS)
    lam, e = _core.relu_power_lambda_scaled(Xa, iters)
    with np.errstate(over="ignore", under="ignore"):
        value = float(np.ldexp(lam, 2 * e))
    if lam > 0 and not np.finfo(np.float64).tiny <= value < np.inf:
        raise InputError(
            f"X: lambda_max(X^T X) = {lam:.6g} * 2^{2 * e} is outside the float64 range (it scales like "
            "max|X|^2, docs/relu.md#scales); rescale X (lambda_max(c X) = c^2 lambda_max(X))"
        )
    return value


def default_step(X: Any) -> float:
    """The default GD step ``1 / (2 * 1.01 * lambda^)``, ``lambda^`` from 100 power iterations on ``X^T X``.

    With the un-normalised sum and its gradient ``2 X^T(...)``, ``L_r`` is ``2 lambda_max``-smooth, so GD
    on ``L_r`` is stable for ``step < 1 / lambda_max``; ``1 / (2.02 lambda^)`` is the classical
    ``1 / smoothness`` step with a 1% margin for the power method's underestimate.  It equals the
    ``eta = 1 / (1.01 lambda^)`` of docs/relu.md#gd in the convention where the factor 2 is absorbed into
    ``eta``.  Inside each activation cell vanilla ``L`` has curvature ``2 X^T D X``, bounded by the same
    constant, so the step is also safe there (``L`` is not smooth across cells; there is no global guarantee
    for vanilla GD).  Scale-equivariant: ``default_step(c X) = default_step(X) / c^2`` (docs/relu.md#scales).

    Args:
        X: data (n, d), float64 or float32.

    Returns:
        The step ``1 / (2.02 lambda^)``.

    Raises:
        InputError: ``X`` not 2-D, not finite, or zero (no step can be derived), or the step outside the
            float64 range (``max|X|`` beyond ~1e±154).
    """
    Xa = as_array(X, "X", 2, allow_float32=True)
    mantissa, e = _scaled_step(Xa)
    with np.errstate(over="ignore", under="ignore"):
        step = float(np.ldexp(mantissa, -2 * e))
    if not np.finfo(np.float64).tiny <= step < np.inf:
        raise InputError(
            f"X: the default step 1/(2.02 lambda_max) = {mantissa:.6g} * 2^{-2 * e} is outside the float64 "
            "range (it scales like 1/max|X|^2, docs/relu.md#scales); rescale X or pass step="
        )
    return step


def _scaled_step(Xa: np.ndarray):
    """``(m, e)`` with the default step ``m * 4^-e`` for ``X`` (so ``m * 4^(a-e)`` for ``X / 2^a``)."""
    lam, e = _core.relu_power_lambda_scaled(Xa, _POWER_ITERS)  # checks NaN/Inf
    if not lam > 0:
        raise InputError("X is zero: lambda_max(X^T X) = 0, no step size can be derived; pass step=")
    return 1.0 / (2.0 * _STEP_MARGIN * lam), int(e)
