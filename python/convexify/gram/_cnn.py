"""Convolutional ResNet Gram recursion of lens 3 (docs/gram.md#cnn), in numpy, and its finite-width network.

Inputs ``X`` of shape ``(n, C, p)`` (like ``torch.nn.Conv1d``), circular padding, odd patch size ``q``.  The
state is the ``(n p) x (n p)`` matrix over virtual points ``(i, l)``, ``K[i, l, j, l'] = lim <x_i[:, l],
x_j[:, l']>``; the patch operator ``(DK)[i, l, j, l'] = sum_k K[i, l+k, j, l'+k]`` (indices mod ``p``,
``k = -(q-1)/2 .. (q-1)/2``) gives the pre-activation covariances, and the ResNet recursion of
docs/gram.md#resnet runs on ``DK`` with ``b``, ``mu`` indexed by virtual points.  The last layer is a trace
over positions::

    K^(H)_ij = r^2 sum_l (D K^(H-1))[i, l, j, l] E[sigma'(U_l) sigma'(V_l)]

Cost ``O((n p)^2 q)`` per layer (memory ``(n p)^2``): meant for small ``n p``.
"""

from __future__ import annotations

import math

import numpy as np

from . import _expect

__all__ = ["patch_sum", "cnn_gram", "cnn_forward_gram"]


def patch_sum(K: np.ndarray, q: int) -> np.ndarray:
    """The patch operator of docs/gram.md#cnn.

    Args:
        K: array of shape (n, p, n, p).
        q: odd patch size.

    Returns:
        ``(DK)[i, l, j, l'] = sum_k K[i, (l+k) mod p, j, (l'+k) mod p]``, ``k = -(q-1)/2 .. (q-1)/2``.
    """
    half = (q - 1) // 2
    out = np.zeros_like(K)
    for k in range(-half, half + 1):
        out += np.roll(K, shift=(-k, -k), axis=(1, 3))
    return out


def cnn_gram(X: np.ndarray, depth: int, activation, q: int, c_res: float, quadrature_order: int):
    """``K^(H)`` (n, n) and the list of layer states (n, p, n, p) of the convolutional ResNet.

    The recursion of docs/gram.md#cnn, with the lens-side expectations of ``_expect`` (closed forms for
    ReLU and erf, 2-D Gauss-Hermite quadrature of order ``quadrature_order`` otherwise).

    Args:
        X: inputs (n, C, p).
        depth: ``H >= 2``.
        activation: a name of :data:`ACTIVATIONS` or a pair ``(sigma, sigma_prime)``.
        q: odd patch size.
        c_res: residual scale; ``r = c_res / H``.
        quadrature_order: Gauss-Hermite order for smooth activations.

    Returns:
        ``(K^(H), [K^(0), ..., K^(H-1)])`` with the states of shape (n, p, n, p).
    """
    n, _, p = X.shape
    cs = _expect.c_sigma(activation)
    r = c_res / depth
    K = np.einsum("icl,jcm->iljm", X, X)

    def expect(DK, deriv):
        flat = DK.reshape(n * p, n * p)
        E = _expect.pair_expectations(
            activation, np.diag(flat)[:, None], np.diag(flat)[None, :], flat, quadrature_order, deriv
        )
        return E.reshape(n, p, n, p)

    def mean(DK):
        return _expect.mean_activation(activation, np.diag(DK.reshape(n * p, n * p))).reshape(n, p)

    states = [K]
    DK = patch_sum(K, q)
    b = math.sqrt(cs) * mean(DK)
    K = cs * expect(DK, False)
    states.append(K)
    for _ in range(2, depth):
        DK = patch_sum(K, q)
        mu = mean(DK)
        K = (
            K
            + r * (np.einsum("il,jm->iljm", b, mu) + np.einsum("il,jm->iljm", mu, b))
            + r * r * expect(DK, False)
        )
        b = b + r * mu
        states.append(K)
    DK = patch_sum(K, q)
    Ed = expect(DK, True)
    KH = r * r * np.einsum("iljl->ij", DK * Ed)
    return KH, states


def _patches(x: np.ndarray, q: int) -> np.ndarray:
    """phi(x) for a batch x (n, C, p): (n, q C, p), rows ordered (offset k, channel)."""
    half = (q - 1) // 2
    return np.concatenate([np.roll(x, shift=-k, axis=2) for k in range(-half, half + 1)], axis=1)


def cnn_forward_gram(X, width, depth, activation, q, c_res, seed):
    """Finite-width ``G^(H)(0)`` of the convolutional ResNet (docs/gram.md#networks, docs/gram.md#validation).

    ``G^(H)_ij = <du_i/dW^(H), du_j/dW^(H)>`` at i.i.d. N(0, 1) weights drawn from
    ``numpy.random.default_rng(seed)``.

    Args:
        X: inputs (n, C, p).
        width: channels ``m`` of every hidden layer.
        depth: ``H >= 2``.
        activation: a name of :data:`ACTIVATIONS` or a pair ``(sigma, sigma_prime)``.
        q: odd patch size.
        c_res: residual scale.
        seed: seed of the weights.

    Returns:
        The exactly symmetric (n, n) Gram block of ``W^(H)``.
    """
    sigma, dsigma = _expect.activation_pair(activation)
    cs = _expect.c_sigma(activation)
    n, C, p = X.shape
    m, r = width, c_res / depth
    rng = np.random.default_rng(seed)
    W = [rng.standard_normal((m, q * C))] + [rng.standard_normal((m, q * m)) for _ in range(depth - 1)]
    a = rng.standard_normal((m, p))
    x = math.sqrt(cs / m) * sigma(np.einsum("uk,ikl->iul", W[0], _patches(X, q)))
    for h in range(2, depth):
        x = x + r / math.sqrt(m) * sigma(np.einsum("uk,ikl->iul", W[h - 1], _patches(x, q)))
    phi = _patches(x, q)  # (n, q m, p)
    z = np.einsum("uk,ikl->iul", W[depth - 1], phi)
    # du_i/dW^(H) = (r/sqrt m) sum_l (a[:, l] o sigma'(z_i[:, l])) phi_i[:, l]^T
    g = a[None] * dsigma(z)  # (n, m, p)
    P = np.einsum("iul,jum->iljm", g, g)  # sum over units
    Q = np.einsum("ikl,jkm->iljm", phi, phi)
    G = (r * r / m) * np.einsum("iljm->ij", P * Q)
    return 0.5 * (G + G.T)
