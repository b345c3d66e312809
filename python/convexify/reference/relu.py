"""Pure-numpy reference of lens 2: the test oracle and benchmark baseline.

Written from the formulas of docs/relu.md#losses, docs/relu.md#gd and docs/relu.md#newton, independently of
the C++ core: plain two-GEMM iterations ``Z = X W^T``, ``R = relu(Z) - Y`` (masked for vanilla),
``W <- W - step * 2 R^T X``.
"""

from __future__ import annotations

from typing import Dict, Optional

import numpy as np

__all__ = ["loss", "relaxed_loss", "gradient", "gd", "newton", "lambda_max"]


def _z(W: np.ndarray, X: np.ndarray) -> np.ndarray:
    return X @ np.atleast_2d(W).T  # (n, B)


def _labels(y: np.ndarray, B: int) -> np.ndarray:
    return y[:, None] if y.ndim == 1 else y


def loss(W: np.ndarray, X: np.ndarray, y: np.ndarray) -> np.ndarray:
    """``||relu(X w_b) - y_b||^2`` (survey eq. 5/7) for each row of ``W``.

    Args:
        W: weights (B, d).
        X: data (n, d).
        y: labels (n,) or (n, B).

    Returns:
        (B,) losses.
    """
    Z = _z(W, X)
    R = np.maximum(Z, 0.0) - _labels(y, Z.shape[1])
    return np.sum(R * R, axis=0)


def relaxed_loss(W: np.ndarray, X: np.ndarray, y: np.ndarray) -> np.ndarray:
    """``||relu(X w)||^2 - 2 y^T X w + ||y||^2`` (survey eq. 8) for each row of ``W``.

    Args:
        W: weights (B, d).
        X: data (n, d).
        y: labels (n,) or (n, B).

    Returns:
        (B,) relaxed losses.
    """
    Z = _z(W, X)
    Y = _labels(y, Z.shape[1])
    P = np.maximum(Z, 0.0)
    return np.sum(P * P, axis=0) - 2.0 * np.sum(Y * Z, axis=0) + np.sum(Y * Y, axis=0)


def gradient(W: np.ndarray, X: np.ndarray, y: np.ndarray, relaxed: bool = False, strict: bool = False):
    """``2 X^T [m o (relu(Xw) - y)]`` per row, ``m = 1`` (relaxed), ``1[z >= 0]`` or ``1[z > 0]`` (strict).

    Args:
        W: weights (B, d).
        X: data (n, d).
        y: labels (n,) or (n, B).
        relaxed: the gradient of ``L_r``.
        strict: vanilla mask ``1[z > 0]``.

    Returns:
        (B, d) gradients.
    """
    Z = _z(W, X)
    R = np.maximum(Z, 0.0) - _labels(y, Z.shape[1])
    if not relaxed:
        R = R * ((Z > 0) if strict else (Z >= 0))
    return 2.0 * (R.T @ X)


def lambda_max(X: np.ndarray, iters: int = 100) -> float:
    """Power iteration for ``lambda_max(X^T X)`` from a fixed random start.

    Args:
        X: data (n, d).
        iters: iterations.

    Returns:
        The estimate.
    """
    v = np.random.default_rng(0).standard_normal(X.shape[1])
    v /= np.linalg.norm(v)
    lam = 0.0
    for _ in range(iters):
        w = X.T @ (X @ v)
        lam = float(np.linalg.norm(w))
        if lam == 0.0:
            return 0.0
        v = w / lam
    return lam


def gd(
    X: np.ndarray,
    y: np.ndarray,
    W0: np.ndarray,
    step: float,
    iters: int,
    relaxed: bool = False,
    X_test: Optional[np.ndarray] = None,
    y_test: Optional[np.ndarray] = None,
    w_star: Optional[np.ndarray] = None,
    record_every: int = 1,
    strict: bool = False,
) -> Dict[str, Optional[np.ndarray]]:
    """Batched GD with histories, in the data's dtype (two GEMMs per iteration; docs/relu.md#gd).

    Args:
        X, y, W0, step, iters, relaxed, X_test, y_test, w_star, record_every, strict: as in
            :func:`convexify.relu.gd` (no validation: a test oracle).

    Returns:
        A dict with ``W`` (B, d) and the (T, B) histories ``train_loss``, ``test_loss`` and
        ``recovery_error`` (None when not asked for).
    """
    W = np.array(np.atleast_2d(W0), dtype=X.dtype)
    Y = _labels(y, W.shape[0])
    n = X.shape[0]
    train, test, rec = [], [], []
    star = None if w_star is None else np.atleast_2d(w_star)
    for t in range(iters + 1):
        Z = X @ W.T
        R = np.maximum(Z, 0.0) - Y
        if t % record_every == 0:
            train.append(np.sum(R * R, axis=0) / n)
            if X_test is not None:
                Rt = np.maximum(X_test @ W.T, 0.0) - _labels(y_test, W.shape[0])
                test.append(np.sum(Rt * Rt, axis=0) / X_test.shape[0])
            if star is not None:
                rec.append(np.linalg.norm(W - star, axis=1) / np.linalg.norm(star, axis=1))
        if t == iters:
            break
        if not relaxed:
            R = R * ((Z > 0) if strict else (Z >= 0))
        W = W - (2.0 * step) * (R.T @ X)
    return {
        "W": W,
        "train_loss": np.array(train),
        "test_loss": np.array(test) if X_test is not None else None,
        "recovery_error": np.array(rec) if star is not None else None,
    }


def newton(X: np.ndarray, y: np.ndarray, tol: float = 1e-10, max_iter: int = 100) -> Dict[str, object]:
    """Semismooth Newton on ``L_r`` (docs/relu.md#newton), dense numpy, from ``w = 0``.

    Args:
        X: data (n, d).
        y: labels (n,).
        tol: stop when ``||g|| <= tol * max(1, ||X^T y||)``.
        max_iter: iterations at most.

    Returns:
        A dict with the minimiser ``w``, ``iterations`` and the final ``gradient_norm`` ``||g(w)||``.
    """
    n, d = X.shape
    w = np.zeros(d)
    eps = 1e-12 * max(1.0, float(np.sum(X * X)) / d)
    thresh = tol * max(1.0, float(np.linalg.norm(X.T @ y)))

    def lr(v: np.ndarray) -> float:
        return float(relaxed_loss(v[None, :], X, y)[0])

    it = 0
    for it in range(max_iter + 1):  # noqa: B007
        z = X @ w
        g = X.T @ (np.maximum(z, 0.0) - y)
        if np.linalg.norm(g) <= thresh or it == max_iter:
            break
        A = (z > 0) | ((z == 0) & (y > 0))
        H = X[A].T @ X[A] + eps * np.eye(d)
        s_dir = -np.linalg.solve(H, g)
        f0, slope, s = lr(w), 2.0 * float(g @ s_dir), 1.0
        while s >= 1e-10 and lr(w + s * s_dir) > f0 + 1e-4 * s * slope:
            s *= 0.5
        if s < 1e-10:
            break
        w = w + s * s_dir
    return {"w": w, "iterations": it, "gradient_norm": float(np.linalg.norm(g))}
