"""The NNGP and NTK kernels of a deep fully connected network (Jacot et al. 2018; Arora et al. 2019)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from .. import _core
from .._boundary import from_core
from .._errors import InputError
from .._repr import CompactRepr
from .._validate import as_int
from . import _expect
from ._inputs import Activation, _activation, _depth, _inputs


@dataclass(frozen=True, repr=False)
class NTKResult(CompactRepr):
    """NNGP and NTK of the FC network (docs/gram.md#ntk).

    Attributes:
        nngp: ``Sigma^(H)``, the covariance of the last hidden layer (``= K^(H)`` of a depth-``H+1`` net's
            hidden layer ``H``).
        ntk: ``Theta^(H) = sum_{l=1..H+1} T_l``, the full NTK of all ``H + 1`` trained matrices.
        K: Du's ``K^(H) = Sigma^(H-1) o Sdot^(H) = T_H``, the block of ``W^(H)``; ``lambda_min(ntk) >=
            lambda_min(K)`` because every block is PSD.
    """

    nngp: np.ndarray
    ntk: np.ndarray
    K: np.ndarray


def ntk(
    X: Any,
    depth: int,
    activation: Activation = "relu",
    quadrature_order: int = 64,
    normalize: bool = False,
    *,
    X2: Any = None,
) -> NTKResult:
    """NNGP ``Sigma^(H)`` and NTK ``Theta^(H)`` of the FC network, with Du's ``K^(H)`` (docs/gram.md#ntk).

    The recursion of Jacot et al. (2018)::

        Sigma^(0) = X X^T,   Sigma^(h) = c_sigma E_{Sigma^(h-1)}[sigma sigma],
        Sdot^(h) = c_sigma E_{Sigma^(h-1)}[sigma' sigma'],
        Theta^(0) = Sigma^(0),   Theta^(h) = Sigma^(h) + Sdot^(h) o Theta^(h-1).

    Du et al.'s ``K^(h) = Sigma^(h)`` for ``h < H`` and ``K^(H) = Sigma^(H-1) o Sdot^(H)`` (docs/gram.md#fc).
    Computed by the core in one fused pass over the upper triangle with the same expectations as
    :func:`gram_matrix`: the ReLU angle form (accurate to round-off for nearly parallel pairs), the erf
    closed form (docs/gram.md#closed-forms), 2-D Gauss-Hermite quadrature for the other named activations
    (docs/gram.md#quadrature); a user pair ``(sigma, sigma_prime)`` runs on a lens-side numpy quadrature.

    Args:
        X: (n, d) array with unit-norm rows (or ``normalize=True``).
        depth: ``H >= 1``.
        activation: one of :data:`ACTIVATIONS` or a pair ``(sigma, sigma_prime)`` of vectorised callables.
        quadrature_order: Gauss-Hermite order in [8, 256] for smooth activations.
        normalize: rescale the rows to unit norm first.
        X2: (n2, d) second set of rows (named activations): the cross kernels ``(n, n2)`` between the rows
            of ``X`` and those of ``X2``, each entry bit for bit the entry of ``ntk(vstack([X, X2]))``
            (docs/gram.md#tiles).

    Returns:
        :class:`NTKResult` with exactly symmetric (n, n) arrays, or (n, n2) arrays with ``X2``.

    Raises:
        InputError: an argument is out of range or ``X`` has zero, non-unit or non-finite rows.
        InputTypeError: an argument has the wrong type.
    """
    act = _activation(activation)
    H = _depth(depth, "fc")
    q = as_int(quadrature_order, "quadrature_order", minimum=8, maximum=256)
    if X2 is not None:
        if not isinstance(act, str):
            raise InputError("X2: cross kernels need a named activation, not a callable pair")
        from ._tiles import TileKernel

        tk = TileKernel(X, H, act, "fc", 1.0, q, kernel="ntk", X2=X2, normalize=normalize)
        nngp, theta, k = tk.blocks_ntk(0, tk.shape[0], 0, tk.shape[1])
        return NTKResult(nngp=nngp, ntk=theta, K=k)
    Xv = _inputs(X, normalize, None)
    if isinstance(act, str):
        return from_core(NTKResult, _core.gram_ntk(Xv, H, act, q))
    sigma, theta, k = _expect.nngp_ntk(Xv, H, act, q)
    sym = lambda a: 0.5 * (a + a.T)  # noqa: E731
    return NTKResult(nngp=sym(sigma), ntk=sym(theta), K=sym(k))
