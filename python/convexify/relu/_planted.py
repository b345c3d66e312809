"""Planted data for lens 2: labels from a hidden ReLU neuron, with optional noise."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Optional

import numpy as np

from .._errors import InputError, InputTypeError
from .._repr import CompactRepr
from .._validate import as_array, as_choice, as_int, as_real
from ._inputs import _flag

# ---------------------------------------------------------------------------------------------- data


# Largest number of data entries planted() draws (32 GiB of float64).
_MAX_ENTRIES = 2**32


@dataclass(frozen=True, repr=False)
class Planted(CompactRepr):
    """Planted-neuron data (docs/relu.md#gd): ``y = relu(X w*) + noise * N(0, 1)``, noiseless test labels.

    Attributes: ``X`` (n, d), ``y`` (n,), ``w_star`` (d,) unit norm, ``X_test`` (n_test, d), ``y_test``.
    """

    X: np.ndarray
    y: np.ndarray
    w_star: np.ndarray
    X_test: np.ndarray
    y_test: np.ndarray


def planted(
    n: int,
    d: int,
    noise: float = 0.0,
    mean: float = 0.0,
    seed: Optional[int] = None,
    n_test: int = 1000,
    *,
    distribution: str = "gaussian",
    bias: bool = False,
    w_star: Any = None,
    dtype: Any = np.float64,
) -> Planted:
    """Planted single-neuron data (docs/relu.md#gd).

    ``x ~ N(mean * 1, I_d)`` (``distribution="gaussian"``; ``mean=1`` is the non-centred regime where vanilla
    GD gets stuck) or ``U[0, 1]^d`` (``"uniform"``, positive orthant); ``w*`` uniform on the unit sphere (or
    given); ``y = relu(X w*) + noise * N(0, 1)``; test labels noiseless.  ``bias=True`` appends a constant-1
    column after drawing (``w*`` then has d + 1 entries).

    Args:
        n, d: training samples and input dimension (``>= 1``; ``(n + n_test)(d + 1) <= 2^32``).
        noise: standard deviation of the label noise, ``>= 0``.
        mean: mean of every input coordinate (``"gaussian"`` only).
        seed: int for reproducible data; None draws fresh entropy.
        n_test: test samples (``>= 1``).
        distribution: ``"gaussian"`` or ``"uniform"``.
        bias: append a constant-1 column to ``X`` and ``X_test``.
        w_star: the planted weight (d,) (d + 1 with ``bias``); None draws one.
        dtype: float64 or float32, the dtype of every returned array.

    Returns:
        A :class:`Planted` with ``X``, ``y``, ``w_star``, ``X_test``, ``y_test``.

    Raises:
        InputError: a value out of range or of the wrong shape (naming the argument).
        InputTypeError: ``n``, ``d``, ``n_test`` or ``seed`` not an integer, ``bias`` not a bool.
    """
    n = as_int(n, "n", minimum=1, maximum=_MAX_ENTRIES)
    d = as_int(d, "d", minimum=1, maximum=_MAX_ENTRIES)
    n_test = as_int(n_test, "n_test", minimum=1, maximum=_MAX_ENTRIES)
    if (n + n_test) * (d + 1) > _MAX_ENTRIES:
        raise InputError(
            f"n={n}, n_test={n_test} and d={d} ask for {(n + n_test) * (d + 1)} entries of data, more than "
            f"{_MAX_ENTRIES} (32 GiB of float64)"
        )
    noise = as_real(noise, "noise", minimum=0.0)
    mean = as_real(mean, "mean")
    distribution = as_choice(distribution, "distribution", ("gaussian", "uniform"))
    bias = _flag(bias, "bias")
    try:
        dt = np.dtype(dtype)
    except TypeError:
        raise InputTypeError(f"dtype must be float64 or float32, got {dtype!r}") from None
    if dt not in (np.float64, np.float32):
        raise InputError(f"dtype must be float64 or float32, got {dt}")
    if seed is not None:
        seed = as_int(seed, "seed", minimum=0)
    rng = np.random.default_rng(seed)
    dim = d + (1 if bias else 0)

    def draw(m: int) -> np.ndarray:
        if distribution == "gaussian":
            Z = rng.standard_normal((m, d)) + mean
        else:
            Z = rng.random((m, d))
        return np.hstack([Z, np.ones((m, 1))]) if bias else Z

    if w_star is None:
        ws = rng.standard_normal(dim)
        ws /= np.linalg.norm(ws)
    else:
        ws = as_array(w_star, "w_star", 1).astype(np.float64)
        if ws.shape[0] != dim:
            raise InputError(f"w_star must have {dim} entries, got shape {ws.shape}")
    X = draw(n)
    Xt = draw(n_test)
    y = np.maximum(X @ ws, 0.0) + noise * rng.standard_normal(n)
    yt = np.maximum(Xt @ ws, 0.0)
    c = np.ascontiguousarray
    return Planted(
        X=c(X, dtype=dt),
        y=c(y, dtype=dt),
        w_star=c(ws, dtype=dt),
        X_test=c(Xt, dtype=dt),
        y_test=c(yt, dtype=dt),
    )
