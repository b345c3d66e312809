"""Lens-side numpy Gaussian expectations for what the fused core does not cover.

The C++ core (:func:`convexify.gram.gram_matrix`, :func:`convexify.gram.ntk`) handles the named activations
of the FC and ResNet recursions.  This module serves the rest with whole-matrix numpy code: user activation
pairs ``(sigma, sigma')`` (through the core's Gauss-Hermite rule, ``_core.gram_gauss_hermite``), the
convolutional ResNet recursion (``_cnn.py``) and the finite-width networks (``_network.py``).

Notation (docs/gram.md#notation): for ``(u, v) ~ N(0, [[a, c], [c, b]])`` and ``rho = c / sqrt(a b)``,

    E[sigma(u) sigma(v)] = sum_s w_s g(sqrt(a) t_s) sum_t w_t g(sqrt(b) (rho t_s + sqrt(1 - rho^2) t_t))

with the probabilists' Gauss-Hermite nodes ``t`` and weights ``w`` (docs/gram.md#quadrature); ReLU and erf use
their closed forms in the ``rho`` form (docs/gram.md#closed-forms).
"""

from __future__ import annotations

import math
from functools import lru_cache
from typing import Callable, List, Tuple, Union

import numpy as np

from .. import _core

Fn = Callable[[np.ndarray], np.ndarray]
Pair = Tuple[Fn, Fn]

#: Gauss-Hermite order of ``c_sigma`` (as in the core) and of ``mu(a) = E[sigma(u)]``.
C_SIGMA_ORDER = 200
MEAN_ORDER = 128


def _erf(x):
    from scipy.special import erf

    return erf(x)


def _sigmoid(x):
    from scipy.special import expit

    return expit(x)


def _gelu(x):
    from scipy.special import ndtr

    return x * ndtr(x)


def _gelu_prime(x):
    from scipy.special import ndtr

    return ndtr(x) + x * np.exp(-0.5 * x * x) / math.sqrt(2.0 * math.pi)


_NAMED = {
    "relu": (lambda x: np.maximum(x, 0.0), lambda x: (x > 0).astype(float)),
    "erf": (_erf, lambda x: 2.0 / math.sqrt(math.pi) * np.exp(-x * x)),
    "tanh": (np.tanh, lambda x: 1.0 - np.tanh(x) ** 2),
    "softplus": (lambda x: np.logaddexp(0.0, x), _sigmoid),
    "sigmoid": (_sigmoid, lambda x: _sigmoid(x) * (1.0 - _sigmoid(x))),
    "gelu": (_gelu, _gelu_prime),
}


def activation_pair(activation: Union[str, Pair]) -> Pair:
    """``(sigma, sigma')`` as vectorised numpy callables, for a built-in name or a user pair."""
    return _NAMED[activation] if isinstance(activation, str) else activation


@lru_cache(maxsize=16)
def gauss_hermite(q: int) -> Tuple[np.ndarray, np.ndarray]:
    """The core's probabilists' Gauss-Hermite rule of order ``q`` (weights sum to 1)."""
    t, w = _core.gram_gauss_hermite(q)
    t.flags.writeable = False
    w.flags.writeable = False
    return t, w


def c_sigma(activation: Union[str, Pair]) -> float:
    """``1 / E_{z~N(0,1)}[sigma(z)^2]``: the core's value for a name, Gauss-Hermite order 200 for a pair."""
    if isinstance(activation, str):
        return float(_core.gram_c_sigma(activation))
    t, w = gauss_hermite(C_SIGMA_ORDER)
    return 1.0 / float(w @ np.asarray(activation[0](t), dtype=float) ** 2)


def mean_activation(activation: Union[str, Pair], var: np.ndarray) -> np.ndarray:
    """``mu(a) = E_{u ~ N(0, a)}[sigma(u)]`` elementwise (closed form for ReLU, 0 for odd activations)."""
    var = np.asarray(var, dtype=float)
    if activation == "relu":
        return np.sqrt(var / (2.0 * math.pi))
    if activation in ("erf", "tanh"):
        return np.zeros_like(var)
    sigma, _ = activation_pair(activation)
    t, w = gauss_hermite(MEAN_ORDER)
    return sigma(np.sqrt(var)[..., None] * t) @ w


def sqrt_prod(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """``sqrt(a b)`` for ``a, b >= 0`` without over- or underflow of the product (variances near 1e+-300).

    The mantissas are multiplied and the power of two is halved exactly, so the result has the bits of
    ``np.sqrt(a * b)`` wherever that product is a normal number (and ``sqrt_prod(a, a) == a`` exactly).
    """
    fa, ea = np.frexp(a)
    fb, eb = np.frexp(b)
    e = ea + eb
    odd = (e & 1).astype(bool)
    return np.ldexp(np.sqrt(np.where(odd, 2.0 * fa, fa) * fb), (e - odd) // 2)


def pair_expectations(
    activation: Union[str, Pair], a: np.ndarray, b: np.ndarray, c: np.ndarray, q: int, deriv: bool = False
) -> np.ndarray:
    """``E[g(u) g(v)]``, ``(u, v) ~ N(0, [[a, c], [c, b]])``, ``g = sigma`` (``sigma'`` if ``deriv``)."""
    a, b, c = np.broadcast_arrays(*(np.asarray(v, dtype=float) for v in (a, b, c)))
    sab = sqrt_prod(a, b)
    with np.errstate(divide="ignore", invalid="ignore"):
        rho = np.clip(np.where(sab > 0, c / np.where(sab > 0, sab, 1.0), 0.0), -1.0, 1.0)
    if activation == "relu":
        theta = np.arccos(rho)
        if deriv:
            return (math.pi - theta) / (2.0 * math.pi)
        return sab / (2.0 * math.pi) * (np.sqrt(np.maximum(1.0 - rho * rho, 0.0)) + (math.pi - theta) * rho)
    if activation == "erf":
        # p = 1/(1 + 2a), q = a/(1 + 2a): no overflow, and the determinant (1 + 2a)(1 + 2b) - 4c^2 as a sum of
        # non-negative terms (as in the core; docs/gram.md#closed-forms).
        pa, pb = 0.5 / (0.5 + a), 0.5 / (0.5 + b)
        if deriv:
            qa, qb = a * pa, b * pb
            det = pa * pb + 2 * (qa * pb + pa * qb) + 4 * qa * qb * (1 - rho) * (1 + rho)
            return 4.0 / math.pi * np.sqrt(pa) * np.sqrt(pb) / np.sqrt(det)
        return 2.0 / math.pi * np.arcsin(np.clip(c / sqrt_prod(0.5 + a, 0.5 + b), -1.0, 1.0))
    g = activation_pair(activation)[1 if deriv else 0]
    t, w = gauss_hermite(q)
    sa, sb = np.sqrt(a), np.sqrt(b)
    s = np.sqrt(np.maximum(1.0 - rho * rho, 0.0))
    out = np.zeros_like(a)
    for ts, ws in zip(t, w):
        inner = np.zeros_like(a)
        base = rho * ts
        for tt, wt in zip(t, w):
            inner += wt * g(sb * (base + s * tt))
        out += ws * g(sa * ts) * inner
    return out


def _pairwise(activation, K: np.ndarray, q: int, deriv: bool) -> np.ndarray:
    d = np.diag(K)
    return pair_expectations(activation, d[:, None], d[None, :], K, q, deriv)


def gram_fc(X: np.ndarray, depth: int, activation, q: int) -> List[np.ndarray]:
    """``[K^(0), ..., K^(H)]`` of the FC recursion (docs/gram.md#fc), layer by layer on full matrices."""
    cs = c_sigma(activation)
    Ks = [X @ X.T]
    for _ in range(1, depth):
        Ks.append(cs * _pairwise(activation, Ks[-1], q, False))
    Ks.append(cs * Ks[-1] * _pairwise(activation, Ks[-1], q, True))
    return Ks


def gram_resnet(X: np.ndarray, depth: int, activation, c_res: float, q: int) -> List[np.ndarray]:
    """``[K^(0), ..., K^(H)]`` of the ResNet recursion (docs/gram.md#resnet), layer by layer."""
    cs = c_sigma(activation)
    r = c_res / depth
    K = X @ X.T
    Ks = [K]
    b = math.sqrt(cs) * mean_activation(activation, np.diag(K))
    K = cs * _pairwise(activation, K, q, False)
    Ks.append(K)
    for _ in range(2, depth):
        mu = mean_activation(activation, np.diag(K))
        K = K + r * (np.outer(b, mu) + np.outer(mu, b)) + r * r * _pairwise(activation, K, q, False)
        b = b + r * mu
        Ks.append(K)
    Ks.append(r * r * K * _pairwise(activation, K, q, True))
    return Ks


def nngp_ntk(X: np.ndarray, depth: int, activation, q: int) -> Tuple[np.ndarray, np.ndarray, np.ndarray]:
    """``(Sigma^(H), Theta^(H), Sigma^(H-1) o Sdot^(H))`` of the FC network (docs/gram.md#ntk)."""
    cs = c_sigma(activation)
    sigma = X @ X.T
    theta = sigma.copy()
    k_last = sigma
    for _ in range(depth):
        sdot = cs * _pairwise(activation, sigma, q, True)
        k_last = sigma * sdot
        sigma_new = cs * _pairwise(activation, sigma, q, False)
        theta = sigma_new + sdot * theta
        sigma = sigma_new
    return sigma, theta, k_last


def survey_last_layer(Ks: List[np.ndarray], activation, q: int = 64) -> np.ndarray:
    """The survey's literal last line ``c_sigma K^(H-1) o E_{A^(H-1)}[sigma' sigma']`` (docs/gram.md#fc).

    ``Ks`` are the FC layers ``[K^(0), ..., K^(H)]`` (``H >= 2``); the expectation is taken under the
    covariance built from ``K^(H-2)`` instead of ``K^(H-1)`` (docs/gram.md#survey-definition-1).
    """
    H = len(Ks) - 1
    return c_sigma(activation) * Ks[H - 1] * _pairwise(activation, Ks[H - 2], q, True)
