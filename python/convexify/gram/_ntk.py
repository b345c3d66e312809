"""The NNGP and NTK kernels of a deep fully connected network (Jacot et al. 2018; Arora et al. 2019)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from .._validate import as_int
from ._inputs import Activation, _activation, _depth, _inputs


@dataclass(frozen=True)
class NTKResult:
    """NNGP and NTK of the FC network (SPEC 4.8).

    Attributes
    ----------
    nngp : ``Sigma^(H)``, the covariance of the last hidden layer (``= K^(H)`` of a depth-``H+1`` net's
        hidden layer ``H``).
    ntk : ``Theta^(H) = sum_{l=1..H+1} T_l``, the full NTK of all ``H + 1`` trained matrices.
    K : Du's ``K^(H) = Sigma^(H-1) o Sdot^(H) = T_H``, the block of ``W^(H)``; ``lambda_min(ntk) >=
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
) -> NTKResult:
    """NNGP ``Sigma^(H)`` and NTK ``Theta^(H)`` of the FC network, with Du's ``K^(H)`` (SPEC 4.8).

    ``Sigma^(0) = X X^T``, ``Sigma^(h) = c_sigma E_{Sigma^(h-1)}[sigma sigma]``, ``Sdot^(h) = c_sigma
    E_{Sigma^(h-1)}[sigma' sigma']``, ``Theta^(0) = Sigma^(0)``, ``Theta^(h) = Sigma^(h) + Sdot^(h) o
    Theta^(h-1)`` (Jacot et al. 2018).  Du's ``K^(h) = Sigma^(h)`` for ``h < H`` and ``K^(H) = Sigma^(H-1) o
    Sdot^(H)``.  Computed layer by layer in numpy (``O(n^2 H)`` memory-bound work; quadrature for smooth
    activations).
    """
    act = _activation(activation)
    H = _depth(depth, "fc")
    q = as_int(quadrature_order, "quadrature_order", minimum=8, maximum=256)
    Xv = _inputs(X, normalize, None)
    from ..reference import gram as ref

    sigma, theta, k = ref.nngp_ntk(Xv, H, act, quadrature_order=q)
    sym = lambda a: 0.5 * (a + a.T)  # noqa: E731
    return NTKResult(nngp=sym(sigma), ntk=sym(theta), K=sym(k))
