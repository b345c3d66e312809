"""Validation of lens 3's arguments (rows, activation, depth, architecture) and its constants."""

from __future__ import annotations

from typing import Any, Callable, Optional, Tuple, Union

import numpy as np

from .._errors import ConvexifyWarning, InputError, InputTypeError
from .._validate import as_array, as_choice, as_int

ACTIVATIONS = ("relu", "erf", "tanh", "softplus", "sigmoid", "gelu")


CLOSED_FORM = ("relu", "erf")


ARCHS = ("fc", "resnet", "cnn")


UNIT_NORM_TOL = 1e-8


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


def _inputs(X: Any, normalize: bool, unit_norm: Optional[str]) -> np.ndarray:
    X = as_array(X, "X", 2)
    if not isinstance(normalize, (bool, np.bool_)):
        raise InputTypeError(f"normalize must be a bool, got {normalize!r}")
    mode = "normalize" if normalize else "raise"
    if unit_norm is not None:
        mode = as_choice(unit_norm, "unit_norm", ("raise", "normalize", "ignore"))
    norms = np.linalg.norm(X, axis=1)
    zero = np.flatnonzero(norms == 0.0)
    if zero.size:
        raise InputError(f"X has a zero row (row {zero[0]}): the angle to it is undefined")
    if mode == "normalize":
        return np.ascontiguousarray(X / norms[:, None])
    if mode == "raise":
        dev = np.abs(norms - 1.0)
        worst = int(np.argmax(dev))
        if dev[worst] > UNIT_NORM_TOL:
            raise InputError(
                f"X rows must have unit norm (Du et al. assume ||x_i|| = 1): row {worst} has norm "
                f"{norms[worst]:.6g}; pass normalize=True to rescale the rows, or unit_norm='ignore'"
            )
    return X


def _depth(depth: Any, arch: str) -> int:
    return as_int(depth, "depth", minimum=1 if arch == "fc" else 2)


def _cnn_inputs(X: Any, normalize: bool, patch_size: Any) -> Tuple[np.ndarray, int]:
    import warnings

    X = as_array(X, "X", 3)
    q = as_int(patch_size, "patch_size", minimum=1, maximum=X.shape[2])
    if q % 2 == 0:
        raise InputError(f"patch_size must be odd (circular padding (q-1)/2), got {q}")
    norms = np.linalg.norm(X.reshape(X.shape[0], -1), axis=1)
    zero = np.flatnonzero(norms == 0.0)
    if zero.size:
        raise InputError(f"X has a zero sample (sample {zero[0]})")
    if normalize:
        X = np.ascontiguousarray(X / norms[:, None, None])
    elif np.max(np.abs(norms - 1.0)) > UNIT_NORM_TOL:
        warnings.warn(
            "CNN inputs without unit norm: the recursion is applied as is (docs/gram.md#cnn)",
            ConvexifyWarning,
            stacklevel=3,
        )
    return X, q
