"""Activation patterns D_i = diag(1[X g_i >= 0]): sampled, from given gates, and enumerated for d <= 3."""

from __future__ import annotations

import itertools

import numpy as np

from .._errors import InputError


def masks_from_gates(X: np.ndarray, gates: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Masks (n, P) of the gates (P, d), duplicates and the all-zero pattern dropped; and the kept gates."""
    M = (X @ gates.T >= 0).astype(np.float64)
    keep = M.any(axis=0)
    M, gates = M[:, keep], gates[keep]
    _, idx = np.unique(M.T, axis=0, return_index=True)
    idx = np.sort(idx)
    return np.ascontiguousarray(M[:, idx]), np.ascontiguousarray(gates[idx])


def gaussian_gates(d: int, k: int, rng: np.random.Generator) -> np.ndarray:
    return rng.standard_normal((k, d))


def data_gates(X: np.ndarray, k: int, rng: np.random.Generator) -> np.ndarray:
    """Gates normal to the difference of two random samples (hyperplanes through their midpoint direction)."""
    n = X.shape[0]
    i = rng.integers(0, n, size=k)
    j = rng.integers(0, n, size=k)
    G = X[i] - X[j]
    bad = np.linalg.norm(G, axis=1) == 0
    G[bad] = rng.standard_normal((int(bad.sum()), X.shape[1]))
    return G


def enumerate_gates(X: np.ndarray) -> np.ndarray:
    """Gates hitting every cell of the arrangement {x_j^T g = 0} (d <= 3), so every pattern 1[X g >= 0].

    Every cell of a central arrangement of rank d has an extreme ray, the intersection of d - 1 hyperplanes;
    perturbing each ray (and its negative) into every sign combination of those hyperplanes visits every cell.
    """
    X = np.asarray(X, dtype=np.float64)
    n, d = X.shape
    if d > 3:
        raise InputError(f"X: exact pattern enumeration needs d <= 3 columns (with the bias), got d={d}")
    rows = X[np.linalg.norm(X, axis=1) > 0]
    scale = max(float(np.abs(rows).max()) if rows.size else 1.0, 1e-300)
    gates = [np.eye(d)[i] * s for i in range(d) for s in (1.0, -1.0)]
    if d == 1:
        return np.array([[1.0], [-1.0]])
    eps = 1e-6
    for combo in itertools.combinations(range(rows.shape[0]), d - 1):
        A = rows[list(combo)]
        _, s, vt = np.linalg.svd(A)
        if s[-1] < 1e-12 * scale and d - 1 > 1:
            continue
        r = vt[-1]
        # directions moving off each hyperplane of the combo: rows of pinv(A)
        Pinv = np.linalg.pinv(A)  # (d, d-1)
        for sign_r in (1.0, -1.0):
            for signs in itertools.product((1.0, -1.0), repeat=d - 1):
                g = sign_r * r + eps * (Pinv @ np.array(signs))
                gates.append(g)
    return np.array(gates)


def enumerate_patterns(X) -> np.ndarray:
    """All distinct non-zero activation patterns 1[X g >= 0] of the rows of ``X`` (d <= 3), as an (n, P) 0/1
    array.  Add the bias column yourself if the network has one (the estimators do)."""
    from .._validate import as_array

    X = as_array(X, "X", 2)
    M, _ = masks_from_gates(X, enumerate_gates(X))
    return M
