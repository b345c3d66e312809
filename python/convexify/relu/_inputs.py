"""Validation of lens 2's arguments (data, labels, weights, flags)."""

from __future__ import annotations

from typing import Any, Tuple

import numpy as np

from .._errors import InputError
from .._validate import as_array, same_rows

_POWER_ITERS = 100

# Largest iteration count accepted anywhere in the lens (counts are C++ long long in the core).
_MAX_ITERS = 10**12

# Power iterations of lambda_max at most (it converges long before).
_MAX_POWER_ITERS = 10**6

# Largest number of entries of one (T, B) history of gd (2 GiB of float64): raise record_every beyond.
_MAX_HISTORY = 2**28


_STEP_MARGIN = 1.01


# ---------------------------------------------------------------------------------------------- inputs


def _data(X: Any, y: Any, *, allow_float32: bool, y_name: str = "y", x_name: str = "X", finite: bool = True):
    # finite=False: the core checks NaN/Inf itself (one pass over X instead of two for large data).
    Xa = as_array(X, x_name, 2, allow_float32=allow_float32, finite=finite)
    ya = as_array(y, y_name, (1, 2), allow_float32=allow_float32, finite=finite)
    same_rows((x_name, Xa), (y_name, ya))
    if ya.dtype != Xa.dtype:
        ya = ya.astype(Xa.dtype)
    return Xa, ya


def _weights(w: Any, d: int, name: str = "w") -> Tuple[np.ndarray, bool]:
    wa = as_array(w, name, (1, 2), allow_float32=True)
    single = wa.ndim == 1
    W = np.ascontiguousarray(wa.reshape(1, -1) if single else wa, dtype=np.float64)
    if W.shape[1] != d:
        raise InputError(
            f"{name} must have d = {d} entries per row (X has {d} columns), got shape {wa.shape}"
        )
    return W, single


def _check_labels_for(W: np.ndarray, y: np.ndarray, name: str = "y") -> None:
    if y.ndim == 2 and y.shape[1] != W.shape[0]:
        raise InputError(
            f"{name} of shape {y.shape} has {y.shape[1]} columns; it must be (n,) or (n, B) with "
            f"B = {W.shape[0]} rows of the weights"
        )


def _flag(value: Any, name: str) -> bool:
    if not isinstance(value, (bool, np.bool_)):
        from .._errors import InputTypeError

        raise InputTypeError(f"{name} must be a bool, got {value!r}")
    return bool(value)
