"""Exact a.e. Hessian-vector products and extreme curvature of R(theta) (docs/branches.md#hvp).

For ReLU units the a.e. Hessian ignores the kinks (relu'' = 0).  For the tau-hinge the loss is piecewise
linear too (hinge'' = 0), so the Hessian has only a_k-u_k cross blocks [[0, C], [C^T, 0]] and its spectrum
is exactly symmetric: "fraction of negative curvature" is 1/2 by construction and carries no information.
Curvature is therefore informative only for smooth losses (the squared tau-hinge here;
docs/branches.md#curvature).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Tuple

import numpy as np

from .._errors import InputError
from .._validate import as_array, as_real
from ._model import MultiBranchMLP, check_data, check_loss

__all__ = ["Curvature", "hessian_vector_product", "curvature"]


def _pieces(model: MultiBranchMLP, X: np.ndarray, y: np.ndarray, tau: float, loss: str):
    U, a = model.units()
    Z = X @ U.T
    H = np.maximum(Z, 0.0)
    A = (Z > 0).astype(float)
    I = model.n_branches
    f = H @ a / I
    h = np.maximum(1.0 - y * f / tau, 0.0)
    n = X.shape[0]
    if loss == "hinge":  # tau-hinge
        r = -(y / tau) * (h > 0) / n
        w = np.zeros(n)
    else:  # squared tau-hinge
        r = -2.0 * h * y / tau / n
        w = 2.0 * (h > 0) / tau**2 / n
    return U, a, H, A, r, w, I


def hessian_vector_product(
    model: MultiBranchMLP, X: Any, y: Any, tau: float, vU: Any, va: Any, loss: str = "squared_hinge"
) -> Tuple[np.ndarray, np.ndarray]:
    """(Hv)_U (I, m, d), (Hv)_a (I, m): the exact a.e. Hessian of R applied to v = (vU, va).

    The formulas of docs/branches.md#hvp.

    With r_j = l'(f_j)/n, w_j = l''(f_j)/n, A_jk = 1[u_k . x_j > 0]:
    Jv_j = (1/I) sum_k [va_k relu(z_jk) + a_k A_jk x_j . vu_k],
    (Hv)_a_k = (1/I) sum_j [r_j A_jk x_j . vu_k + w_j Jv_j relu(z_jk)],
    (Hv)_u_k = (1/I) sum_j [r_j A_jk va_k + w_j Jv_j a_k A_jk] x_j.

    Args:
        model: the network theta.
        X: data, shape (n, d).
        y: labels, shape (n,), in {-1, +1}.
        tau: hinge scale > 0.
        vU: direction for U, shape (I, m, d).
        va: direction for a, shape (I, m).
        loss: "squared_hinge" or "hinge".

    Returns:
        ((Hv)_U of shape (I, m, d), (Hv)_a of shape (I, m)).

    Raises:
        InputError: an invalid argument, named.
    """
    X, y = check_data(X, y)
    tau = as_real(tau, "tau", minimum=0.0, strict_min=True)
    loss = check_loss(loss)
    I, m, d = model.n_branches, model.width, model.d
    vU = as_array(vU, "vU", 3)
    va = as_array(va, "va", 2)
    if vU.shape != (I, m, d) or va.shape != (I, m):
        raise InputError(f"vU, va must have shapes {(I, m, d)}, {(I, m)}, got {vU.shape}, {va.shape}")
    if X.shape[1] != d:
        raise InputError(f"X must have d = {d} columns, got shape {X.shape}")
    hu, ha = _hvp(_pieces(model, X, y, tau, loss), X, vU.reshape(I * m, d), va.reshape(I * m))
    return hu.reshape(I, m, d), ha.reshape(I, m)


def _hvp(pieces, X: np.ndarray, vU: np.ndarray, va: np.ndarray) -> Tuple[np.ndarray, np.ndarray]:
    U, a, H, A, r, w, I = pieces
    AXV = A * (X @ vU.T)
    Jv = (H @ va + AXV @ a) / I
    wJ = w * Jv
    Ha = (AXV.T @ r + H.T @ wJ) / I
    G = A * (r[:, None] * va[None, :] + wJ[:, None] * a[None, :])
    Hu = G.T @ X / I
    return Hu, Ha


@dataclass(frozen=True)
class Curvature:
    """Extreme eigenvalues of the a.e. Hessian of R at the model's parameters.

    Attributes:
        lambda_min, lambda_max: smallest and largest eigenvalue (Lanczos, tolerance 1e-6).
        informative: False for the tau-hinge, whose a.e. Hessian spectrum is symmetric by construction.
        note: why, in words.
    """

    lambda_min: float
    lambda_max: float
    informative: bool
    note: str


def curvature(model: MultiBranchMLP, X: Any, y: Any, tau: float, loss: str = "squared_hinge") -> Curvature:
    """Extreme a.e. Hessian eigenvalues by Lanczos (scipy eigsh) on the exact HVP (docs/branches.md#hvp).

    Args:
        model: the network theta.
        X: data, shape (n, d).
        y: labels, shape (n,), in {-1, +1}.
        tau: hinge scale > 0.
        loss: "squared_hinge" (informative) or "hinge" (symmetric spectrum, docs/branches.md#curvature).

    Returns:
        Curvature.

    Raises:
        InputError: an invalid argument, named.
    """
    from scipy.sparse.linalg import LinearOperator, eigsh

    X, y = check_data(X, y)
    tau = as_real(tau, "tau", minimum=0.0, strict_min=True)
    loss = check_loss(loss)
    if X.shape[1] != model.d:
        raise InputError(f"X must have d = {model.d} columns, got shape {X.shape}")
    pieces = _pieces(model, X, y, tau, loss)
    P, d = model.n_branches * model.width, model.d
    N = P * (d + 1)

    def mv(v: np.ndarray) -> np.ndarray:
        v = np.asarray(v).ravel()
        hu, ha = _hvp(pieces, X, v[: P * d].reshape(P, d), v[P * d :])
        return np.concatenate([hu.ravel(), ha])

    op = LinearOperator((N, N), matvec=mv, dtype=float)
    v0 = np.ones(N) / np.sqrt(N)
    if N <= 2:
        M = np.column_stack([mv(e) for e in np.eye(N)])
        ev = np.linalg.eigvalsh(0.5 * (M + M.T))
        lo, hi = float(ev[0]), float(ev[-1])
    else:
        lo = float(eigsh(op, k=1, which="SA", tol=1e-6, v0=v0, return_eigenvectors=False)[0])
        hi = float(eigsh(op, k=1, which="LA", tol=1e-6, v0=v0, return_eigenvectors=False)[0])
    if loss == "hinge":
        note = (
            "tau-hinge: the a.e. Hessian is [[0, C], [C^T, 0]] with a symmetric spectrum "
            "(docs/branches.md#curvature)"
        )
        return Curvature(lo, hi, False, note)
    return Curvature(lo, hi, True, "squared tau-hinge: exact a.e. Hessian")
