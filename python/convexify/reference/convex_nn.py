"""cvxpy oracle for lens 5 (tests and benchmarks only): the gated and ReLU convex programs by Clarabel."""

from __future__ import annotations

import numpy as np


def _loss_expr(cp, yhat, y, loss, delta=1.0):
    n = len(y)
    if loss == "huber":  # cvxpy's huber is 2x ours: r^2 inside, 2 delta |r| - delta^2 outside
        return cp.sum(cp.huber(yhat - y, delta)) / (2 * n)
    if loss == "squared":
        return cp.sum_squares(yhat - y) / (2 * n)
    if loss == "squared_hinge":
        return cp.sum_squares(cp.pos(1 - cp.multiply(y, yhat))) / (2 * n)
    return cp.sum(cp.logistic(-cp.multiply(y, yhat))) / n


def gated(X, y, masks, lam, loss="squared", huber_delta=1.0):
    """Optimal value and U (P, d) of min L(sum_i D_i X u_i) + lam sum ||u_i||."""
    import cvxpy as cp

    P, d = masks.shape[1], X.shape[1]
    U = cp.Variable((d, P))
    yhat = cp.sum(cp.multiply(masks, X @ U), axis=1)
    obj = _loss_expr(cp, yhat, y, loss, huber_delta) + lam * cp.sum(cp.norm(U, 2, axis=0))
    prob = cp.Problem(cp.Minimize(obj))
    prob.solve(solver=cp.CLARABEL)
    return float(prob.value), np.asarray(U.value).T


def relu(X, y, masks, lam, loss="squared", huber_delta=1.0):
    """Optimal value of the C-ReLU program with cone constraints (2 D_i - I) X v_i >= 0 (same for w_i)."""
    import cvxpy as cp

    P, d = masks.shape[1], X.shape[1]
    V = cp.Variable((d, P))
    W = cp.Variable((d, P))
    S = 2 * masks - 1
    yhat = cp.sum(cp.multiply(masks, X @ (V - W)), axis=1)
    obj = _loss_expr(cp, yhat, y, loss, huber_delta) + lam * (
        cp.sum(cp.norm(V, 2, axis=0)) + cp.sum(cp.norm(W, 2, axis=0))
    )
    cons = [cp.multiply(S, X @ V) >= 0, cp.multiply(S, X @ W) >= 0]
    prob = cp.Problem(cp.Minimize(obj), cons)
    prob.solve(solver=cp.CLARABEL)
    return float(prob.value)


def fista_gated(X, y, masks, lam, tol=1e-6, max_iter=100000):
    """The numpy FISTA a user would write for the gated program with the squared loss: step 1/L from a power
    iteration, the Beck-Teboulle momentum, stopped by the same dual-scaling gap (relative to the primal)
    checked every 10 iterations.  Returns (U, primal, dual, iterations)."""
    n, d = X.shape
    P = masks.shape[1]

    def predict(U):
        return ((X @ U.T) * masks).sum(axis=1)

    def grad(r):
        return (masks * r[:, None]).T @ X

    V = np.ones((P, d))
    for _ in range(30):
        V = grad(predict(V))
        V /= np.linalg.norm(V)
    L = np.linalg.norm(grad(predict(V))) / n
    U = np.zeros((P, d))
    Y, t = U.copy(), 1.0
    for k in range(max_iter):
        if k % 10 == 0:
            r = predict(U) - y
            primal = 0.5 * r @ r / n + lam * np.linalg.norm(U, axis=1).sum()
            g = r / n
            theta = min(1.0, lam / max(np.linalg.norm(grad(g), axis=1).max(), 1e-300))
            nu = theta * g
            dual = -nu @ y - 0.5 * n * nu @ nu
            if primal - dual <= tol * primal:
                return U, primal, dual, k
        Z = Y - grad((predict(Y) - y) / n) / L
        nrm = np.linalg.norm(Z, axis=1, keepdims=True)
        Un = np.maximum(0.0, 1.0 - (lam / L) / np.maximum(nrm, 1e-300)) * Z
        tn = 0.5 * (1.0 + np.sqrt(1.0 + 4.0 * t * t))
        Y = Un + ((t - 1.0) / tn) * (Un - U)
        U, t = Un, tn
    return U, primal, dual, max_iter
