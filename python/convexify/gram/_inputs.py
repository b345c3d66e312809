"""Validation of lens 3's arguments (rows, activation, depth, architecture) and its constants."""

from __future__ import annotations

import math
from typing import Any, Callable, Optional, Tuple, Union

import numpy as np

from .._errors import ConvergenceWarning, ConvexifyWarning, InputError, InputTypeError
from .._validate import as_array, as_choice, as_int

ACTIVATIONS = ("relu", "erf", "tanh", "softplus", "sigmoid", "gelu")


CLOSED_FORM = ("relu", "erf")


ARCHS = ("fc", "resnet", "cnn")


UNIT_NORM_TOL = 1e-8


#: The largest ``depth`` accepted (the recursions are O(H) per pair; the core counts layers in a C int).
MAX_DEPTH = 10_000


_EPS = 2.0**-52


_U = 2.0**-53


ActivationPair = Tuple[Callable[[np.ndarray], np.ndarray], Callable[[np.ndarray], np.ndarray]]


Activation = Union[str, ActivationPair]


# ----------------------------------------------------------------------------------------------- validation
def _activation(activation: Any) -> Activation:
    if isinstance(activation, str):
        return as_choice(activation, "activation", ACTIVATIONS)
    if isinstance(activation, tuple) and len(activation) == 2 and all(callable(f) for f in activation):
        return activation
    raise InputTypeError(
        f"activation must be one of {list(ACTIVATIONS)} or a pair (sigma, sigma_prime) of callables, "
        f"got {activation!r}"
    )


def row_norms(X: np.ndarray) -> Tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Row norms of ``X`` computed without overflow or underflow, as LAPACK's ``dnrm2`` does.

    Every row is first scaled by a power of two ``2^-e_i`` (exact) that brings its largest absolute entry
    into ``[0.5, 1)``, and the norm is taken of the scaled row.

    Returns:
        ``(Y, nu, e)``: the scaled rows ``Y = 2^-e X`` (rows, an exact copy of ``X`` up to the power of two),
        their norms ``nu`` (in ``[0.5, sqrt(d))``; 0 for a zero row) and the exponents ``e``, so that
        ``||x_i|| = nu_i 2^e_i`` (which may over- or underflow; ``nu`` and ``e`` do not).
    """
    big = np.max(np.abs(X), axis=1)
    _, e = np.frexp(big)
    Y = np.ldexp(X, -e[:, None])
    return Y, np.linalg.norm(Y, axis=1), e


def _fmt_norm(nu: float, e: Any) -> str:
    norm = float(np.ldexp(nu, e))
    if 0.0 < norm < math.inf:
        return f"{norm:.6g}"
    return f"2^{math.log2(nu) + int(e):.6g}"  # not representable: say which power of two


def unit_norm_tolerance(dtype: Any, d: int) -> float:
    """The tolerance on ``| ||x_i|| - 1 |`` for rows normalised in ``dtype`` (docs/gram.md#networks).

    ``1e-8`` for float64 input; for a lower precision (float32, float16) rows normalised in that precision are
    accepted: ``max(1e-8, 4 sqrt(d) eps)`` with ``eps`` the dtype's machine epsilon (the norm of a row
    rounded entrywise and normalised by a computed norm deviates from 1 by about ``sqrt(d) eps``).
    """
    try:
        dt = np.dtype(dtype)
    except TypeError:
        return UNIT_NORM_TOL
    if dt.kind != "f" or dt.itemsize >= 8:
        return UNIT_NORM_TOL
    return max(UNIT_NORM_TOL, 4.0 * math.sqrt(d) * float(np.finfo(dt).eps))


#: Gauss-Hermite of order q resolves the smooth activations' expectations for variances up to about q/16
#: (relative error about 4e-3 on the tanh derivative kernel there; 2e-7 at variance 1 and q = 64, growing
#: quickly beyond; docs/gram.md#quadrature).  Variances up to 4 (the unit-norm regime: FC keeps 1, ResNets
#: grow slowly) are left to the documented accuracy of the chosen order.
def quadrature_variance_limit(q: int) -> float:
    return max(4.0, q / 16.0)


def check_quadrature_variance(activation: Any, q: int, variance: float) -> None:
    """Warn (:class:`ConvergenceWarning`) when a layer variance is too large for Gauss-Hermite of order q."""
    if not isinstance(activation, str) or activation in CLOSED_FORM:
        return
    limit = quadrature_variance_limit(q)
    if variance > limit:
        import warnings

        warnings.warn(
            f"a layer variance K^(h)_ii reaches {variance:.3g}, beyond the {limit:.3g} = max(4, "
            f"quadrature_order/16) that Gauss-Hermite of order {q} resolves for activation={activation!r} "
            "(the expectations are then inaccurate, by 1e-3 or more): raise quadrature_order, normalize X, "
            "reduce c_res, or use a closed-form activation ('relu', 'erf'); docs/gram.md#quadrature",
            ConvergenceWarning,
            stacklevel=3,
        )


#: Row norms whose squares (the diagonal of ``K^(0) = X X^T``) are normal float64 numbers.
_NORM_MIN = math.sqrt(np.finfo(np.float64).tiny)
_NORM_MAX = math.sqrt(np.finfo(np.float64).max)


def _inputs(X: Any, normalize: bool, unit_norm: Optional[str], name: str = "X") -> np.ndarray:
    dtype = getattr(X, "dtype", None)
    X = as_array(X, name, 2)
    if not isinstance(normalize, (bool, np.bool_)):
        raise InputTypeError(f"normalize must be a bool, got {normalize!r}")
    mode = "normalize" if normalize else "raise"
    if unit_norm is not None:
        mode = as_choice(unit_norm, "unit_norm", ("raise", "normalize", "ignore"))
    Y, nu, e = row_norms(X)
    zero = np.flatnonzero(nu == 0.0)
    if zero.size:
        raise InputError(f"{name} has a zero row (row {zero[0]}): the angle to it is undefined")
    if mode == "normalize":
        # Scale-invariant: 2^-e x_i is exact, so the result does not depend on the scale of a row (bit for bit
        # for a power-of-two scale, to round-off otherwise), subnormal rows included.
        return np.ascontiguousarray(Y / nu[:, None])
    norms = np.ldexp(nu, e)  # +inf or 0 where a norm itself is not representable
    if mode == "raise":
        dev = np.abs(norms - 1.0)
        worst = int(np.argmax(dev))
        tol = unit_norm_tolerance(dtype, X.shape[1])
        if dev[worst] > tol:
            kind = np.dtype(dtype).name if dtype is not None else "float64"
            raise InputError(
                f"{name} rows must have unit norm (Du et al. assume ||x_i|| = 1; tolerance {tol:.3g} for "
                f"{kind} input): row {worst} has norm {_fmt_norm(nu[worst], e[worst])}; pass normalize=True "
                "to rescale the rows, or unit_norm='ignore'"
            )
        return X
    # "ignore": the recursion runs on the raw rows, so K^(0) = X X^T must be representable.
    hi, lo = int(np.argmax(norms)), int(np.argmin(norms))
    if not norms[hi] <= _NORM_MAX:
        _raise_unrepresentable(name, hi, nu[hi], e[hi], "overflows float64")
    if not norms[lo] >= _NORM_MIN:
        _raise_unrepresentable(name, lo, nu[lo], e[lo], "underflows the normal float64 range")
    return X


def _raise_unrepresentable(name: str, i: int, nu: float, e: int, what: str) -> None:
    raise InputError(
        f"{name}: row {i} has norm {_fmt_norm(nu, e)}, whose square (K^(0)_ii = ||x_i||^2) {what}; with "
        f"unit_norm='ignore' every row norm must lie in [{_NORM_MIN:.3g}, {_NORM_MAX:.3g}] (rescale {name}: "
        "for ReLU every K^(h) scales like s^2 under X -> s X), or pass normalize=True"
    )


def _depth(depth: Any, arch: str) -> int:
    return as_int(depth, "depth", minimum=1 if arch == "fc" else 2, maximum=MAX_DEPTH)


def _cnn_inputs(X: Any, normalize: bool, patch_size: Any) -> Tuple[np.ndarray, int]:
    import warnings

    X = as_array(X, "X", 3)
    q = as_int(patch_size, "patch_size", minimum=1, maximum=X.shape[2])
    if q % 2 == 0:
        raise InputError(f"patch_size must be odd (circular padding (q-1)/2), got {q}")
    Y, nu, e = row_norms(X.reshape(X.shape[0], -1))
    zero = np.flatnonzero(nu == 0.0)
    if zero.size:
        raise InputError(f"X has a zero sample (sample {zero[0]})")
    if normalize:
        X = np.ascontiguousarray((Y / nu[:, None]).reshape(X.shape))
    elif np.max(np.abs(np.ldexp(nu, e) - 1.0)) > UNIT_NORM_TOL:
        warnings.warn(
            "CNN inputs without unit norm: the recursion is applied as is (docs/gram.md#cnn)",
            ConvexifyWarning,
            stacklevel=3,
        )
    return X, q
