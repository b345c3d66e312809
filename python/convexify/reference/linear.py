"""Pure-NumPy reference for lens 1 (deep linear networks), written from the project's docs (docs/linear.md)
independently of the compiled core.  Test oracle and benchmark baseline; no calls into ``convexify._core``.

* :func:`range_basis` -- orthonormal basis of range(X) by Householder QR + SVD of R
  (docs/conventions.md#linalg).
* :func:`closed_form` -- ``P*``, ``M*``, ``L*`` (docs/linear.md#closed-form, docs/linear.md#dual).
* :func:`prox_topk` -- PAV weighted isotonic regression (docs/linear.md#dr).
* :func:`douglas_rachford` -- the survey's literal full-form DR with ``n x dH`` iterates (``form="full"``) or
  the reduced form with ``r x dH`` iterates (``form="reduced"``), with the certificates of docs/linear.md#dr.
* :func:`recover_weights`, :func:`primal_objective`, :func:`dual_objective`, :func:`solve`.
* :func:`solve_dr_reduced` -- the baseline a user would write: reduced-form DR (``r x dH`` iterates, as the
  core's default form) with plain ``numpy.linalg.svd`` calls and the same stopping rule, end to end.
"""

from __future__ import annotations

from typing import Any, Dict, List, Optional, Sequence, Tuple

import numpy as np

__all__ = [
    "range_basis",
    "closed_form",
    "prox_topk",
    "douglas_rachford",
    "recover_weights",
    "primal_objective",
    "dual_objective",
    "solve",
    "solve_dr_reduced",
]

EPS = np.finfo(np.float64).eps


def _svd(A: np.ndarray) -> Tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Thin SVD with a QR step first when the aspect ratio exceeds 2."""
    m, p = A.shape
    if m == 0 or p == 0:
        return np.zeros((m, 0)), np.zeros(0), np.zeros((0, p))
    if m > 2 * p:
        Q, R = np.linalg.qr(A)
        U, s, Vt = np.linalg.svd(R)
        return Q @ U, s, Vt
    if p > 2 * m:
        U, s, Vt = _svd(A.T)
        return Vt.T, s, U.T
    return np.linalg.svd(A, full_matrices=False)


def _svals(A: np.ndarray) -> np.ndarray:
    m, p = A.shape
    if m == 0 or p == 0:
        return np.zeros(0)
    if m > 2 * p:
        A = np.linalg.qr(A, mode="r")
    elif p > 2 * m:
        A = np.linalg.qr(A.T, mode="r")
    return np.linalg.svd(A, compute_uv=False)


def range_basis(X: np.ndarray) -> Tuple[np.ndarray, np.ndarray, np.ndarray]:
    """``(U_x, s_x, V_x)``: X = U_x diag(s_x) V_x^T on the numerical rank (tol s_1 max(n, d0) eps)."""
    n, d0 = X.shape
    U, s, Vt = _svd(np.asarray(X, dtype=float))
    tol = (s[0] if s.size else 0.0) * max(n, d0) * EPS
    r = int(np.sum(s > tol))
    return U[:, :r], s[:r], Vt[:r].T


def _ky_fan_sq(A: np.ndarray, k: int) -> float:
    s = _svals(A)
    return float(np.sum(s[:k] ** 2))


Basis = Tuple[np.ndarray, np.ndarray, np.ndarray]


def closed_form(
    X: np.ndarray, Y: np.ndarray, gamma: float, k: int, basis: Optional[Basis] = None
) -> Dict[str, Any]:
    """Closed form: ``P* = 1/2||Y||^2 - 1/2 sum_{i<=min(k,rY)} (s_i - gamma)_+^2``.

    See docs/linear.md#closed-form and docs/linear.md#dual.
    """
    Ux, _, _ = range_basis(X) if basis is None else basis
    Ytilde = Ux @ (Ux.T @ Y)
    P, s, Qt = _svd(Ytilde)
    tol = (s[0] if s.size else 0.0) * max(Y.shape) * EPS
    rY = int(np.sum(s > tol))
    P, s, Qt = P[:, :rY], s[:rY], Qt[:rY]
    m = min(k, rY)
    shrunk = np.maximum(s[:m] - gamma, 0.0)
    M = (P[:, :m] * shrunk) @ Qt[:m]
    L = (P * np.minimum(s, gamma)) @ Qt
    value = 0.5 * float(np.sum(Y**2)) - 0.5 * float(np.sum(shrunk**2))
    return {"value": value, "M": M, "Lambda": L, "Ytilde": Ytilde, "s": s, "rY": rY, "P": P, "Qt": Qt}


def prox_topk(v: np.ndarray, k: int, t: float) -> np.ndarray:
    """prox of (t/2) * (sum of the k largest squares) by pool-adjacent-violators.

    The pseudo-code of docs/linear.md#dr.
    """
    v = np.asarray(v, dtype=float)
    order = np.argsort(-np.abs(v), kind="stable")
    a = np.abs(v)[order]
    blocks: List[List[float]] = []  # [sum_a, sum_w, length]
    for i, ai in enumerate(a):
        blocks.append([float(ai), 1.0 + t if i < k else 1.0, 1])
        while len(blocks) >= 2 and blocks[-2][0] / blocks[-2][1] < blocks[-1][0] / blocks[-1][1]:
            sa, sw, ln = blocks.pop()
            blocks[-1][0] += sa
            blocks[-1][1] += sw
            blocks[-1][2] += ln
    x = np.concatenate([np.full(int(b[2]), b[0] / b[1]) for b in blocks]) if blocks else np.zeros(0)
    out = np.empty_like(v)
    out[order] = x * np.sign(v[order]) + (v[order] == 0) * x
    return out


def douglas_rachford(
    X: np.ndarray,
    Y: np.ndarray,
    gamma: float,
    k: int,
    *,
    t: float = 1.0,
    tol: float = 1e-10,
    max_iter: int = 10_000,
    form: str = "full",
    z0: Optional[np.ndarray] = None,
    basis: Optional[Basis] = None,
    exact: bool = True,
) -> Dict[str, Any]:
    """DR on the dual with the certificates ``D_j``, ``P(M_svd)``, ``P(M_shadow)``, relative gap.

    See docs/linear.md#dr.  With ``exact=True`` the final candidate is replaced by the exact finish of
    docs/linear.md#exact-finish when that is no worse (``certified == "exact"``).

    ``form="full"`` iterates ``n x dH`` matrices with ``proj_C(Z) = clip_gamma(P_X Z)`` (the survey's literal
    algorithm); ``form="reduced"`` iterates ``U_x^T L`` (``r x dH``).  Returns the final ``Lambda`` (n x dH),
    the candidate ``M`` (n x dH) that attained ``P_j``, which candidate, iterations and the history.
    """
    Ux, _, _ = range_basis(X) if basis is None else basis
    y2 = float(np.sum(Y**2))
    if form == "full":
        T = Ux @ (Ux.T @ Y)  # Ytilde

        def proj_range(Z: np.ndarray) -> np.ndarray:
            return Ux @ (Ux.T @ Z)

        z = np.zeros_like(Y) if z0 is None else proj_range(np.asarray(z0, dtype=float))
    elif form == "reduced":
        T = Ux.T @ Y

        def proj_range(Z: np.ndarray) -> np.ndarray:
            return Z

        z = np.zeros_like(T) if z0 is None else Ux.T @ np.asarray(z0, dtype=float)
    else:
        raise ValueError(f"form must be 'full' or 'reduced', got {form!r}")
    t2 = float(np.sum(T**2))
    res2 = y2 - t2  # ||Y - Ytilde||^2 (Pythagoras)

    def primal(M: np.ndarray, nuclear: float) -> float:
        return 0.5 * res2 + 0.5 * float(np.sum((T - M) ** 2)) + gamma * nuclear

    hist: Dict[str, List[float]] = {"dual": [], "primal_svd": [], "primal_shadow": [], "gap": []}
    j = 0
    while True:
        Zp = proj_range(z)
        U, sz, Vt = _svd(Zp)
        L = (U * np.minimum(sz, gamma)) @ Vt
        Ua, a, Vta = _svd(T - L)
        D = 0.5 * y2 - 0.5 * float(np.sum(a[:k] ** 2))
        M_svd = (Ua[:, :k] * a[:k]) @ Vta[:k]
        p_svd = primal(M_svd, float(np.sum(a[:k])))
        sh = np.maximum(sz - gamma, 0.0)[:k] / t
        M_sh = (U[:, :k] * sh) @ Vt[:k]
        p_sh = primal(M_sh, float(np.sum(sh)))
        P = min(p_svd, p_sh)
        denom = max(abs(P), abs(D), 64 * EPS * 0.5 * y2)
        gap = (P - D) / denom if denom > 0 else 0.0
        for key, val in zip(hist, (D, p_svd, p_sh, gap)):
            hist[key].append(val)
        if gap <= tol or j >= max_iter:
            break
        V = 2 * L - z
        Uw, w, Vtw = _svd(T - V)
        x = prox_topk(w, k, t)
        z = z + (T - (Uw * x) @ Vtw) - L
        j += 1
    shadow = p_sh < p_svd
    M = M_sh if shadow else M_svd
    certified = "shadow" if shadow else "svd"
    if exact:
        M_e = _exact_finish(T, M, gamma, k, primal, 64 * EPS * 0.5 * y2)
        if M_e is not None:
            M, certified = M_e, "exact"
            P = min(P, primal(M_e, float(np.sum(_svals(M_e)))))
            denom = max(abs(P), abs(D), 64 * EPS * 0.5 * y2)
            gap = (P - D) / denom if denom > 0 else 0.0
    if form == "reduced":
        L, M = Ux @ L, Ux @ M
    return {
        "Lambda": L,
        "M": M,
        "certified": certified,
        "iterations": j,
        "converged": gap <= tol,
        "dual": D,
        "primal": P,
        "gap": gap,
        "history": {key: np.asarray(val) for key, val in hist.items()},
    }


def _exact_finish(
    T: np.ndarray, M: np.ndarray, gamma: float, k: int, primal: Any, rounding: float
) -> Optional[np.ndarray]:
    """docs/linear.md#exact-finish: ``sum (s_i - gamma) p_i q_i^T`` over the directions of ``T``'s SVD.

    Those with ``s_i > gamma`` along which ``M`` carries more than half of ``s_i - gamma``; ``None`` if that
    set has more than ``k`` directions or the result is worse than ``M`` beyond ``rounding``.
    """
    P, s, Qt = _svd(T)
    tol = (s[0] if s.size else 0.0) * max(T.shape) * EPS
    keep = s > tol
    P, s, Qt = P[:, keep], s[keep], Qt[keep]
    c = np.einsum("ij,ik,kj->j", P, M, Qt.T)
    chosen = (s > gamma) & (c > 0.5 * (s - gamma))
    if int(np.sum(chosen)) > k:
        return None
    M_e = (P[:, chosen] * (s[chosen] - gamma)) @ Qt[chosen]
    if primal(M_e, float(np.sum(s[chosen] - gamma))) <= primal(M, float(np.sum(_svals(M)))) + rounding:
        return M_e
    return None


def recover_weights(
    M: np.ndarray, X: np.ndarray, widths: Sequence[int], dH: int, basis: Optional[Basis] = None
) -> List[np.ndarray]:
    """Balanced factors from ``M`` (n x dH, columns in range(X), rank <= min(widths)).

    See docs/linear.md#recovery.
    """
    H = len(widths) + 1
    Ux, sx, Vx = range_basis(X) if basis is None else basis
    kmax = min(widths)
    P, mv, Qt = _svd(M)
    kk = min(kmax, int(np.sum(mv > 0)))
    P, mv, Qt = P[:, :kk], mv[:kk], Qt[:kk]
    c = mv ** (1.0 / H)
    d0 = X.shape[1]
    W = []
    W1 = np.zeros((widths[0], d0))
    W1[:kk] = (c[:, None] * ((P.T @ Ux) / sx)) @ Vx.T
    W.append(W1)
    for i in range(1, H - 1):
        Wi = np.zeros((widths[i], widths[i - 1]))
        Wi[:kk, :kk] = np.diag(c)
        W.append(Wi)
    WH = np.zeros((dH, widths[-1]))
    WH[:, :kk] = Qt.T * c
    W.append(WH)
    return W


def primal_objective(weights: Sequence[np.ndarray], X: np.ndarray, Y: np.ndarray, gamma: float) -> float:
    """Survey eq. 2, literally: residual of the product plus gamma/H times the Schatten-H penalties."""
    H = len(weights)
    # exactly-zero rows of W1 give exactly-zero columns of A1 = X W1^T: skipped (same values, less work)
    nz = np.flatnonzero(np.any(weights[0] != 0, axis=1))
    A1 = X @ weights[0][nz].T
    F = A1 @ weights[1][:, nz].T
    for W in weights[2:]:
        F = F @ W.T
    pen = float(np.sum(_svals(A1) ** H)) + sum(float(np.sum(_svals(W) ** H)) for W in weights[1:])
    return 0.5 * float(np.sum((Y - F) ** 2)) + gamma / H * pen


def dual_objective(
    Lambda: np.ndarray, X: np.ndarray, Y: np.ndarray, k: int, basis: Optional[Basis] = None
) -> float:
    """Survey eq. 3: ``1/2||Y||^2 - 1/2||P_X Y - Lambda||_(k)^2`` (feasibility is not checked here)."""
    Ux, _, _ = range_basis(X) if basis is None else basis
    return 0.5 * float(np.sum(Y**2)) - 0.5 * _ky_fan_sq(Ux @ (Ux.T @ Y) - Lambda, k)


def solve(
    X: np.ndarray,
    Y: np.ndarray,
    depth: int,
    gamma: float,
    widths: Optional[Sequence[int]] = None,
    *,
    method: str = "dr",
    form: str = "full",
    t: float = 1.0,
    tol: float = 1e-10,
    max_iter: int = 10_000,
) -> Dict[str, Any]:
    """Reference counterpart of :func:`convexify.linear.solve` (dict result, same certificates)."""
    X = np.asarray(X, dtype=float)
    Y = np.asarray(Y, dtype=float)
    n, d0 = X.shape
    dH = Y.shape[1]
    if widths is None:
        widths = [min(d0, dH, n)] * (depth - 1)
    k = min([n, d0, dH, *widths])
    basis = range_basis(X)  # one QR + SVD, shared by every step
    cf = closed_form(X, Y, gamma, k, basis)
    if method == "closed":
        M, L, extra = cf["M"], cf["Lambda"], {"iterations": 0, "certified": "closed"}
    else:
        dr = douglas_rachford(X, Y, gamma, k, t=t, tol=tol, max_iter=max_iter, form=form, basis=basis)
        M, L = dr["M"], dr["Lambda"]
        extra = {key: dr[key] for key in ("iterations", "certified", "converged", "history", "gap")}
    W = recover_weights(M, X, widths, dH, basis)
    primal = primal_objective(W, X, Y, gamma)
    dual = dual_objective(L, X, Y, k, basis)
    return {
        "primal_value": primal,
        "dual_value": dual,
        "optimal_value": cf["value"],
        "weights": W,
        "Lambda": L,
        "M": M,
        "Ytilde": cf["Ytilde"],
        "s": cf["s"],
        "k": k,
        **extra,
    }


def solve_dr_reduced(
    X: np.ndarray,
    Y: np.ndarray,
    depth: int,
    gamma: float,
    widths: Optional[Sequence[int]] = None,
    *,
    k: Optional[int] = None,
    tol: float = 1e-10,
    max_iter: int = 10_000,
    t: float = 1.0,
) -> Dict[str, Any]:
    """Reduced-form Douglas–Rachford as a user would write it with NumPy (docs/linear.md#dr), end to end.

    One thin ``numpy.linalg.svd`` of ``X`` gives ``U_x`` (rank tolerance ``s_1 max(n, d0) eps``); the
    iterates are ``r x dH`` (``l = U_x^T L``): ``L_j = clip_gamma(z_j)``,
    ``z_{j+1} = z_j + prox_{t f}(2 L_j - z_j) - L_j`` with
    ``prox_{t f}(v) = yr - U diag(prox_topk(a; k, t)) V^T``, ``U diag(a) V^T = svd(yr - v)``.  It stops
    like the core: ``(P_j - D_j) / max(|P_j|, |D_j|, 32 eps ||Y||^2) <= tol`` with
    ``P_j = min(P(M_svd), P(M_shadow))``, or at ``max_iter``.  The weights are the balanced factors of the
    winning candidate; ``primal_value`` is evaluated from them and ``dual_value`` from ``Lambda``.
    ``k`` overrides ``min(n, d0, dH, widths)``.  No exact finish: the map is ~``sqrt(tol)`` accurate.
    """
    X = np.asarray(X, dtype=float)
    Y = np.asarray(Y, dtype=float)
    if Y.ndim == 1:
        Y = Y[:, None]
    n, d0 = X.shape
    dH = Y.shape[1]
    if widths is None:
        widths = [min(d0, dH, n)] * (depth - 1)
    if k is None:
        k = min([n, d0, dH, *widths])
    U, sx, Vt = np.linalg.svd(X, full_matrices=False)
    r = int(np.sum(sx > (sx[0] if sx.size else 0.0) * max(n, d0) * EPS))
    Ux, sx, Vx = U[:, :r], sx[:r], Vt[:r].T
    yr = Ux.T @ Y
    y2 = float(np.sum(Y**2))
    res2 = y2 - float(np.sum(yr**2))
    floor = 64 * EPS * 0.5 * y2

    def primal(m_values: np.ndarray, Um: np.ndarray, Vtm: np.ndarray) -> float:
        M = (Um * m_values) @ Vtm
        return 0.5 * res2 + 0.5 * float(np.sum((yr - M) ** 2)) + gamma * float(np.sum(m_values))

    z = np.zeros_like(yr)
    j = 0
    while True:
        Uz, sz, Vtz = np.linalg.svd(z, full_matrices=False)
        L = (Uz * np.minimum(sz, gamma)) @ Vtz
        Ur, a, Vtr = np.linalg.svd(yr - L, full_matrices=False)
        D = 0.5 * y2 - 0.5 * float(np.sum(a[:k] ** 2))
        p_svd = primal(a[:k], Ur[:, :k], Vtr[:k])
        sh = np.maximum(sz - gamma, 0.0)[:k] / t
        p_sh = primal(sh, Uz[:, :k], Vtz[:k])
        P = min(p_svd, p_sh)
        denom = max(abs(P), abs(D), floor)
        gap = (P - D) / denom if denom > 0 else 0.0
        if gap <= tol or j >= max_iter:
            break
        Uw, w, Vtw = np.linalg.svd(yr - (2 * L - z), full_matrices=False)
        z = z + (yr - (Uw * prox_topk(w, k, t)) @ Vtw) - L
        j += 1
    shadow = p_sh < p_svd
    Pm, mv, Qmt = (Uz[:, :k], sh, Vtz[:k]) if shadow else (Ur[:, :k], a[:k], Vtr[:k])
    # balanced factors (docs/linear.md#recovery), built in reduced coordinates
    kk = int(np.sum(mv > 0))
    c = mv[:kk] ** (1.0 / depth)
    W1 = np.zeros((widths[0], d0))
    W1[:kk] = (c[:, None] * (Pm[:, :kk].T / sx)) @ Vx.T
    W = [W1]
    for i in range(1, depth - 1):
        Wi = np.zeros((widths[i], widths[i - 1]))
        Wi[:kk, :kk] = np.diag(c)
        W.append(Wi)
    WH = np.zeros((dH, widths[-1]))
    WH[:, :kk] = Qmt[:kk].T * c
    W.append(WH)
    Lambda = Ux @ L
    return {
        "primal_value": primal_objective(W, X, Y, gamma),
        "dual_value": 0.5 * y2 - 0.5 * float(np.sum(np.linalg.svd(yr - L, compute_uv=False)[:k] ** 2)),
        "weights": W,
        "Lambda": Lambda,
        "M": Ux @ ((Pm[:, :kk] * mv[:kk]) @ Qmt[:kk]),
        "k": k,
        "r": r,
        "iterations": j,
        "converged": gap <= tol,
        "gap": gap,
        "certified": "shadow" if shadow else "svd",
    }
