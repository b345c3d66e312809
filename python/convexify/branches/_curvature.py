"""Exact a.e. Hessian-vector products and extreme curvature of R(theta) (docs/branches.md#hvp).

For ReLU units the a.e. Hessian ignores the kinks (relu'' = 0).  For the tau-hinge the loss is piecewise
linear too (hinge'' = 0), so the Hessian has only a_k-u_k cross blocks [[0, C], [C^T, 0]] and its spectrum
is exactly symmetric: "fraction of negative curvature" is 1/2 by construction and carries no information.
Curvature is therefore informative only for smooth losses (the squared tau-hinge here;
docs/branches.md#curvature).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any, Tuple

import numpy as np

from .._errors import DivergenceError, InputError
from .._repr import CompactRepr
from .._validate import as_array, as_real
from ._model import MultiBranchMLP, check_data, check_loss
from ._scale import normalise

DENSE_MAX = 512  # up to this many parameters the Hessian is formed (N products) and diagonalised exactly
FALLBACK_MAX = 4096  # ... and up to this many when Lanczos fails


def _margin_scaled(X: np.ndarray, tau: float) -> Tuple[np.ndarray, float]:
    """(X / 2^k, tau / 2^k) with tau / 2^k in [1/2, 1): R and its Hessian are unchanged, and the weights
    1/tau, 1/tau^2 of the loss's derivatives are of order one (docs/branches.md#scales)."""
    X, tau, _ = normalise(X, tau)
    k = math.frexp(tau)[1]
    return np.ldexp(X, -k), math.ldexp(tau, -k)


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
        ((Hv)_U of shape (I, m, d), (Hv)_a of shape (I, m)); unchanged when X and tau are scaled together
        (docs/branches.md#scales).

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
    X, tau = _margin_scaled(X, tau)
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


@dataclass(frozen=True, repr=False)
class Curvature(CompactRepr):
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

    Up to 512 parameters the Hessian is formed from N products and diagonalised exactly.  Where it is
    identically zero -- no unit active on any sample (dead ReLUs), or no sample where the loss is curved or
    sloped (every margin >= 1) -- both eigenvalues are 0 exactly, without Lanczos.  Scales
    (docs/branches.md#scales): the Hessian is unchanged when X and tau are scaled together, and the Hessian
    at theta / sqrt(s) for data s X is s times the Hessian at theta for X; it is computed on X / 2^k with
    tau / 2^k in [1/2, 1).

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
        DivergenceError: Lanczos failed on a Hessian too large (> 4096 parameters) to diagonalise densely.
    """
    from scipy.sparse.linalg import ArpackError, LinearOperator, eigsh

    X, y = check_data(X, y)
    tau = as_real(tau, "tau", minimum=0.0, strict_min=True)
    loss = check_loss(loss)
    if X.shape[1] != model.d:
        raise InputError(f"X must have d = {model.d} columns, got shape {X.shape}")
    X, tau = _margin_scaled(X, tau)
    pieces = _pieces(model, X, y, tau, loss)
    P, d = model.n_branches * model.width, model.d
    N = P * (d + 1)
    _, _, _, A, r, w, _ = pieces
    if not A.any() or (not r.any() and not w.any()):
        why = "no unit is active on any sample" if not A.any() else "the loss is flat at every sample"
        note = f"the a.e. Hessian is zero: {why}"
        return Curvature(0.0, 0.0, loss != "hinge", note)

    def mv(v: np.ndarray) -> np.ndarray:
        v = np.asarray(v).ravel()
        hu, ha = _hvp(pieces, X, v[: P * d].reshape(P, d), v[P * d :])
        return np.concatenate([hu.ravel(), ha])

    def dense() -> Tuple[float, float]:
        M = np.column_stack([mv(e) for e in np.eye(N)])
        ev = np.linalg.eigvalsh(0.5 * (M + M.T))
        return float(ev[0]), float(ev[-1])

    op = LinearOperator((N, N), matvec=mv, dtype=float)
    if N <= DENSE_MAX:
        lo, hi = dense()
    else:

        def lanczos(which: str) -> float:
            starts = (np.ones(N) / np.sqrt(N), np.random.default_rng(0).standard_normal(N))
            for k, v0 in enumerate(starts):  # a start in a small invariant subspace: retry from a random one
                try:
                    return float(eigsh(op, k=1, which=which, tol=1e-6, v0=v0, return_eigenvectors=False)[0])
                except ArpackError:
                    if k == len(starts) - 1:
                        raise
            raise AssertionError("unreachable")

        try:
            lo, hi = lanczos("SA"), lanczos("LA")
        except ArpackError as exc:
            if N > FALLBACK_MAX:
                msg = f"curvature: Lanczos (ARPACK) failed on {N} parameters: {exc}"
                raise DivergenceError(msg) from None
            lo, hi = dense()
    if loss == "hinge":
        note = (
            "tau-hinge: the a.e. Hessian is [[0, C], [C^T, 0]] with a symmetric spectrum "
            "(docs/branches.md#curvature)"
        )
        return Curvature(lo, hi, False, note)
    return Curvature(lo, hi, True, "squared tau-hinge: exact a.e. Hessian")
