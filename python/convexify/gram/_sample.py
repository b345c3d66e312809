"""Independent draws of the finite-width Gram block ``G^(H)(0)`` through the pre-activations' Gaussian law
(docs/gram.md#validation).

For i.i.d. N(0, 1) weights, the pre-activations of layer ``h`` given the previous layer's outputs
``X^(h-1)`` (n, m') are ``Z^(h) = X^(h-1) W^(h)T``: its ``m`` columns ``z_r = X^(h-1) w_r`` are independent
``N(0, Sigma)`` vectors with ``Sigma = X^(h-1) X^(h-1)T`` (n, n).  So ``Z^(h) = S Gamma`` with
``S S^T = Sigma`` and ``Gamma`` an (n, m) standard normal matrix has exactly the law of the network's
pre-activations, and the Gram block of the last weight matrix (docs/gram.md#fc, Du et al. 2019, the
``G^(H)`` of their Theorem 5.1)::

    G^(H)_ij = (c / m) <x_i^(H-1), x_j^(H-1)> sum_r a_r^2 sigma'(z_ir^(H)) sigma'(z_jr^(H))

(``c = c_sigma`` for FC, ``c = r^2 = (c_res / H)^2`` for the ResNet's and CNN's last layer) needs only the
forward pass.  A draw costs ``O(H n^2 m)`` instead of the ``O(H n m^2)`` (and ``m^2`` normal numbers per
layer) of building the weights, which is what makes the width sweeps of ``convexify reproduce`` cheap.
The same holds for the convolutional ResNet (docs/gram.md#cnn) with the ``(n p)`` virtual points ``(i, l)``
in place of the ``n`` samples and ``Sigma`` the Gram matrix of the patches.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from .._validate import as_choice, as_int, as_real
from . import _expect
from ._cnn import patch_sum
from ._inputs import _activation, _cnn_inputs, _depth, _inputs

__all__ = ["sample_last_gram"]


def _gaussian_columns(rng: np.random.Generator, Sigma: np.ndarray, width: int, draws: int) -> np.ndarray:
    """``draws`` independent (k, width) matrices whose columns are i.i.d. ``N(0, Sigma[d])``.

    ``Sigma`` is (draws, k, k); its square root ``S = V diag(sqrt(max(w, 0)))`` comes from ``eigh`` (exact for
    the positive semidefinite ``Sigma``; negative round-off eigenvalues are clipped to 0).
    """
    w, V = np.linalg.eigh(Sigma)
    S = V * np.sqrt(np.maximum(w, 0.0))[:, None, :]
    return S @ rng.standard_normal((draws, Sigma.shape[-1], width))


def sample_last_gram(
    X: Any,
    width: int,
    depth: int,
    activation="relu",
    arch: str = "fc",
    draws: int = 8,
    seed: int = 0,
    c_res: float = 1.0,
    patch_size: int = 3,
) -> np.ndarray:
    """``draws`` independent finite-width Gram blocks ``G^(H)(0)`` (docs/gram.md#validation).

    Same law as :func:`convexify.gram.empirical_gram` (``block="last"``) over its seeds, but sampled layer by
    layer from the pre-activations' conditional Gaussian law ``Z^(h) | X^(h-1) ~ S Gamma`` with
    ``S S^T = X^(h-1) X^(h-1)T`` (module docstring): ``O(H n^2 m)`` per draw, all draws in one batched
    computation.  The draws are not those of ``empirical_gram(seed=s)`` (another use of the random numbers).

    Args:
        X: (n, d) inputs (``(n, C, p)`` for ``arch="cnn"``), used as given.
        width: width ``m >= 1``.
        depth: ``H >= 1`` (``>= 2`` for ``"resnet"`` and ``"cnn"``).
        activation: one of :data:`ACTIVATIONS` or a pair ``(sigma, sigma_prime)`` of vectorised callables.
        arch: ``"fc"``, ``"resnet"`` or ``"cnn"``.
        draws: number of independent networks, ``>= 1``.
        seed: seed of ``numpy.random.default_rng``.
        c_res: residual scale ``> 0``.
        patch_size: odd patch size (``"cnn"`` only).

    Returns:
        Array (draws, n, n) of exactly symmetric Gram blocks.

    Raises:
        InputError: an argument is out of range.
        InputTypeError: an argument has the wrong type.
    """
    arch = as_choice(arch, "arch", ("fc", "resnet", "cnn"))
    act = _activation(activation)
    H = _depth(depth, arch)
    width = as_int(width, "width", minimum=1, maximum=2**31 - 1)
    draws = as_int(draws, "draws", minimum=1, maximum=10**6)
    seed = as_int(seed, "seed", minimum=0)
    c_res = as_real(c_res, "c_res", minimum=0.0, strict_min=True)
    sigma, dsigma = _expect.activation_pair(act)
    cs = _expect.c_sigma(act)
    m, r = width, c_res / H
    rng = np.random.default_rng(seed)
    if arch == "cnn":
        import warnings

        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            Xc, q = _cnn_inputs(X, False, patch_size)
        return _cnn_draws(Xc, m, H, sigma, dsigma, cs, r, q, draws, rng)
    Xv = _inputs(X, False, "ignore")
    n = Xv.shape[0]
    # Sigma^(h) = X^(h-1) X^(h-1)T for every draw; x (draws, n, m) is the current layer's output.
    Sigma = np.broadcast_to(Xv @ Xv.T, (draws, n, n))
    x = None
    for h in range(1, H):
        z = _gaussian_columns(rng, Sigma, m, draws)
        if h == 1 or arch == "fc":
            x = math.sqrt(cs / m) * sigma(z)
        else:
            x = x + (r / math.sqrt(m)) * sigma(z)
        Sigma = x @ x.transpose(0, 2, 1)
    z = _gaussian_columns(rng, Sigma, m, draws)
    a2 = rng.standard_normal((draws, 1, m)) ** 2
    scale2 = cs / m if (arch == "fc" or H == 1) else r * r / m
    d = dsigma(z)
    G = scale2 * Sigma * ((d * a2) @ d.transpose(0, 2, 1))
    return 0.5 * (G + G.transpose(0, 2, 1))


def _patch_gram(x: np.ndarray, q: int) -> np.ndarray:
    """``Sigma[d, (i, l), (j, l')] = <phi(x_i)[:, l], phi(x_j)[:, l']>`` for x (draws, n, C, p)."""
    D, n, _, p = x.shape
    M = np.einsum("dicl,djck->diljk", x, x, optimize=True)
    return np.stack([patch_sum(M[k], q) for k in range(D)]).reshape(D, n * p, n * p)


def _cnn_draws(X, m, H, sigma, dsigma, cs, r, q, draws, rng):
    """The convolutional ResNet of docs/gram.md#networks, sampled on the ``n p`` virtual points."""
    n, _, p = X.shape
    x = np.broadcast_to(X, (draws,) + X.shape)
    Sigma = _patch_gram(x, q)

    def pre_activations():
        # (draws, n p, m) -> (draws, n, m, p): unit u of sample i at position l.
        return _gaussian_columns(rng, Sigma, m, draws).reshape(draws, n, p, m).transpose(0, 1, 3, 2)

    x = math.sqrt(cs / m) * sigma(pre_activations())
    for _ in range(2, H):
        Sigma = _patch_gram(x, q)
        x = x + (r / math.sqrt(m)) * sigma(pre_activations())
    Sigma = _patch_gram(x, q)
    z = pre_activations()
    a = rng.standard_normal((draws, 1, m, p))
    g = (a * dsigma(z)).transpose(0, 1, 3, 2).reshape(draws, n * p, m)  # (draws, (i, l), u)
    P = g @ g.transpose(0, 2, 1)
    G = (r * r / m) * (P * Sigma).reshape(draws, n, p, n, p).sum(axis=(2, 4))
    return 0.5 * (G + G.transpose(0, 2, 1))
