"""The primal and dual objectives of lens 1 and the prox of the Ky Fan (2, k) term."""

from __future__ import annotations

from typing import Any, Sequence

import numpy as np

from .._errors import InputError
from .._validate import as_array, as_int, as_real
from ._inputs import INT_MAX, _core, _data, _gamma, _weights


def primal_objective(weights: Sequence[Any], X: Any, Y: Any, gamma: float) -> float:
    r"""The factorised primal objective (survey eq. 2), evaluated literally from the factors.

    ``P(W) = 1/2||Y - X W_1^T ... W_H^T||_F^2 + gamma/H (||X W_1^T||_{S_H}^H + sum_{i>=2} ||W_i||_{S_H}^H)``
    with ``H = len(weights)`` and Schatten-H norms computed from singular values (docs/linear.md#primal).

    Args:
        weights: ``[W_1, ..., W_H]`` (``H >= 2``), ``W_i`` of shape ``(d_i, d_{i-1})``, ``d_0 = X.shape[1]``,
            ``d_H = Y.shape[1]``.
        X: inputs, shape ``(n, d0)``.
        Y: targets, shape ``(n, dH)``; a 1-D target is one output column ``(n, 1)``.
        gamma: regularisation weight, finite, ``>= 0``.

    Returns:
        ``P(W)``.

    Raises:
        InputError / InputTypeError: invalid arguments, or factor shapes that do not chain from ``d_0`` to
            ``d_H`` (the message names the offending ``weights[i]``).
    """
    Xa, Ya = _data(X, Y)
    Ws = _weights(weights)
    g = _gamma(gamma)
    prev = Xa.shape[1]
    for i, W in enumerate(Ws):
        if W.shape[1] != prev:
            raise InputError(
                f"weights[{i}] has shape {W.shape}; its number of columns must be {prev} "
                "(the previous layer's width; d_0 = X.shape[1])"
            )
        prev = W.shape[0]
    if prev != Ya.shape[1]:
        raise InputError(f"weights[-1] has {prev} rows but Y has {Ya.shape[1]} columns")
    return float(_core().linear_primal_objective(Ws, Xa, Ya, g))


def dual_objective(Lambda: Any, X: Any, Y: Any, gamma: float, k: int) -> float:
    r"""The dual objective (survey eq. 3-4) at a feasible ``Lambda`` of shape ``(n, dH)``.

    ``D(Lambda) = 1/2||Y||_F^2 - 1/2||Ytilde - Lambda||_(k)^2`` with the Ky Fan (2,k) norm
    ``||A||_(k)^2 = sum_{i<=k} sigma_i(A)^2``.  Weak duality: ``D(Lambda) <= P*`` for every feasible
    ``Lambda`` (docs/linear.md#dual).

    Args:
        Lambda: dual point, shape ``(n, dH)`` (``(n,)`` or ``(n, 1)`` for a 1-D ``Y``),
            ``||Lambda||_2 <= gamma``, columns in range(X).
        X: inputs, shape ``(n, d0)``.
        Y: targets, shape ``(n, dH)``; a 1-D target is one output column ``(n, 1)``.
        gamma: regularisation weight, finite, ``>= 0``.
        k: ``d_min = min(d0, d_1, ..., d_{H-1}, dH, n)``, ``1 <= k <= 2**31 - 1``.

    Returns:
        ``D(Lambda)``.

    Raises:
        InputError / InputTypeError: invalid arguments (the message names the argument).
        InputError: ``Lambda`` is infeasible: spectral norm above ``gamma`` beyond rounding
            (``> gamma (1 + 1e-9) + 1e-12 ||Y||_F``), or columns outside range(X)
            (``||(I - P_X) Lambda||_F > 1e-8 ||Lambda||_F``).  The norm is spectral: a Frobenius ball would
            leave a duality gap.
    """
    Xa, Ya = _data(X, Y)
    La = as_array(Lambda, "Lambda", (1, 2) if Ya.shape[1] == 1 else 2)
    if La.ndim == 1:
        La = np.ascontiguousarray(La.reshape(-1, 1))
    if La.shape != Ya.shape:
        raise InputError(f"Lambda must have the shape of Y {Ya.shape}, got {La.shape}")
    g = _gamma(gamma)
    kk = as_int(k, "k", minimum=1, maximum=INT_MAX)
    return float(_core().linear_dual_objective(La, Xa, Ya, g, kk))


def prox_topk(v: Any, k: int, t: float = 1.0) -> np.ndarray:
    r"""prox of ``phi(x) = (t/2) * (sum of the k largest x_i^2)`` at ``v`` (docs/linear.md#dr).

    A weighted isotonic regression on ``|v|`` sorted descending (weights ``1 + t`` on the first ``k``
    positions, 1 after), solved by pool-adjacent-violators; order and signs of ``v`` are restored.  The naive
    rule "divide the k largest by 1 + t" is wrong whenever ``a_k / (1 + t) < a_{k+1}``:
    ``prox_topk([4, 3, 1], k=1, t=1) = [7/3, 7/3, 1]``.

    Args:
        v: the point, 1-D.
        k: how many of the largest squares are penalised (``0 <= k <= 2**31 - 1``).
        t: the weight ``t > 0``.

    Returns:
        ``argmin_x 1/2||x - v||^2 + phi(x)``, same shape as ``v``.

    Raises:
        InputError / InputTypeError: invalid arguments (the message names the argument).
    """
    va = as_array(v, "v", 1)
    kk = as_int(k, "k", minimum=0, maximum=INT_MAX)
    tt = as_real(t, "t", minimum=0.0, strict_min=True)
    return np.asarray(_core().linear_prox_topk(va, kk, tt))
