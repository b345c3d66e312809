"""Validation of lens 1's arguments (data, depth, gamma, widths, weights)."""

from __future__ import annotations

from typing import Any, List, Sequence, Tuple

import numpy as np

from .._errors import InputError, InputTypeError
from .._validate import as_array, as_int, as_real, same_rows


def _core() -> Any:
    from .. import _core as core

    return core


#: Largest integer argument accepted (C ``int``): depth, widths, k, max_iter are bounded here so that an
#: oversized integer is an InputError naming the argument, never pybind11's TypeError.
INT_MAX = 2**31 - 1


def _data(X: Any, Y: Any) -> Tuple[np.ndarray, np.ndarray]:
    """``X`` as ``(n, d0)`` and ``Y`` as ``(n, dH)``; a 1-D target is one output column ``(n, 1)``."""
    Xa = as_array(X, "X", 2)
    Ya = as_array(Y, "Y", (1, 2))
    if Ya.ndim == 1:
        Ya = np.ascontiguousarray(Ya.reshape(-1, 1))
    same_rows(("X", Xa), ("Y", Ya))
    return Xa, Ya


def _check_scale(Xa: np.ndarray, Ya: np.ndarray) -> None:
    """Reject data whose scale float64 cannot carry (docs/linear.md#scale).

    A nonzero ``X`` or ``Y`` whose largest entry is subnormal has lost its relative precision, and every
    objective value scales like ``||Y||_F^2``, which must be a normal float64.
    """
    for name, a in (("X", Xa), ("Y", Ya)):
        amax = float(np.max(np.abs(a)))
        if 0.0 < amax < np.finfo(np.float64).tiny:
            raise InputError(
                f"{name}: its largest absolute entry {amax:.3g} is subnormal (below 2.2e-308), so {name} has "
                f"lost its relative precision; rescale {name}"
            )
    ymax = float(np.max(np.abs(Ya)))
    if ymax > 0.0:
        e = int(np.frexp(ymax)[1])
        log2_y2 = float(np.log2(np.sum((np.ldexp(Ya, -e)) ** 2))) + 2 * e
        if log2_y2 > 1019 or log2_y2 < -1022:
            raise InputError(
                f"Y: ||Y||_F^2 = 2^{log2_y2:.1f} is outside float64's normal range (2^-1022 to 2^1019); the "
                "objective values scale like ||Y||_F^2 and cannot be represented: rescale Y and gamma "
                "together (P* scales like their square)"
            )


def _depth(depth: Any) -> int:
    return as_int(depth, "depth", minimum=2, maximum=INT_MAX)


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

    Raises:
        InputError: a shape is not a pair of positive integers, or ``depth < 2``.
        InputTypeError: a shape is not a sequence of integers, or ``depth`` is not an integer.
    """
    n, d0 = _shape(X_shape, "X_shape")
    _, dH = _shape(Y_shape, "Y_shape")
    depth = _depth(depth)
    return (min(d0, dH, n),) * (depth - 1)


def _shape(shape: Any, name: str) -> Tuple[int, int]:
    if isinstance(shape, (str, bytes)) or not isinstance(shape, (Sequence, np.ndarray)):
        raise InputTypeError(f"{name} must be a pair (rows, columns) of integers, got {shape!r}")
    values = list(shape.tolist() if isinstance(shape, np.ndarray) else shape)
    if len(values) != 2:
        raise InputError(f"{name} must be a pair (rows, columns), got {len(values)} entries: {values!r}")
    rows, cols = (as_int(v, f"{name}[{i}]", minimum=1, maximum=INT_MAX) for i, v in enumerate(values))
    return rows, cols


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
    return tuple(as_int(w, f"widths[{i}]", minimum=1, maximum=INT_MAX) for i, w in enumerate(values))


def _weights(weights: Any) -> List[np.ndarray]:
    if isinstance(weights, np.ndarray) or not isinstance(weights, (list, tuple)):
        raise InputTypeError("weights must be a list of 2-D arrays (W_1 first)")
    if len(weights) < 2:
        raise InputError(f"weights must hold at least 2 matrices (depth >= 2), got {len(weights)}")
    return [as_array(W, f"weights[{i}]", 2) for i, W in enumerate(weights)]
