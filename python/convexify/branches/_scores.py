"""Non-convexity scores of a surface sampled on a uniform grid (docs/branches.md#scores)."""

from __future__ import annotations

from typing import Any, Dict

import numpy as np

from .._errors import InputError
from .._validate import as_array

__all__ = ["nonconvexity_scores", "check_uniform_axis"]

_SPACINGS = (1, 2, 4, 8)
_DIRECTIONS = ((1, 0), (0, 1), (1, 1), (1, -1))


def check_uniform_axis(v: Any, name: str, length: int | None = None) -> np.ndarray:
    """A strictly increasing, uniform (relative tolerance 1e-6) axis with at least 3 points."""
    v = as_array(v, name, 1)
    if v.size < 3:
        raise InputError(f"{name} must have at least 3 points (grid >= 3 x 3), got {v.size}")
    if length is not None and v.size != length:
        raise InputError(f"{name} must have {length} points to match values, got {v.size}")
    dv = np.diff(v)
    if not (dv > 0).all():
        raise InputError(f"{name} must be strictly increasing")
    h = (v[-1] - v[0]) / (v.size - 1)
    if np.max(np.abs(dv - h)) > 1e-6 * h:
        raise InputError(f"{name} must be a uniform grid (relative tolerance 1e-6)")
    return v


def _lower_envelope(a: np.ndarray, b: np.ndarray, Sn: np.ndarray) -> tuple[np.ndarray, int]:
    """Lower convex envelope of the points (a_i, b_j, Sn_ij) at the grid nodes, and its number of facets.

    Max over the lower facets (outward normal z < -1e-12) of the 3-D convex hull of the points plus a lid
    point (0.5, 0.5, 10), which keeps the hull full-dimensional for a planar surface and creates only upper
    facets.
    """
    from scipy.spatial import ConvexHull

    A, B = np.meshgrid(a, b, indexing="ij")
    pts = np.column_stack([A.ravel(), B.ravel(), Sn.ravel()])
    pts = np.vstack([pts, [0.5, 0.5, 10.0]])
    hull = ConvexHull(pts)
    eq = hull.equations  # rows (nx, ny, nz, off): n . p + off <= 0 inside
    lower = eq[eq[:, 2] < -1e-12]
    # plane of a lower facet: z = -(nx x + ny y + off) / nz
    planes = -(lower[:, 0:1] * pts[None, :-1, 0] + lower[:, 1:2] * pts[None, :-1, 1] + lower[:, 3:4])
    planes = planes / lower[:, 2:3]
    env = planes.max(axis=0).reshape(Sn.shape)
    return np.minimum(env, Sn), int(lower.shape[0])


def nonconvexity_scores(values: Any, alphas: Any, betas: Any) -> Dict[str, Any]:
    """Scores of how far a sampled surface S[i, j] = S(alphas[i], betas[j]) is from convex.

    The scores of docs/branches.md#scores.

    The surface is normalised, ``Sn = (S - min S) / (max S - min S)``, and the grid mapped to [0, 1]^2, so
    every score is invariant under ``S -> c S + e`` (c > 0) and affine rescaling of either axis.

    Args:
        values: S, shape (len(alphas), len(betas)), finite.
        alphas: uniform, strictly increasing first axis (>= 3 points).
        betas: uniform, strictly increasing second axis (>= 3 points).

    Returns a dict with:
        env_max, env_mean: max and mean of ``Sn - env`` where ``env`` is the lower convex envelope of the
            grid points (3-D convex hull via scipy.spatial.ConvexHull; the sampled analogue of Delta).
        midpoint_frac: share of grid triples (p - s e, p, p + s e), s in {1, 2, 4, 8}, e in {(1,0), (0,1),
            (1,1), (1,-1)}, with ``Sn(p) - (Sn(p - s e) + Sn(p + s e))/2 > 1e-6`` (exact discrete test).
        midpoint_excess: mean of the positive part of that quantity.
        neg_hess_frac: share of interior nodes whose finite-difference 2 x 2 Hessian has an eigenvalue
            < -1e-6 (diagnostic only: false positives on kinked convex surfaces).
        flat: True when max S == min S (then every score is 0).  range: max S - min S.
        n_lower_facets: facets of the envelope.

    The scores are 0 (to round-off) for convex surfaces; they are *not* the duality gap (at fixed total width
    I is a reparametrisation, docs/branches.md#reparametrisation).

    Raises:
        InputError: non-finite values, a grid smaller than 3 x 3, axes not strictly increasing and uniform,
            or shapes that do not match.
    """
    S = as_array(values, "values", 2)
    alphas = check_uniform_axis(alphas, "alphas", S.shape[0])
    betas = check_uniform_axis(betas, "betas", S.shape[1])
    rng_ = float(S.max() - S.min())
    out: Dict[str, Any] = {
        "env_max": 0.0,
        "env_mean": 0.0,
        "midpoint_frac": 0.0,
        "midpoint_excess": 0.0,
        "neg_hess_frac": 0.0,
        "flat": True,
        "range": rng_,
        "n_lower_facets": 0,
    }
    if not rng_ > 0.0:
        return out
    Sn = (S - S.min()) / rng_
    a = (alphas - alphas[0]) / (alphas[-1] - alphas[0])
    b = (betas - betas[0]) / (betas[-1] - betas[0])
    env, n_facets = _lower_envelope(a, b, Sn)
    gap = Sn - env
    na, nb = Sn.shape
    excesses = []
    for s in _SPACINGS:
        for da, db in _DIRECTIONS:
            i0, i1 = s * abs(da), na - s * abs(da)
            j0, j1 = s * abs(db), nb - s * abs(db)
            if i1 <= i0 or j1 <= j0:
                continue
            mid = Sn[i0:i1, j0:j1]
            lo = Sn[i0 - s * da : i1 - s * da, j0 - s * db : j1 - s * db]
            hi = Sn[i0 + s * da : i1 + s * da, j0 + s * db : j1 + s * db]
            excesses.append((mid - 0.5 * (lo + hi)).ravel())
    e = np.concatenate(excesses)
    ha, hb = 1.0 / (na - 1), 1.0 / (nb - 1)
    Haa = (Sn[2:, 1:-1] - 2 * Sn[1:-1, 1:-1] + Sn[:-2, 1:-1]) / ha**2
    Hbb = (Sn[1:-1, 2:] - 2 * Sn[1:-1, 1:-1] + Sn[1:-1, :-2]) / hb**2
    Hab = (Sn[2:, 2:] - Sn[2:, :-2] - Sn[:-2, 2:] + Sn[:-2, :-2]) / (4 * ha * hb)
    lam_min = 0.5 * (Haa + Hbb) - np.sqrt(0.25 * (Haa - Hbb) ** 2 + Hab**2)
    out.update(
        env_max=float(gap.max()),
        env_mean=float(gap.mean()),
        midpoint_frac=float(np.mean(e > 1e-6)),
        midpoint_excess=float(np.mean(np.maximum(e, 0.0))),
        neg_hess_frac=float(np.mean(lam_min < -1e-6)),
        flat=False,
        n_lower_facets=n_facets,
    )
    return out
