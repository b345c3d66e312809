"""Scale-safe arithmetic of lens 4 (docs/branches.md#scales).

The network is positively homogeneous, f(theta; s x) = s f(theta; x), and the tau-hinge sees only the margin
y f / tau, so R(theta; X, tau) = R(theta; X / 2^e, tau / 2^e) exactly.  The public functions therefore run the
core on X / 2^e with max|X / 2^e| in [1/2, 1) (a power of two: the division is exact) and tau / 2^e, and map
results back; norms are computed as LAPACK's dnrm2 does (divide by the largest magnitude first), so nothing
overflows or underflows before the true result would.
"""

from __future__ import annotations

import math
from typing import Tuple

import numpy as np

from .._errors import InputError

__all__ = ["exponent", "ldexp", "normalise", "safe_norm", "safe_row_norms"]

_TINY = float(np.finfo(float).tiny)


def exponent(A: np.ndarray) -> int:
    """The e with max|A| / 2^e in [1/2, 1) (0 for an all-zero array); dividing by 2^e (np.ldexp) is exact."""
    m = float(np.max(np.abs(A))) if np.size(A) else 0.0
    return math.frexp(m)[1] if m > 0.0 else 0


def ldexp(x: float, e: int) -> float:
    """x 2^e, +-inf on overflow (math.ldexp raises OverflowError there)."""
    try:
        return math.ldexp(x, e)
    except OverflowError:
        return math.copysign(math.inf, x)


def safe_norm(v: np.ndarray) -> float:
    """||v||_2 without intermediate overflow or underflow (inf only if the norm itself exceeds float64)."""
    e = exponent(v)
    return ldexp(float(np.linalg.norm(np.ldexp(v, -e))), e)


def safe_row_norms(X: np.ndarray) -> np.ndarray:
    """||x_j||_2 of every row of X, scaled as :func:`safe_norm`."""
    e = exponent(X)
    with np.errstate(over="ignore"):  # inf where a norm itself exceeds float64
        return np.ldexp(np.linalg.norm(np.ldexp(X, -e), axis=1), e)


def normalise(X: np.ndarray, tau: float) -> Tuple[np.ndarray, float, int]:
    """(X / 2^e, tau / 2^e, e) with max|X / 2^e| in [1/2, 1): the same loss R, on data of order one.

    Raises:
        InputError: tau / max|X| is not a normal float64 (the margins y f / tau would overflow, or underflow
            so that the loss is the constant 1 on every network of moderate size).
    """
    e = exponent(X)
    t = ldexp(tau, -e)
    if not (_TINY <= t <= 1.0 / _TINY):
        raise InputError(
            f"tau is out of scale with X: tau / max|X| = 2^{math.frexp(tau)[1] - e} is outside float64's "
            "normal range, so the margins y f / tau cannot be represented (docs/branches.md#scales)"
        )
    return np.ldexp(X, -e), t, e
