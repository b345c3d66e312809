"""The neuron oracle M+(c) = max_{||u|| <= 1} sum_j c_j relu(u . x_j) of the gap bracket.

The oracle's role in the duality-gap bracket is described in docs/branches.md#bracket.

Three versions with different guarantees:

* :func:`m_plus_heuristic` -- multistart fixed-point ascent in the compiled core; a *lower* bound on M+ (exact
  only if some start reaches the global maximiser, which cannot be checked in general: the problem is
  NP-hard).
* :func:`m_plus_exact` -- enumeration of the hyperplane arrangement for d <= 3 (inputs in general position);
  exact.
* :func:`m_plus_upper` -- a certified *upper* bound in closed form; :func:`m_plus_sdp` -- the tighter SDP
  relaxation of docs/branches.md#bracket through cvxpy.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any, Optional, Tuple

import numpy as np

from .. import _core
from .._boundary import from_core
from .._errors import InputError, InputTypeError
from .._repr import CompactRepr
from .._validate import as_array, as_int, same_rows
from ._scale import exponent, ldexp

__all__ = ["m_plus_heuristic", "m_plus_exact", "m_plus_upper", "m_plus_sdp"]


@dataclass(frozen=True, repr=False)
class _OracleRun(CompactRepr):
    """The compiled multistart ascent's result (the core's ``BranchesOracleResult``).

    Attributes:
        value: best value over all starts, a lower bound on M+(c) (>= 0).
        u: its maximiser, shape (d,) (0 if no start gave a positive value).
        start_values: best value seen per start, shape (S,).
        start_u: best unit vector per start, shape (S, d).
    """

    value: float
    u: np.ndarray
    start_values: np.ndarray
    start_u: np.ndarray


def _value(X: np.ndarray, c: np.ndarray, u: np.ndarray) -> np.ndarray:
    """sum_j c_j relu(u . x_j) for each row of u (k, d)."""
    return np.maximum(u @ X.T, 0.0) @ c


def _heuristic(
    X: np.ndarray,
    c: np.ndarray,
    rng: np.random.Generator,
    n_random: int = 256,
    iterations: int = 70,
    extra: Optional[np.ndarray] = None,
    polish_starts: int = 4,
) -> Tuple[float, np.ndarray, np.ndarray]:
    """Lower bound on M+(c): (value, maximiser u, the best unit per start (S, d)).

    Starts (docs/branches.md#bracket): ``n_random`` Gaussian unit vectors, +-X^T c normalised, sign(c_j) x_j
    for the 64 largest |c_j|, plus ``extra`` rows; ``iterations`` steps of
    u <- normalise(u/2 + normalise(G)/2), G = X^T (c o 1[X u > 0]), keeping the best value seen (the step is
    halved until the value increases).  The ``polish_starts`` best end points are then polished on the kinks
    they sit next to (:func:`_polish`).  Arguments are not validated (the implementation of
    :func:`m_plus_heuristic`, called by :func:`gap_bracket` on validated data of order one).

    Args:
        X: data, shape (n, d), float64 C-contiguous.
        c: weights, shape (n,).
        rng: the generator of the random starts.
        n_random: number of random starts.
        iterations: ascent steps per start.
        extra: optional extra starts, shape (k, d).
        polish_starts: how many of the best end points to polish.

    Returns:
        (value, maximiser u of shape (d,), the best unit vector per start of shape (S, d)); value <= M+(c).
    """
    n, d = X.shape
    starts = [rng.standard_normal((n_random, d))]
    g = X.T @ c
    starts.append(np.vstack([g, -g]))
    top = np.argsort(-np.abs(c), kind="stable")[: min(64, n)]
    starts.append(np.sign(c[top])[:, None] * X[top])
    if extra is not None and len(extra):
        starts.append(np.asarray(extra, dtype=float).reshape(-1, d))
    S = np.vstack(starts)
    S = S[np.any(S != 0.0, axis=1)]
    if not S.size:  # no start at all (c = 0 and no random starts): u = 0 gives the value 0
        return 0.0, np.zeros(d), np.zeros((0, d))
    run = from_core(
        _OracleRun,
        _core.branches_neuron_oracle(X, np.ascontiguousarray(c), np.ascontiguousarray(S), iterations),
    )
    best_value, best_u = float(run.value), run.u
    for k in np.argsort(-run.start_values, kind="stable")[:polish_starts]:
        if run.start_values[k] <= 0:
            break
        v, w = _polish(X, c, run.start_u[k])
        if v > best_value:
            best_value, best_u = v, w
    return best_value, best_u, run.start_u


def _polish(
    X: np.ndarray, c: np.ndarray, u: np.ndarray, near: int = 12, rounds: int = 8
) -> Tuple[float, np.ndarray]:
    """Improve a local maximiser that sits on a kink.

    The ascent cannot land on a great circle x_j . u = 0, where
    the maximum of a cell often is.  For the ``near`` samples with the smallest |x_j . u|, try the cell maxima
    with j switched on and off (G / ||G||), their projections on the circle x_j . u = 0 and, for pairs (j, k),
    on the intersection of two circles; repeat while the value improves.  Every candidate is a unit vector,
    so the result stays a lower bound on M+(c)."""
    best_u = u / np.linalg.norm(u)
    best = float(_value(X, c, best_u[None, :])[0])
    for _ in range(rounds):
        z = X @ best_u
        active = z > 0
        idx = np.argsort(np.abs(z), kind="stable")[: min(near, X.shape[0])]
        g = X[active].T @ c[active]
        cands = [g]
        for j in idx:
            gj = g - c[j] * X[j] if active[j] else g + c[j] * X[j]
            nj = np.linalg.norm(X[j])
            if nj == 0:
                continue
            e = X[j] / nj
            for h in (g, gj):
                cands.append(h)
                cands.append(h - (h @ e) * e)
        # intersections of two circles x_j . u = x_k . u = 0 (vertices for d = 3)
        for a, j in enumerate(idx):
            for k in idx[a + 1 :]:
                Q, _ = np.linalg.qr(np.column_stack([X[j], X[k]]))
                for sj in (0.0, 1.0):
                    for sk in (0.0, 1.0):
                        h = g + (sj - active[j]) * c[j] * X[j] + (sk - active[k]) * c[k] * X[k]
                        cands.append(h - Q @ (Q.T @ h))
        C = np.array(cands)
        nc = np.linalg.norm(C, axis=1)
        C = C[nc > 0] / nc[nc > 0][:, None]
        if not C.size:
            break
        vals = _value(X, c, C)
        k = int(np.argmax(vals))
        if vals[k] <= best * (1 + 1e-15) + 1e-300:
            break
        best, best_u = float(vals[k]), C[k]
    return best, best_u


def _exact(X: np.ndarray, c: np.ndarray, chunk: int = 4096) -> Tuple[float, np.ndarray]:
    """Exact M+(c) for d <= 3 by enumerating the hyperplane arrangement {u : u . x_j = 0} on the sphere.

    On each cell the objective is linear, g_S . u, so its maximum over the cell's closure lies at (i) the
    interior point g_S / ||g_S||, (ii) the projection of g_S on a bounding great circle, or (iii) a vertex.
    Every cell touches a vertex (the intersection of d - 1 hyperplanes), so candidates generated from the
    cell patterns around every vertex contain the maximiser, provided the rows of X are in general position
    (no three normals on a common great circle for d = 3).

    Args:
        X: data, shape (n, d) with d <= 3.
        c: weights, shape (n,).
        chunk: candidates evaluated per batch.

    Returns:
        (M+(c), a maximiser of shape (d,)).

    Raises:
        InputError: d > 3.
    """
    n, d = X.shape
    if d > 3:
        raise InputError(f"X must have d <= 3 columns for the exact neuron search, got d = {d}")
    cX = c[:, None] * X
    cands = [np.eye(d), -np.eye(d)]
    if d == 1:
        cands = [np.array([[1.0], [-1.0]])]
    else:
        if d == 2:
            V = np.column_stack([-X[:, 1], X[:, 0]])
            ok = np.linalg.norm(V, axis=1) > 0
            V, Tidx = V[ok], np.arange(n)[ok][:, None]
        else:
            jj, kk = np.triu_indices(n, 1)
            V = np.cross(X[jj], X[kk])
            scale = np.linalg.norm(X[jj], axis=1) * np.linalg.norm(X[kk], axis=1)
            ok = np.linalg.norm(V, axis=1) > 1e-12 * np.maximum(scale, 1e-300)
            V, Tidx = V[ok], np.column_stack([jj[ok], kk[ok]])
        V = V / np.linalg.norm(V, axis=1, keepdims=True)
        V = np.vstack([V, -V])
        Tidx = np.vstack([Tidx, Tidx])
        nrm = np.linalg.norm(X, axis=1)
        unit_normals = X / np.where(nrm > 0, nrm, 1.0)[:, None]
        for s in range(0, V.shape[0], chunk):
            v, t = V[s : s + chunk], Tidx[s : s + chunk]
            active = (v @ X.T) > 0
            rows = np.arange(v.shape[0])[:, None]
            active[rows, t] = False
            G0 = active.astype(float) @ cX
            cands.append(v)
            k = t.shape[1]
            for mask in range(1 << k):
                G = G0.copy()
                for b in range(k):
                    if mask >> b & 1:
                        G += cX[t[:, b]]
                cands.append(G)  # interior candidate (normalised below)
                for b in range(k):  # edge candidates on the great circle of t[:, b]
                    e = unit_normals[t[:, b]]
                    cands.append(G - np.sum(G * e, axis=1, keepdims=True) * e)
    # also the ascent's fixed-point map from random points (covers degenerate arrangements, n <= 1)
    R = np.random.default_rng(0).standard_normal((64, d))
    cands.append(((R @ X.T) > 0).astype(float) @ cX)
    C = np.vstack(cands)
    nc = np.linalg.norm(C, axis=1)
    C = C[nc > 0] / nc[nc > 0][:, None]
    best_val, best_u = 0.0, np.zeros(d)
    for s in range(0, C.shape[0], chunk):
        vals = _value(X, c, C[s : s + chunk])
        k = int(np.argmax(vals))
        if vals[k] > best_val:
            best_val, best_u = float(vals[k]), C[s + k].copy()
    return best_val, best_u


def _upper(X: np.ndarray, c: np.ndarray) -> float:
    """A certified upper bound on M+(c) in closed form (always valid, often loose).

    With relu(t) = (t + |t|)/2: sum_j c_j relu(u.x_j) <= ||X^T c||/2 + (1/2) sum_{c_j>0} c_j |u.x_j|
    <= ||X^T c||/2 + (1/2) sqrt(sum_{c_j>0} c_j) sqrt(lambda_max(sum_{c_j>0} c_j x_j x_j^T)) (Cauchy-Schwarz);
    also sum_j c_j relu(u.x_j) <= sum_{c_j>0} c_j ||x_j||.  The minimum of the two (and >= 0).

    Args:
        X: data, shape (n, d).
        c: weights, shape (n,).

    Returns:
        An upper bound on M+(c).
    """
    pos = c > 0
    triv = float(np.sum(c[pos] * np.linalg.norm(X[pos], axis=1)))
    if not pos.any():
        return 0.0
    Xp = X[pos] * np.sqrt(c[pos])[:, None]
    lam = float(np.linalg.norm(Xp, 2) ** 2)
    cs = 0.5 * float(np.linalg.norm(X.T @ c)) + 0.5 * np.sqrt(float(c[pos].sum()) * lam)
    return max(0.0, min(triv, cs))


def _sdp(X: np.ndarray, c: np.ndarray, u_hint: np.ndarray) -> float:
    """The SDP upper bound on M+(c) of docs/branches.md#bracket (needs cvxpy).

    Maximise (1/2)(X^T c).u + (1/2) sum_{c_j>0} c_j sqrt(x_j^T U x_j) - (1/2) sum_{c_j<0} |c_j| s_j (x_j.u)
    over [[U, u], [u^T, 1]] PSD, tr U <= 1, with s_j = sign(x_j . u_hint) (valid for any fixed signs).

    Args:
        X: data, shape (n, d).
        c: weights, shape (n,).
        u_hint: the point whose activation signs fix s_j, shape (d,).

    Returns:
        An upper bound on M+(c), padded by the solver's tolerance.

    Raises:
        ImportError: cvxpy is not installed.
        RuntimeError: the solver did not reach an optimum.
    """
    import cvxpy as cp

    n, d = X.shape
    s = np.sign(X @ u_hint)
    s[s == 0] = 1.0
    Mvar = cp.Variable((d + 1, d + 1), PSD=True)
    U, u = Mvar[:d, :d], Mvar[:d, d]
    pos, neg = c > 0, c < 0
    obj = 0.5 * (X.T @ c) @ u
    if pos.any():
        q = cp.sum(cp.multiply(X[pos] @ U, X[pos]), axis=1)
        obj = obj + 0.5 * c[pos] @ cp.sqrt(q)
    if neg.any():
        obj = obj - 0.5 * (np.abs(c[neg]) * s[neg]) @ (X[neg] @ u)
    prob = cp.Problem(cp.Maximize(obj), [cp.trace(U) <= 1, Mvar[d, d] == 1])
    prob.solve()
    if prob.status not in ("optimal", "optimal_inaccurate") or prob.value is None:
        raise RuntimeError(f"SDP bound: solver status {prob.status}")
    # solver tolerance: the optimum is a bound only up to the solver's accuracy; pad it.
    return float(prob.value) * (1 + 1e-6) + 1e-8


# ------------------------------------------------------------------------------------ public, validated
#: Largest number of random starts, ascent steps, polished starts and candidates per batch accepted.
MAX_STARTS = 10**7
MAX_ITERATIONS = 2**31 - 1  # crosses into the core as a C int
MAX_CHUNK = 2**31 - 1


def _oracle_args(X: Any, c: Any) -> Tuple[np.ndarray, np.ndarray, int, int]:
    """Validated (X / 2^ex, c / 2^ec, ex, ec).

    M+(c; X) = 2^(ex + ec) M+(c / 2^ec; X / 2^ex) (docs/branches.md#scales)."""
    X = as_array(X, "X", 2)
    c = as_array(c, "c", 1)
    same_rows(("X", X), ("c", c))
    ex, ec = exponent(X), exponent(c)
    return np.ldexp(X, -ex), np.ldexp(c, -ec), ex, ec


def _mapped_back(value: float, ex: int, ec: int, what: str) -> float:
    v = ldexp(value, ex + ec)
    if not math.isfinite(v):
        raise InputError(f"X, c: {what} exceeds float64's range for this scale of X and c")
    return v


def m_plus_heuristic(
    X: Any,
    c: Any,
    rng: np.random.Generator,
    n_random: int = 256,
    iterations: int = 70,
    extra: Any = None,
    polish_starts: int = 4,
) -> Tuple[float, np.ndarray, np.ndarray]:
    """Lower bound on M+(c) = max_{||u|| <= 1} sum_j c_j relu(u . x_j) by multistart ascent.

    The starts, the ascent and the polishing of docs/branches.md#bracket (see :func:`_heuristic`), run in the
    compiled core (interruptible with Ctrl-C, GIL released) on X / 2^ex and c / 2^ec.  Equivariant:
    M+(t c; s X) = s t M+(c; X) for s, t > 0, with the same maximisers (docs/branches.md#scales).

    Args:
        X: data, shape (n, d).
        c: weights, shape (n,).
        rng: the numpy Generator of the random starts.
        n_random: number of random starts, in [0, 10^7].
        iterations: ascent steps per start, in [0, 2^31 - 1].
        extra: optional extra starts, shape (k, d).
        polish_starts: how many of the best end points to polish, in [0, 10^7].

    Returns:
        (value, maximiser u of shape (d,), the best unit vector per start of shape (S, d)); value <= M+(c).

    Raises:
        InputTypeError: rng not a numpy Generator, or a count that is not an integer.
        InputError: an invalid argument, named.
    """
    X, c, ex, ec = _oracle_args(X, c)
    if not isinstance(rng, np.random.Generator):
        raise InputTypeError(f"rng must be a numpy.random.Generator, got {type(rng).__name__}")
    n_random = as_int(n_random, "n_random", minimum=0, maximum=MAX_STARTS)
    iterations = as_int(iterations, "iterations", minimum=0, maximum=MAX_ITERATIONS)
    polish_starts = as_int(polish_starts, "polish_starts", minimum=0, maximum=MAX_STARTS)
    if extra is not None:
        extra = as_array(extra, "extra", 2, allow_empty=True)
        if extra.size and extra.shape[1] != X.shape[1]:
            raise InputError(f"extra must have d = {X.shape[1]} columns, got shape {extra.shape}")
    value, u, start_u = _heuristic(X, c, rng, n_random, iterations, extra, polish_starts)
    return _mapped_back(value, ex, ec, "M+(c)"), u, start_u


def m_plus_exact(X: Any, c: Any, chunk: int = 4096) -> Tuple[float, np.ndarray]:
    """Exact M+(c) for d <= 3 by enumerating the hyperplane arrangement (see :func:`_exact`).

    Computed on X / 2^ex and c / 2^ec, so that cross products and norms neither overflow nor underflow:
    M+(t c; s X) = s t M+(c; X) for s, t > 0 (docs/branches.md#scales).

    Args:
        X: data, shape (n, d) with d <= 3.
        c: weights, shape (n,).
        chunk: candidates evaluated per batch, in [1, 2^31 - 1].

    Returns:
        (M+(c), a maximiser of shape (d,)).

    Raises:
        InputError: d > 3, or an invalid argument, named.
    """
    X, c, ex, ec = _oracle_args(X, c)
    chunk = as_int(chunk, "chunk", minimum=1, maximum=MAX_CHUNK)
    value, u = _exact(X, c, chunk)
    return _mapped_back(value, ex, ec, "M+(c)"), u


def m_plus_upper(X: Any, c: Any) -> float:
    """A certified upper bound on M+(c) in closed form (see :func:`_upper`), scale-equivariant.

    Computed on X / 2^ex and c / 2^ec (the spectral norm and row norms would overflow at |x| ~ 1e154
    otherwise); the bound for (t c, s X) is s t times the bound for (c, X) (docs/branches.md#scales).

    Args:
        X: data, shape (n, d).
        c: weights, shape (n,).

    Returns:
        An upper bound on M+(c).

    Raises:
        InputError: an invalid argument, named.
    """
    X, c, ex, ec = _oracle_args(X, c)
    return _mapped_back(_upper(X, c), ex, ec, "the bound on M+(c)")


def m_plus_sdp(X: Any, c: Any, u_hint: Any) -> float:
    """The SDP upper bound on M+(c) of docs/branches.md#bracket (see :func:`_sdp`; needs cvxpy).

    Solved on X / 2^ex and c / 2^ec and mapped back (docs/branches.md#scales).

    Args:
        X: data, shape (n, d).
        c: weights, shape (n,).
        u_hint: the point whose activation signs fix the relaxation, shape (d,).

    Returns:
        An upper bound on M+(c), padded by the solver's tolerance.

    Raises:
        InputError: an invalid argument, named.
        ImportError: cvxpy is not installed.
        RuntimeError: the solver did not reach an optimum.
    """
    X, c, ex, ec = _oracle_args(X, c)
    u_hint = as_array(u_hint, "u_hint", 1)
    if u_hint.shape[0] != X.shape[1]:
        raise InputError(f"u_hint must have d = {X.shape[1]} entries, got shape {u_hint.shape}")
    return _mapped_back(_sdp(X, c, u_hint), ex, ec, "the bound on M+(c)")
