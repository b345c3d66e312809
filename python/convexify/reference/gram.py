"""Pure-numpy reference for lens 3 (Du et al. 2019 Gram recursions; docs/gram.md#fc to docs/gram.md#ntk).

Layer-by-layer recursions on full n x n matrices, written from the formulas of docs/gram.md independently of
the C++ core: ReLU and erf by their ``rho``-form closed forms (no angle form), everything else by tensor 2-D
Gauss-Hermite quadrature (``numpy.polynomial.hermite_e.hermegauss``).  Slow and memory-hungry on purpose
(it is a test oracle and a benchmark baseline), but exact in the same sense as the core.

Activations are given by name or as a pair of callables ``(sigma, sigma_prime)``.
"""

from __future__ import annotations

import math
from typing import Callable, List, Tuple, Union

import numpy as np
from numpy.polynomial.hermite_e import hermegauss
from scipy.special import erf as _erf
from scipy.special import expit, ndtr

ActivationSpec = Union[str, Tuple[Callable[[np.ndarray], np.ndarray], Callable[[np.ndarray], np.ndarray]]]

__all__ = [
    "activation_pair",
    "c_sigma",
    "gauss_hermite",
    "pair_expectations",
    "mean_activation",
    "gram_fc",
    "gram_resnet",
    "nngp_ntk",
]


def _softplus(x):
    return np.logaddexp(0.0, x)


def _gelu(x):
    return x * ndtr(x)


def _gelu_prime(x):
    return ndtr(x) + x * np.exp(-0.5 * x * x) / math.sqrt(2.0 * math.pi)


_ACTIVATIONS = {
    "relu": (lambda x: np.maximum(x, 0.0), lambda x: (x > 0).astype(float)),
    "erf": (_erf, lambda x: 2.0 / math.sqrt(math.pi) * np.exp(-x * x)),
    "tanh": (np.tanh, lambda x: 1.0 - np.tanh(x) ** 2),
    "softplus": (_softplus, expit),
    "sigmoid": (expit, lambda x: expit(x) * (1.0 - expit(x))),
    "gelu": (_gelu, _gelu_prime),
}


def activation_pair(activation: ActivationSpec):
    """(sigma, sigma') for a built-in name or a user pair."""
    if isinstance(activation, str):
        return _ACTIVATIONS[activation]
    return activation


def gauss_hermite(q: int) -> Tuple[np.ndarray, np.ndarray]:
    """Probabilists' Gauss-Hermite nodes and weights normalised to sum 1 (E over N(0, 1))."""
    t, w = hermegauss(q)
    return t, w / w.sum()


def c_sigma(activation: ActivationSpec) -> float:
    """1 / E[sigma(z)^2]: exact for relu and erf, Gauss-Hermite order 200 otherwise."""
    if activation == "relu":
        return 2.0
    if activation == "erf":
        return 1.0 / (2.0 / math.pi * math.asin(2.0 / 3.0))
    sigma, _ = activation_pair(activation)
    t, w = gauss_hermite(200)
    return 1.0 / float(w @ sigma(t) ** 2)


def mean_activation(activation: ActivationSpec, var: np.ndarray) -> np.ndarray:
    """mu(a) = E_{u ~ N(0, a)}[sigma(u)] elementwise."""
    var = np.asarray(var, dtype=float)
    if activation == "relu":
        return np.sqrt(var / (2.0 * math.pi))
    if activation in ("erf", "tanh"):
        return np.zeros_like(var)
    sigma, _ = activation_pair(activation)
    t, w = gauss_hermite(128)
    return sigma(np.sqrt(var)[..., None] * t) @ w


def pair_expectations(
    activation: ActivationSpec, a: np.ndarray, b: np.ndarray, c: np.ndarray, q: int = 64, deriv: bool = False
) -> np.ndarray:
    """E[g(u) g(v)], (u, v) ~ N(0, [[a, c], [c, b]]), g = sigma (or sigma' if ``deriv``), elementwise."""
    a, b, c = np.broadcast_arrays(*(np.asarray(v, dtype=float) for v in (a, b, c)))
    sab = np.sqrt(a * b)
    rho = np.clip(c / sab, -1.0, 1.0)
    if activation == "relu":
        theta = np.arccos(rho)
        if deriv:
            return (math.pi - theta) / (2.0 * math.pi)
        return sab / (2.0 * math.pi) * (np.sin(theta) + (math.pi - theta) * rho)
    if activation == "erf":
        if deriv:
            return 4.0 / math.pi / np.sqrt(np.maximum((1 + 2 * a) * (1 + 2 * b) - 4 * c * c, 0.0))
        return 2.0 / math.pi * np.arcsin(np.clip(2 * c / np.sqrt((1 + 2 * a) * (1 + 2 * b)), -1.0, 1.0))
    pair = activation_pair(activation)
    g = pair[1] if deriv else pair[0]
    t, w = gauss_hermite(q)
    sa, sb = np.sqrt(a), np.sqrt(b)
    s = np.sqrt(np.maximum(1.0 - rho * rho, 0.0))
    out = np.zeros_like(a)
    for ts, ws in zip(t, w):
        gu = g(sa * ts)
        inner = np.zeros_like(a)
        for tt, wt in zip(t, w):
            inner += wt * g(sb * (rho * ts + s * tt))
        out += ws * gu * inner
    return out


def _pairwise(activation, K, q, deriv):
    d = np.diag(K)
    return pair_expectations(activation, d[:, None], d[None, :], K, q=q, deriv=deriv)


def gram_fc(
    X: np.ndarray,
    depth: int,
    activation: ActivationSpec = "relu",
    quadrature_order: int = 64,
    last_layer: str = "corrected",
    return_all: bool = False,
) -> Union[np.ndarray, List[np.ndarray]]:
    """Du et al.'s FC recursion (docs/gram.md#fc), layer by layer.

    ``last_layer="corrected"`` uses the covariance A^(H) built from K^(H-1)
    (docs/gram.md#survey-definition-1); ``"survey"`` uses the survey's literal A^(H-1), built from K^(H-2)
    (needs depth >= 2), for the Definition 1 comparison.
    """
    cs = c_sigma(activation)
    X = np.asarray(X, dtype=float)
    Ks = [X @ X.T]
    for _ in range(1, depth):
        Ks.append(cs * _pairwise(activation, Ks[-1], quadrature_order, False))
    if last_layer == "corrected":
        cov = Ks[depth - 1]
    elif last_layer == "survey":
        if depth < 2:
            raise ValueError("last_layer='survey' needs depth >= 2")
        cov = Ks[depth - 2]
    else:
        raise ValueError(f"last_layer must be 'corrected' or 'survey', got {last_layer!r}")
    Ks.append(cs * Ks[depth - 1] * _pairwise(activation, cov, quadrature_order, True))
    return Ks if return_all else Ks[-1]


def gram_resnet(
    X: np.ndarray,
    depth: int,
    activation: ActivationSpec = "relu",
    c_res: float = 1.0,
    quadrature_order: int = 64,
    return_all: bool = False,
):
    """Du et al.'s ResNet recursion (docs/gram.md#resnet), layer by layer; K^(H) ((Ks, bs) if return_all)."""
    if depth < 2:
        raise ValueError("depth must be >= 2 for the ResNet recursion")
    cs = c_sigma(activation)
    r = c_res / depth
    X = np.asarray(X, dtype=float)
    K = X @ X.T
    Ks = [K]
    b = math.sqrt(cs) * mean_activation(activation, np.diag(K))
    K = cs * _pairwise(activation, K, quadrature_order, False)
    Ks.append(K)
    bs = [None, b]
    for _ in range(2, depth):
        mu = mean_activation(activation, np.diag(K))
        E = _pairwise(activation, K, quadrature_order, False)
        K = K + r * (np.outer(b, mu) + np.outer(mu, b)) + r * r * E
        b = b + r * mu
        Ks.append(K)
        bs.append(b)
    Ks.append(r * r * K * _pairwise(activation, K, quadrature_order, True))
    return (Ks, bs) if return_all else Ks[-1]


def nngp_ntk(X: np.ndarray, depth: int, activation: ActivationSpec = "relu", quadrature_order: int = 64):
    """NNGP Sigma^(H), NTK Theta^(H) and Du's K^(H) of the FC network (docs/gram.md#ntk), layer by layer."""
    cs = c_sigma(activation)
    X = np.asarray(X, dtype=float)
    sigma = X @ X.T
    theta = sigma.copy()
    k_last = None
    for _ in range(1, depth + 1):
        sdot = cs * _pairwise(activation, sigma, quadrature_order, True)
        k_last = sigma * sdot
        sigma_new = cs * _pairwise(activation, sigma, quadrature_order, False)
        theta = sigma_new + sdot * theta
        sigma = sigma_new
    return sigma, theta, k_last
