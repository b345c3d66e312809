"""Pure-numpy reference for lens 4: test oracle and benchmark baseline.

Written from the formulas of docs/branches.md#model (survey eqs. 16-17), docs/branches.md#slices and
docs/branches.md#scores with no calls into the compiled core: per-branch forward pass, the tau-hinge and
squared tau-hinge, the gradient by the chain rule, the loss surface by one full forward pass per grid point,
and the midpoint convexity test.  Parameters are U (I, m, d), a (I, m).
"""

from __future__ import annotations

from typing import Tuple

import numpy as np

__all__ = ["forward", "risk", "loss_gradient", "surface", "multiclass_surface", "midpoint_scores"]


def forward(X: np.ndarray, U: np.ndarray, a: np.ndarray) -> np.ndarray:
    """f(x) = (1/I) sum_i a_i . relu(U_i x), computed branch by branch, shape (n,)."""
    I = U.shape[0]
    f = np.zeros(X.shape[0])
    for i in range(I):
        f += np.maximum(X @ U[i].T, 0.0) @ a[i]
    return f / I


def _per_sample(t: np.ndarray, loss: str) -> np.ndarray:
    h = np.maximum(1.0 - t, 0.0)
    return h if loss == "hinge" else h * h


def risk(
    X: np.ndarray, y: np.ndarray, U: np.ndarray, a: np.ndarray, tau: float, loss: str = "hinge"
) -> float:
    """R(theta) = mean_j l(y_j f(x_j) / tau)."""
    return float(np.mean(_per_sample(y * forward(X, U, a) / tau, loss)))


def loss_gradient(
    X: np.ndarray, y: np.ndarray, U: np.ndarray, a: np.ndarray, tau: float, loss: str = "hinge"
) -> Tuple[float, np.ndarray, np.ndarray]:
    """(R, dR/dU, dR/da) by the chain rule, relu'(0) = 0, hinge'(0) = 0."""
    I = U.shape[0]
    n = X.shape[0]
    f = forward(X, U, a)
    t = y * f / tau
    h = np.maximum(1.0 - t, 0.0)
    value = float(np.mean(h if loss == "hinge" else h * h))
    dl_dt = -(h > 0).astype(float) if loss == "hinge" else -2.0 * h
    r = dl_dt * y / (tau * n)  # dR/df_j
    gU = np.empty_like(U)
    ga = np.empty_like(a)
    for i in range(I):
        Z = X @ U[i].T
        ga[i] = np.maximum(Z, 0.0).T @ r / I
        gZ = (r[:, None] * a[i][None, :] / I) * (Z > 0)
        gU[i] = gZ.T @ X
    return value, gU, ga


def surface(
    X: np.ndarray,
    y: np.ndarray,
    centre: Tuple[np.ndarray, np.ndarray],
    d1: Tuple[np.ndarray, np.ndarray],
    d2: Tuple[np.ndarray, np.ndarray],
    alphas: np.ndarray,
    betas: np.ndarray,
    tau: float,
    loss: str = "hinge",
) -> np.ndarray:
    """S[i, j] = R(centre + alphas[i] d1 + betas[j] d2) by a direct loop over the grid."""
    S = np.empty((len(alphas), len(betas)))
    for i, al in enumerate(alphas):
        for j, be in enumerate(betas):
            U = centre[0] + al * d1[0] + be * d2[0]
            a = centre[1] + al * d1[1] + be * d2[1]
            S[i, j] = risk(X, y, U, a, tau, loss)
    return S


def multiclass_surface(
    X: np.ndarray,
    labels: np.ndarray,
    centre: Tuple[np.ndarray, np.ndarray],
    d1: Tuple[np.ndarray, np.ndarray],
    d2: Tuple[np.ndarray, np.ndarray],
    alphas: np.ndarray,
    betas: np.ndarray,
) -> np.ndarray:
    """Multi-class margin loss mean_j (1/C) sum_{c != y_j} max(0, 1 - F_{j,y_j} + F_{j,c}) on the plane, by a
    direct loop; U (I, m, d), A (I, m, C), F = (1/I) sum_i relu(X U_i^T) A_i."""
    n = X.shape[0]
    S = np.empty((len(alphas), len(betas)))
    for i, al in enumerate(alphas):
        for j, be in enumerate(betas):
            U = centre[0] + al * d1[0] + be * d2[0]
            A = centre[1] + al * d1[1] + be * d2[1]
            F = sum(np.maximum(X @ U[b].T, 0.0) @ A[b] for b in range(U.shape[0])) / U.shape[0]
            C = F.shape[1]
            fy = F[np.arange(n), labels]
            L = np.maximum(0.0, 1.0 - fy[:, None] + F)
            L[np.arange(n), labels] = 0.0
            S[i, j] = float(np.mean(L.sum(axis=1) / C))
    return S


def midpoint_scores(S: np.ndarray) -> Tuple[float, float]:
    """(midpoint_frac, midpoint_excess) of docs/branches.md#scores by an explicit loop over grid triples."""
    S = np.asarray(S, dtype=float)
    rng_ = S.max() - S.min()
    if rng_ == 0:
        return 0.0, 0.0
    Sn = (S - S.min()) / rng_
    na, nb = Sn.shape
    count = viol = 0
    excess = 0.0
    for s in (1, 2, 4, 8):
        for da, db in ((1, 0), (0, 1), (1, 1), (1, -1)):
            for i in range(na):
                for j in range(nb):
                    i0, j0, i1, j1 = i - s * da, j - s * db, i + s * da, j + s * db
                    if 0 <= i0 < na and 0 <= i1 < na and 0 <= j0 < nb and 0 <= j1 < nb:
                        e = Sn[i, j] - 0.5 * (Sn[i0, j0] + Sn[i1, j1])
                        count += 1
                        viol += e > 1e-6
                        excess += max(e, 0.0)
    return viol / count, excess / count
