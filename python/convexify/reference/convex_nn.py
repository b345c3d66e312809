"""cvxpy oracle for lens 5 (tests and benchmarks only): the gated and ReLU convex programs by Clarabel."""

from __future__ import annotations

import numpy as np


def _loss_expr(cp, yhat, y, loss):
    n = len(y)
    if loss == "squared":
        return cp.sum_squares(yhat - y) / (2 * n)
    if loss == "squared_hinge":
        return cp.sum_squares(cp.pos(1 - cp.multiply(y, yhat))) / (2 * n)
    return cp.sum(cp.logistic(-cp.multiply(y, yhat))) / n


def gated(X, y, masks, lam, loss="squared"):
    """Optimal value and U (P, d) of min L(sum_i D_i X u_i) + lam sum ||u_i||."""
    import cvxpy as cp

    P, d = masks.shape[1], X.shape[1]
    U = cp.Variable((d, P))
    yhat = cp.sum(cp.multiply(masks, X @ U), axis=1)
    obj = _loss_expr(cp, yhat, y, loss) + lam * cp.sum(cp.norm(U, 2, axis=0))
    prob = cp.Problem(cp.Minimize(obj))
    prob.solve(solver=cp.CLARABEL)
    return float(prob.value), np.asarray(U.value).T


def relu(X, y, masks, lam, loss="squared"):
    """Optimal value of the C-ReLU program with cone constraints (2 D_i - I) X v_i >= 0 (same for w_i)."""
    import cvxpy as cp

    P, d = masks.shape[1], X.shape[1]
    V = cp.Variable((d, P))
    W = cp.Variable((d, P))
    S = 2 * masks - 1
    yhat = cp.sum(cp.multiply(masks, X @ (V - W)), axis=1)
    obj = _loss_expr(cp, yhat, y, loss) + lam * (
        cp.sum(cp.norm(V, 2, axis=0)) + cp.sum(cp.norm(W, 2, axis=0))
    )
    cons = [cp.multiply(S, X @ V) >= 0, cp.multiply(S, X @ W) >= 0]
    prob = cp.Problem(cp.Minimize(obj), cons)
    prob.solve(solver=cp.CLARABEL)
    return float(prob.value)
