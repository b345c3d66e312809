"""Input validation shared by every lens (docs/conventions.md#arrays, docs/conventions.md#errors).

Every public function converts its array arguments once, here, to C-contiguous float64 (or float32 where a
lens allows it), so the compiled core receives them without further copies.
"""

from __future__ import annotations

import numbers
from typing import Any, Optional, Sequence, Tuple

import numpy as np

from ._errors import InputError, InputTypeError

__all__ = [
    "as_array",
    "as_int",
    "as_real",
    "as_choice",
    "same_rows",
]


def _shape_str(a: np.ndarray) -> str:
    return "(" + ", ".join(str(s) for s in a.shape) + ("," if a.ndim == 1 else "") + ")"


def as_array(
    value: Any,
    name: str,
    ndim: int | Sequence[int] = 2,
    *,
    allow_float32: bool = False,
    allow_empty: bool = False,
    finite: bool = True,
) -> np.ndarray:
    """Return ``value`` as an aligned, C-contiguous float64 (or float32, if allowed and given) array.

    Rejects complex, bool, object and string dtypes (:class:`InputTypeError`), wrong ``ndim``, empty arrays
    (unless ``allow_empty``) and NaN/Inf (unless ``finite=False``) with :class:`InputError`.
    Integer arrays are converted to float64.
    """
    if value is None:
        raise InputTypeError(f"{name} must be an array, got None")
    if isinstance(value, (str, bytes)):
        raise InputTypeError(f"{name} must be a numeric array, got a string")
    try:
        a = np.asarray(value)
    except Exception as exc:  # ragged lists and the like
        raise InputError(f"{name} could not be converted to an array: {exc}") from None
    kind = a.dtype.kind
    if kind == "c":
        raise InputTypeError(f"{name} must be real, got complex dtype {a.dtype}")
    if kind == "b":
        raise InputTypeError(f"{name} must be numeric, got bool dtype")
    if kind not in "iuf":
        raise InputTypeError(f"{name} must be numeric, got dtype {a.dtype}")
    if kind == "f" and a.dtype == np.float32 and allow_float32:
        target = np.float32
    else:
        target = np.float64
    dims = (ndim,) if isinstance(ndim, int) else tuple(ndim)
    if a.ndim not in dims:
        want = " or ".join(f"{d}-D" for d in dims)
        raise InputError(f"{name} must be {want}, got ndim={a.ndim} with shape {_shape_str(a)}")
    if a.size == 0 and not allow_empty:
        raise InputError(f"{name} must be non-empty, got shape {_shape_str(a)}")
    # Aligned too: a contiguous view of a byte buffer at an odd offset would reach the core's double loads.
    a = np.require(a, dtype=target, requirements=["C_CONTIGUOUS", "ALIGNED"])
    if finite and a.size and not np.isfinite(a).all():
        raise InputError(f"{name} contains NaN or Inf")
    return a


def as_int(value: Any, name: str, *, minimum: Optional[int] = None, maximum: Optional[int] = None) -> int:
    """A genuine integer (bool, float and strings rejected with :class:`InputTypeError`) within range."""
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, numbers.Integral):
        raise InputTypeError(f"{name} must be an integer, got {value!r} of type {type(value).__name__}")
    v = int(value)
    if minimum is not None and v < minimum:
        raise InputError(f"{name} must be >= {minimum}, got {v}")
    if maximum is not None and v > maximum:
        raise InputError(f"{name} must be <= {maximum}, got {v}")
    return v


def as_real(
    value: Any,
    name: str,
    *,
    minimum: Optional[float] = None,
    maximum: Optional[float] = None,
    strict_min: bool = False,
    allow_inf: bool = False,
) -> float:
    """A real number (bool and strings rejected) that is finite (unless ``allow_inf``) and within range.

    ``strict_min=True`` requires ``value > minimum`` instead of ``>=``.
    """
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, numbers.Real):
        if isinstance(value, np.ndarray) and value.ndim == 0 and value.dtype.kind in "iuf":
            value = value.item()
        else:
            raise InputTypeError(
                f"{name} must be a real number, got {value!r} of type {type(value).__name__}"
            )
    v = float(value)
    if np.isnan(v) or (np.isinf(v) and not allow_inf):
        raise InputError(f"{name} must be finite, got {v}")
    if minimum is not None:
        if strict_min and not v > minimum:
            raise InputError(f"{name} must be > {minimum}, got {v}")
        if not strict_min and not v >= minimum:
            raise InputError(f"{name} must be >= {minimum}, got {v}")
    if maximum is not None and not v <= maximum:
        raise InputError(f"{name} must be <= {maximum}, got {v}")
    return v


def as_choice(value: Any, name: str, choices: Sequence[str]) -> str:
    """One of the strings in ``choices``."""
    if not isinstance(value, str):
        raise InputTypeError(f"{name} must be a string, one of {list(choices)}, got {value!r}")
    if value not in choices:
        raise InputError(f"{name} must be one of {list(choices)}, got {value!r}")
    return value


def same_rows(*pairs: Tuple[str, np.ndarray]) -> int:
    """Check that all arrays share their first dimension (the number of samples ``n``)."""
    n = pairs[0][1].shape[0]
    for nm, a in pairs[1:]:
        if a.shape[0] != n:
            desc = ", ".join(f"{k} has {v.shape[0]}" for k, v in pairs)
            raise InputError(f"{nm} must have the same number of rows (samples) as {pairs[0][0]}: {desc}")
    return n
