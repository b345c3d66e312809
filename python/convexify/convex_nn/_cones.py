"""Cone decomposition: a gated solution written as a ReLU one (docs/convex_nn.md#cone-decomposition)."""

from __future__ import annotations

from typing import Tuple

import numpy as np
from scipy.optimize import nnls

from .._errors import InputError
from .._validate import as_array
from ._solve import _masks_arg


def _least_distance(G: np.ndarray, b: np.ndarray):
    """``argmin ||w|| subject to G w >= b`` by Lawson & Hanson's least-distance programming (1974, ch. 23):
    with ``E = [G^T; b^T]`` and ``lam = argmin_{lam >= 0} ||E lam - e_{d+1}||``, the residual
    ``r = E lam - e_{d+1}`` gives ``w = -r[:d] / r[d]``; ``r = 0`` means the constraints are infeasible.
    Returns None when infeasible."""
    d = G.shape[1]
    # rows scaled to unit norm (the same constraints) and w to units of max b: nnls then sees a well-scaled E
    nrm = np.linalg.norm(G, axis=1)
    keep = nrm > 0
    if np.any(b[~keep] > 0):
        return None
    Gs, bs = G[keep] / nrm[keep, None], b[keep] / nrm[keep]
    unit = float(bs.max()) if bs.size else 0.0
    if not unit > 0:
        return np.zeros(d)
    bs = bs / unit
    E = np.vstack([Gs.T, bs[None, :]])
    f = np.zeros(d + 1)
    f[-1] = 1.0
    lam, _ = nnls(E, f, maxiter=50 * max(E.shape[1], 1))
    r = E @ lam - f
    if not r[-1] < -1e-12:
        return None
    return unit * (-r[:d] / r[-1])


def cone_decomposition(U, masks, X, rtol: float = 1e-9) -> Tuple[np.ndarray, np.ndarray]:
    """Write a gated solution ``U`` (P, d) as a ReLU one: ``u_i = v_i - w_i`` with both in the cone
    ``K_i = {v : (2 D_i - I) X v >= 0}`` of the pattern ``D_i`` (Mishkin, Sahiner & Pilanci 2022, sec. 3).

    Then ``relu(X v_i) - relu(X w_i) = D_i X u_i`` on the training rows, so the ReLU network
    ``sum_i relu(X v_i) - relu(X w_i)`` (see :func:`relu_network`) predicts exactly what the gated model
    does; its penalty ``lam sum_i (||v_i|| + ||w_i||)`` is at least the gated ``lam sum_i ||u_i||`` and
    usually more.  ``w_i`` is the smallest vector with ``(2 D_i - I) X w_i >= max(0, -(2 D_i - I) X u_i)``
    (a least-distance program, solved by non-negative least squares); ``w_i = 0`` when ``u_i`` is already in
    its cone.  The decomposition exists exactly when ``u_i`` lies in ``K_i - K_i``, which is all of R^d when
    ``K_i`` has an interior; a neuron without one raises InputError naming it.  Returns ``(V, W)``, each
    (P, d).
    """
    X = as_array(X, "X", 2)
    masks = _masks_arg(masks, X.shape[0])
    U = as_array(U, "U", 2, allow_empty=True)
    d = X.shape[1]
    if U.shape != (masks.shape[1], d):
        raise InputError(f"U must be (P, d) = ({masks.shape[1]}, {d}), got {U.shape}")
    V, W = U.copy(), np.zeros_like(U)
    for i in range(U.shape[0]):
        G = (2.0 * masks[:, i] - 1.0)[:, None] * X
        margin = G @ U[i]
        if margin.min() >= -rtol * float(np.abs(margin).max()):
            continue  # already a ReLU neuron
        need = np.maximum(-margin, 0.0)
        w = _least_distance(G, need)
        if w is None or (G @ w - need).min() < -rtol * float(np.abs(G @ w).max()):
            raise InputError(
                f"U: neuron {i} has no cone decomposition: the cone of its pattern has no interior (no gate "
                "is strictly positive on its active rows and negative on the others)"
            )
        V[i] = U[i] + w
        W[i] = w
    return V, W
