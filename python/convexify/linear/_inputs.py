"""Validation of lens 1's arguments (data, depth, gamma, widths, weights)."""

from __future__ import annotations

from typing import Any, List, Sequence, Tuple

import numpy as np

from .._errors import InputError, InputTypeError
from .._validate import as_array, as_int, as_real, same_rows


def _core() -> Any:
    from .. import _core as core

    return core


def _data(X: Any, Y: Any) -> Tuple[np.ndarray, np.ndarray]:
    Xa = as_array(X, "X", 2)
    Ya = as_array(Y, "Y", 2)
    same_rows(("X", Xa), ("Y", Ya))
    return Xa, Ya


def _depth(depth: Any) -> int:
    return as_int(depth, "depth", minimum=2)


def _gamma(gamma: Any) -> float:
    return as_real(gamma, "gamma", minimum=0.0)


def default_widths(X_shape: Tuple[int, int], Y_shape: Tuple[int, int], depth: int) -> Tuple[int, ...]:
    """Hidden widths without bottleneck: ``depth - 1`` copies of ``min(d0, dH, n)`` (docs/linear.md#primal).

    Args:
        X_shape: ``(n, d0)``.
        Y_shape: ``(n, dH)``.
        depth: number of weight matrices ``H``.

    Returns:
        ``(d_1, ..., d_{H-1})``.
    """
    n, d0 = X_shape
    return (min(d0, Y_shape[1], n),) * (depth - 1)


def _widths(widths: Any, depth: int, Xa: np.ndarray, Ya: np.ndarray) -> Tuple[int, ...]:
    if widths is None:
        return default_widths(Xa.shape, Ya.shape, depth)
    if isinstance(widths, (str, bytes)) or not isinstance(widths, (Sequence, np.ndarray)):
        raise InputTypeError(
            f"widths must be a sequence of depth - 1 = {depth - 1} positive integers, got {widths!r}"
        )
    values = list(widths.tolist() if isinstance(widths, np.ndarray) else widths)
    if len(values) != depth - 1:
        raise InputError(
            f"widths must hold exactly depth - 1 = {depth - 1} hidden widths, got {len(values)}: {values!r}"
        )
    return tuple(as_int(w, f"widths[{i}]", minimum=1) for i, w in enumerate(values))


def _weights(weights: Any) -> List[np.ndarray]:
    if isinstance(weights, np.ndarray) or not isinstance(weights, (list, tuple)):
        raise InputTypeError("weights must be a list of 2-D arrays (W_1 first)")
    if len(weights) < 2:
        raise InputError(f"weights must hold at least 2 matrices (depth >= 2), got {len(weights)}")
    return [as_array(W, f"weights[{i}]", 2) for i, W in enumerate(weights)]
