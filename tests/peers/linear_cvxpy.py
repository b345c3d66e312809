"""cvxpy formulations of lens 1 (optional peer, used by tests and benchmarks; docs/linear.md#pitfalls).

* :func:`reduced_dual` -- the dual (docs/linear.md#dual) in reduced coordinates ``l = U_x^T Lambda``
  (``r x dH``): a spectral-norm constraint (LMI of size ``r + dH``) and, when a bottleneck binds
  (``k < min(r, dH)``), the Ky Fan (2,k) term through ``Z >= A^T A`` (Schur complement) and
  ``lambda_sum_largest(Z, k)``.
* :func:`nuclear_primal` -- the convex nuclear-norm problem without rank bound, equal to ``P*`` only when no
  bottleneck binds.
The n-sized forms do not converge at n in the thousands; the range basis is computed by NumPy QR + SVD.
"""

from __future__ import annotations

from typing import Any, Dict, Optional

import numpy as np

from convexify.reference.linear import range_basis


def reduced_dual(
    X: np.ndarray, Y: np.ndarray, gamma: float, k: int, solver: Optional[str] = None
) -> Dict[str, Any]:
    import cvxpy as cp

    Ux, _, _ = range_basis(X)
    yr = Ux.T @ Y
    r, dH = yr.shape
    y2 = float(np.sum(Y**2))
    res2 = y2 - float(np.sum(yr**2))
    if r == 0:
        return {"value": 0.5 * y2, "Lambda": np.zeros_like(Y), "status": "trivial"}
    lv = cp.Variable((r, dH))
    cons = [cp.sigma_max(lv) <= gamma]
    A = yr - lv
    if k >= min(r, dH):
        objective = 0.5 * cp.sum_squares(A)
    else:
        Z = cp.Variable((dH, dH), symmetric=True)
        cons.append(cp.bmat([[np.eye(r), A], [A.T, Z]]) >> 0)
        objective = 0.5 * cp.lambda_sum_largest(Z, k)
    prob = cp.Problem(cp.Minimize(objective), cons)
    prob.solve(solver=solver or "CLARABEL")
    # D = 1/2||Y||^2 - 1/2||yr - l||_(k)^2 = 1/2 res2 + 1/2 ||yr||^2 - objective
    value = 0.5 * y2 - float(prob.value)
    return {"value": value, "Lambda": Ux @ lv.value, "status": prob.status, "res2": res2}


def nuclear_primal(
    X: np.ndarray, Y: np.ndarray, gamma: float, solver: Optional[str] = None
) -> Dict[str, Any]:
    import cvxpy as cp

    Ux, _, _ = range_basis(X)
    yr = Ux.T @ Y
    y2 = float(np.sum(Y**2))
    m = cp.Variable(yr.shape)
    prob = cp.Problem(cp.Minimize(0.5 * cp.sum_squares(yr - m) + gamma * cp.normNuc(m)))
    prob.solve(solver=solver or "CLARABEL")
    value = float(prob.value) + 0.5 * (y2 - float(np.sum(yr**2)))
    return {"value": value, "M": Ux @ m.value, "status": prob.status}
