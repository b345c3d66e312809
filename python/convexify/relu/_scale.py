"""Scale handling of lens 2: exact power-of-two rescaling of data of extreme magnitude (docs/relu.md#scales).

Everything in the lens is equivariant under ``X -> 2^a X``, ``y -> 2^b y`` (docs/relu.md#scales):

* weights scale like ``2^(b-a)`` (``w(2^a X, 2^b y) = 2^(b-a) w(X, y)``; the recovery error is invariant),
* losses like ``4^b`` (``L(2^(b-a) w; 2^a X, 2^b y) = 4^b L(w; X, y)``), gradients like ``2^(a+b)``,
* ``lambda_max(X^T X)`` like ``4^a`` and the gradient-descent step like ``4^-a``.

Data whose largest entry lies outside ``[2^-K, 2^K]`` (``K`` = 100 for float64, 16 for float32) would
overflow or underflow somewhere inside (squares, Hessians, float32 weights), so the functions run on
``X / 2^a`` and ``y / 2^b`` with ``2^a <= max|X| < 2^(a+1)`` (and likewise ``b``) and map the results back
with the rules above.  Powers of two make the rescaling exact (unless entries become subnormal), so the
mapped results are those of the unscaled problem up to the rounding of the map itself.
"""

from __future__ import annotations

from typing import Optional

import numpy as np

from .._errors import InputError

_SAFE_EXPONENT = {np.dtype(np.float64): 100, np.dtype(np.float32): 16}


def exponent(a: np.ndarray) -> int:
    """``e`` with ``2^e <= max|a| < 2^(e+1)``; 0 when ``a`` is zero (or empty)."""
    if a.size == 0:
        return 0
    m = max(abs(float(a.max())), abs(float(a.min())))  # no temporary copy of a; NaN/Inf give 0
    if not m > 0 or not np.isfinite(m):
        return 0
    return int(np.frexp(m)[1]) - 1


def rescaling(a: np.ndarray) -> int:
    """The exponent to divide ``a`` by: its own when outside the safe range of its dtype, else 0."""
    e = exponent(a)
    return e if abs(e) > _SAFE_EXPONENT.get(a.dtype, 100) else 0


def scaled(a: Optional[np.ndarray], e: int) -> Optional[np.ndarray]:
    """``a / 2^e`` in the dtype of ``a`` (exact; no copy for ``e = 0``)."""
    if a is None or e == 0:
        return a
    return np.ascontiguousarray(np.ldexp(a, -e).astype(a.dtype, copy=False))


def weights_to_scaled(W: np.ndarray, a: int, b: int, name: str) -> np.ndarray:
    """Weights of the original problem in the rescaled one, ``W * 2^(a-b)``; InputError if unrepresentable."""
    if a == b:
        return W
    with np.errstate(over="ignore", under="ignore"):
        Ws = np.ldexp(W, a - b)
    if not np.isfinite(Ws).all():
        raise InputError(
            f"{name} is too large for the scale of the data: the weights scale like max|y| / max|X| = "
            f"2^{b - a}, and {name} * 2^{a - b} overflows float64 (docs/relu.md#scales)"
        )
    return np.ascontiguousarray(Ws)


def weights_from_scaled(Ws: np.ndarray, a: int, b: int) -> np.ndarray:
    """Weights of the rescaled problem mapped back: ``Ws * 2^(b-a)``; InputError when they overflow."""
    if a == b:
        return Ws
    with np.errstate(over="ignore", under="ignore"):
        W = np.ldexp(Ws, b - a)
    if not np.isfinite(W).all() and np.isfinite(Ws).all():
        raise InputError(
            f"the weights scale like max|y| / max|X| = 2^{b - a} and overflow float64 for this X and y; "
            "rescale X or y (w(cX, y) = w(X, y) / c, docs/relu.md#scales)"
        )
    return W


def times_power(v, e: int):
    """``v * 2^e`` (arrays or floats): IEEE rounding, so a value beyond the float64 range becomes inf/0."""
    if e == 0 or v is None:
        return v
    with np.errstate(over="ignore", under="ignore"):
        out = np.ldexp(np.asarray(v, dtype=np.float64), e)
    return float(out) if np.ndim(out) == 0 else out
