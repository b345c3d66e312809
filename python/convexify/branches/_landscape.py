"""Loss-landscape slices of multi-branch networks and the interpolation barrier.

The slices are described in docs/branches.md#slices, the barrier with the other non-convexity scores in
docs/branches.md#scores, and the multi-class loss of the paper's landscape figure in docs/branches.md#figure.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass, field
from typing import Any, Dict, Iterator, Optional, Sequence, Tuple

import numpy as np

from .. import _core
from .._errors import InputError
from .._repr import CompactRepr
from .._validate import as_array, as_choice, as_int, as_real, same_rows
from ._model import MultiBranchMLP, check_data, check_loss
from ._scale import normalise, safe_norm

MAX_GRID = 10**4  # points per axis of the default grid (the surface has grid^2 values)
MAX_POINTS = 10**7  # points of an interpolation barrier

__all__ = [
    "SlicePlane",
    "Surface",
    "Barrier",
    "slice_directions",
    "loss_surface",
    "multiclass_loss_surface",
    "interpolation_barrier",
]

Params = Tuple[np.ndarray, np.ndarray]


@dataclass(frozen=True, repr=False)
class SlicePlane(CompactRepr):
    """A plane theta(alpha, beta) = centre + alpha d1 + beta d2 in parameter space.

    Attributes:
        centre, d1, d2: parameter points / directions as pairs (U (I, m, d), a (I, m)).
        kind: "filter", "three_minima" or "random".
        seed: seed of the random draws (None for "three_minima").
        minima: for "three_minima", the plane coordinates (alpha, beta) of the three solutions (3, 2).
    """

    centre: Params
    d1: Params
    d2: Params
    kind: str
    seed: Optional[int] = None
    minima: Optional[np.ndarray] = None


@dataclass(frozen=True, repr=False)
class Surface(CompactRepr):
    """``values[i, j] = R(centre + alphas[i] d1 + betas[j] d2)``; unpacks as (values, alphas, betas).

    So ``nonconvexity_scores(*loss_surface(...))`` works.  ``metadata`` holds the direction kind, seed, I, m,
    tau, loss, centre loss and span.
    """

    values: np.ndarray
    alphas: np.ndarray
    betas: np.ndarray
    metadata: Dict[str, Any] = field(default_factory=dict)

    def __iter__(self) -> Iterator[np.ndarray]:
        return iter((self.values, self.alphas, self.betas))


@dataclass(frozen=True, repr=False)
class Barrier(CompactRepr):
    """Interpolation barrier max_t R((1-t) w_a + t w_b) - [(1-t) R(w_a) + t R(w_b)] (in loss units).

    Attributes: barrier, t (the 21 points), values R along the segment.
    """

    barrier: float
    t: np.ndarray
    values: np.ndarray


def _as_params(
    w: Any, name: str, shape: Tuple[int, int, int], a_shape: Optional[Tuple[int, ...]] = None
) -> Params:
    """A parameter point: a MultiBranchMLP or a pair (U (I, m, d), a (I, m) or (I, m, C) for C outputs)."""
    a_shape = tuple(shape[:2]) if a_shape is None else tuple(a_shape)
    if isinstance(w, MultiBranchMLP):
        U, a = w.U, w.a
    else:
        try:
            U, a = w
        except (TypeError, ValueError):
            raise InputError(f"{name} must be a MultiBranchMLP or a pair (U, a)") from None
        U = as_array(U, f"{name}[0] (U)", 3)
        a = as_array(a, f"{name}[1] (a)", len(a_shape))
    if U.shape != shape or a.shape != a_shape:
        raise InputError(
            f"{name} must have U of shape {shape} and a of shape {a_shape}, got {U.shape}, {a.shape}"
        )
    return U, a


def _flat(p: Params) -> np.ndarray:
    return np.concatenate([p[0].ravel(), p[1].ravel()])


def slice_directions(
    kind: str = "filter",
    model: Optional[MultiBranchMLP] = None,
    *,
    solutions: Optional[Sequence[Any]] = None,
    seed: int = 0,
) -> SlicePlane:
    """Two directions spanning a plane through a solution (docs/branches.md#slices).

    * ``"filter"`` (Li et al. 2018): centre = ``model``; d ~ N(0, 1) with theta's shape, every filter (each
      first-layer row u_k, bias weight included, and each branch's output row a_i) rescaled to the norm of the
      same filter of theta.  A zero filter of theta gives a zero block (with a warning).  Two independent
      draws, not orthogonalised.
    * ``"random"``: isotropic Gaussian directions scaled to ||theta||.
    * ``"three_minima"`` (the construction of Zhang et al.'s figure): ``solutions`` = three trained networks
      w0, w1, w2; centre (w0 + w1 + w2)/3, d1 = (w0 - w1) ||w2|| / ||w0 - w1||, d2 = (w0 - w2) ||w2|| /
      ||w0 - w2||; ``minima`` holds the three solutions' plane coordinates (least squares).  The solutions
      may be pairs (U (I, m, d), A (I, m, C)) of networks with C outputs, for
      :func:`multiclass_loss_surface`.

    Args:
        kind: "filter", "random" or "three_minima".
        model: the network at the centre (for "filter" and "random").
        solutions: three networks or (U, a) pairs (for "three_minima").
        seed: seed >= 0 of the random directions.

    Returns:
        SlicePlane.

    Raises:
        InputError: an unknown kind, a missing model or solutions, solutions that are not three distinct
            networks of one shape, a zero ``w2``, or solutions whose mean or differences overflow float64.
    """
    kind = as_choice(kind, "kind", ["filter", "three_minima", "random"])
    if kind == "three_minima":
        if solutions is None or len(solutions) != 3:
            raise InputError("solutions must hold three trained networks for kind='three_minima'")
        first = solutions[0]
        if not isinstance(first, MultiBranchMLP):
            shape, a_shape = tuple(np.shape(first[0])), tuple(np.shape(first[1]))
        else:
            shape = (first.n_branches, first.width, first.d)
            a_shape = shape[:2]
        if len(shape) != 3 or a_shape[:2] != shape[:2] or len(a_shape) not in (2, 3):
            raise InputError(
                f"solutions[0] must have U (I, m, d) and a (I, m) or (I, m, C), got {shape}, {a_shape}"
            )
        ws = [_as_params(s, f"solutions[{k}]", shape, a_shape) for k, s in enumerate(solutions)]
        flat = [_flat(w) for w in ws]
        with np.errstate(over="ignore", invalid="ignore"):
            c = flat[0] / 3.0 + flat[1] / 3.0 + flat[2] / 3.0
            e1, e2 = flat[0] - flat[1], flat[0] - flat[2]
        if not all(np.isfinite(v).all() for v in (c, e1, e2)):
            raise InputError("solutions are too large: their mean or differences overflow float64")
        n2, n_e1, n_e2 = safe_norm(flat[2]), safe_norm(e1), safe_norm(e2)
        if not (n_e1 > 0 and n_e2 > 0):
            raise InputError("solutions must be three distinct networks")
        if not n2 > 0:
            raise InputError("solutions[2] is the zero network: directions scaled to ||w2|| would vanish")
        u1, u2 = e1 / n_e1, e2 / n_e2
        d1, d2 = u1 * n2, u2 * n2
        if not (np.isfinite(d1).all() and np.isfinite(d2).all()):
            raise InputError("solutions are too large: ||w2|| overflows float64")
        # Plane coordinates in the scale-free basis (u1, u2), then divided by ||w2|| (d_k = ||w2|| u_k).
        basis = np.column_stack([u1, u2])
        minima = np.array([np.linalg.lstsq(basis, f - c, rcond=None)[0] for f in flat]) / n2
        unflat = _unflatten(shape, a_shape)
        return SlicePlane(unflat(c), unflat(d1), unflat(d2), kind, None, minima)
    if not isinstance(model, MultiBranchMLP):
        raise InputError(f"model must be a MultiBranchMLP for kind={kind!r}")
    seed = as_int(seed, "seed", minimum=0)
    rng = np.random.default_rng(seed)
    U, a = model.U, model.a
    dirs = []
    for _ in range(2):
        dU = rng.standard_normal(U.shape)
        da = rng.standard_normal(a.shape)
        if kind == "filter":
            nU = np.linalg.norm(U, axis=2, keepdims=True)
            na = np.linalg.norm(a, axis=1, keepdims=True)
            if (nU == 0).any() or (na == 0).any():
                warnings.warn(
                    "slice_directions: theta has zero filters; their direction blocks are zero", stacklevel=2
                )
            dU = dU * nU / np.linalg.norm(dU, axis=2, keepdims=True)
            da = da * na / np.linalg.norm(da, axis=1, keepdims=True)
        else:
            scale = np.linalg.norm(_flat((U, a))) / np.linalg.norm(_flat((dU, da)))
            dU, da = dU * scale, da * scale
        dirs.append((dU, da))
    return SlicePlane((U, a), dirs[0], dirs[1], kind, seed, None)


def _unflatten(shape: Tuple[int, ...], a_shape: Tuple[int, ...]):
    I, m, d = shape

    def f(v: np.ndarray) -> Params:
        return v[: I * m * d].reshape(I, m, d).copy(), v[I * m * d :].reshape(a_shape).copy()

    return f


def _surface_core(
    X: np.ndarray,
    y: np.ndarray,
    I: int,
    centre: Params,
    d1: Params,
    d2: Params,
    alphas: np.ndarray,
    betas: np.ndarray,
    tau: float,
    loss: str,
) -> np.ndarray:
    P, d = centre[0].shape[0] * centre[0].shape[1], centre[0].shape[2]

    def units(p: Params) -> Tuple[np.ndarray, np.ndarray]:
        return np.ascontiguousarray(p[0].reshape(P, d)), np.ascontiguousarray(p[1].reshape(P))

    (U0, a0), (U1, a1), (U2, a2) = units(centre), units(d1), units(d2)
    return _core.branches_surface(X, y, U0, a0, U1, a1, U2, a2, alphas, betas, I, tau, loss)


def loss_surface(
    model: MultiBranchMLP,
    X: Any,
    y: Any,
    directions: SlicePlane,
    grid: Any = 41,
    span: float = 1.0,
    tau: float = 1.0,
    loss: str = "hinge",
) -> Surface:
    """Loss on the plane ``directions``: S[i, j] = R(centre + alphas[i] d1 + betas[j] d2).

    The slices of docs/branches.md#slices.

    Evaluated by the compiled batched kernel: pre-activations are affine in (alpha, beta), so three GEMMs and
    O(n I m) work per grid point (GIL released, interruptible with Ctrl-C between sample tiles).  Scales
    (docs/branches.md#scales): the surface is unchanged when X (bias column included) and tau are scaled
    together; it is computed on X / 2^e and tau / 2^e.

    Args:
        model: gives the architecture (I, m, d).
        X: data, shape (n, d).
        y: labels, shape (n,), in {-1, +1}.
        directions: a SlicePlane from :func:`slice_directions`.
        grid: points per axis (3 to 10^4) on [-span, span], or a pair (alphas, betas) of increasing arrays.
        span: half-width > 0 of the default grid.
        tau: hinge scale > 0.
        loss: "hinge" or "squared_hinge".

    Returns:
        Surface; ``metadata`` holds the centre loss.

    Raises:
        InputError: an invalid argument, named.
    """
    if not isinstance(model, MultiBranchMLP):
        raise InputError("model must be a MultiBranchMLP")
    if not isinstance(directions, SlicePlane):
        raise InputError("directions must be a SlicePlane from slice_directions")
    X, y = check_data(X, y)
    shape = (model.n_branches, model.width, model.d)
    if X.shape[1] != model.d:
        raise InputError(f"X must have d = {model.d} columns, got shape {X.shape}")
    tau = as_real(tau, "tau", minimum=0.0, strict_min=True)
    loss = check_loss(loss)
    span = as_real(span, "span", minimum=0.0, strict_min=True)
    alphas, betas = _grid_axes(grid, span)
    centre = _as_params(directions.centre, "directions.centre", shape)
    d1 = _as_params(directions.d1, "directions.d1", shape)
    d2 = _as_params(directions.d2, "directions.d2", shape)
    Xs, ts, _ = normalise(X, tau)
    S = _surface_core(Xs, y, model.n_branches, centre, d1, d2, alphas, betas, ts, loss)
    zero = np.zeros(1)
    centre_loss = float(_surface_core(Xs, y, model.n_branches, centre, d1, d2, zero, zero, ts, loss)[0, 0])
    meta = {
        "kind": directions.kind,
        "seed": directions.seed,
        "I": model.n_branches,
        "m": model.width,
        "d": model.d,
        "n": X.shape[0],
        "tau": tau,
        "loss": loss,
        "centre_loss": centre_loss,
        "span": span,
        "grid": (alphas.size, betas.size),
    }
    if directions.minima is not None:
        meta["minima"] = directions.minima.tolist()
    return Surface(S, alphas, betas, meta)


def _grid_axes(grid: Any, span: float) -> Tuple[np.ndarray, np.ndarray]:
    if isinstance(grid, (tuple, list)) and len(grid) == 2:
        alphas = as_array(grid[0], "grid[0] (alphas)", 1)
        betas = as_array(grid[1], "grid[1] (betas)", 1)
        for nm, v in (("grid[0] (alphas)", alphas), ("grid[1] (betas)", betas)):
            if v.size < 3:
                raise InputError(f"{nm} must have at least 3 points (grid >= 3 x 3), got {v.size}")
            if not (np.diff(v) > 0).all():
                raise InputError(f"{nm} must be strictly increasing")
        return alphas, betas
    g = as_int(grid, "grid", minimum=3, maximum=MAX_GRID)
    alphas = np.linspace(-span, span, g)
    return alphas, alphas.copy()


def multiclass_loss_surface(
    X: Any, labels: Any, directions: SlicePlane, grid: Any = 41, span: float = 1.0
) -> Surface:
    """Multi-class margin loss on a plane of C-output multi-branch networks (docs/branches.md#figure).

    ``F(x) = (1/I) sum_{i,j} A[i, j] relu(U[i, j] . x)`` with ``U`` (I, m, d), ``A`` (I, m, C); the loss is
    ``mean_j (1/C) sum_{c != y_j} max(0, 1 - F_{j, y_j} + F_{j, c})`` (PyTorch ``multi_margin_loss``,
    margin 1), the loss plotted in Zhang et al.'s landscape figure.  ``directions`` holds (U, A) pairs, e.g.
    from ``slice_directions("three_minima", solutions=[(U0, A0), (U1, A1), (U2, A2)])`` with networks trained
    elsewhere.  Evaluated by the compiled batched kernel.

    Args:
        X: data, shape (n, d).
        labels: integer classes in [0, C), shape (n,).
        directions: a SlicePlane of (U (I, m, d), A (I, m, C)) pairs.
        grid: points per axis (3 to 10^4) on [-span, span], or a pair (alphas, betas) of increasing arrays.
        span: half-width > 0 of the default grid.

    Returns:
        Surface with ``values[i, j]`` the loss at (alphas[i], betas[j]).

    Raises:
        InputError: non-integer or out-of-range labels, mismatched shapes or a bad grid.
    """
    if not isinstance(directions, SlicePlane):
        raise InputError("directions must be a SlicePlane from slice_directions")
    X = as_array(X, "X", 2)
    lab = np.asarray(labels)
    if lab.dtype.kind not in "iu":
        raise InputError(f"labels must be integers in [0, C), got dtype {lab.dtype}")
    lab = as_array(lab, "labels", 1)
    same_rows(("X", X), ("labels", lab))
    span = as_real(span, "span", minimum=0.0, strict_min=True)
    alphas, betas = _grid_axes(grid, span)
    U0 = as_array(directions.centre[0], "directions.centre[0] (U)", 3)
    A0 = as_array(directions.centre[1], "directions.centre[1] (A)", 3)
    shape, a_shape = U0.shape, A0.shape
    if a_shape[:2] != shape[:2]:
        raise InputError(f"output weights must have shape (I, m, C) matching U {shape}, got {a_shape}")
    I, m, d = shape
    C = a_shape[2]
    if X.shape[1] != d:
        raise InputError(f"X must have d = {d} columns, got shape {X.shape}")
    if lab.min() < 0 or lab.max() >= C:
        raise InputError(f"labels must be integers in [0, {C - 1}], got range [{lab.min():g}, {lab.max():g}]")
    pts = [
        _as_params(p, nm, shape, a_shape)
        for p, nm in (
            (directions.centre, "directions.centre"),
            (directions.d1, "directions.d1"),
            (directions.d2, "directions.d2"),
        )
    ]
    P = I * m
    flat = [(np.ascontiguousarray(U.reshape(P, d)), np.ascontiguousarray(A.reshape(P, C))) for U, A in pts]
    S = _core.branches_surface_multimargin(
        X, lab, flat[0][0], flat[0][1], flat[1][0], flat[1][1], flat[2][0], flat[2][1], alphas, betas, I
    )
    meta = {"kind": directions.kind, "I": I, "m": m, "d": d, "C": C, "n": X.shape[0], "loss": "multi_margin",
            "span": span, "grid": (alphas.size, betas.size)}  # fmt: skip
    if directions.minima is not None:
        meta["minima"] = directions.minima.tolist()
    return Surface(S, alphas, betas, meta)


def interpolation_barrier(
    model: MultiBranchMLP,
    w_a: Any,
    w_b: Any,
    X: Any,
    y: Any,
    tau: float = 1.0,
    loss: str = "hinge",
    points: int = 21,
) -> Barrier:
    """max_t R((1-t) w_a + t w_b) - [(1-t) R(w_a) + t R(w_b)] on ``points`` values of t in [0, 1].

    0 for a convex loss along the segment; in loss units (not normalised).  One of the non-convexity scores
    of docs/branches.md#scores.  Unchanged when X (bias column included) and tau are scaled together
    (docs/branches.md#scales); computed on X / 2^e and tau / 2^e by the compiled surface kernel.

    Args:
        model: gives the architecture (I, m, d).
        w_a: a network (MultiBranchMLP) or a pair (U, a) with ``model``'s architecture.
        w_b: the other end of the segment, likewise.
        X: data, shape (n, d).
        y: labels, shape (n,), in {-1, +1}.
        tau: hinge scale > 0.
        loss: "hinge" or "squared_hinge".
        points: number of values of t, in [2, 10^7].

    Returns:
        Barrier.

    Raises:
        InputError: an invalid argument, named.
    """
    if not isinstance(model, MultiBranchMLP):
        raise InputError("model must be a MultiBranchMLP")
    X, y = check_data(X, y)
    if X.shape[1] != model.d:
        raise InputError(f"X must have d = {model.d} columns, got shape {X.shape}")
    tau = as_real(tau, "tau", minimum=0.0, strict_min=True)
    loss = check_loss(loss)
    points = as_int(points, "points", minimum=2, maximum=MAX_POINTS)
    shape = (model.n_branches, model.width, model.d)
    wa = _as_params(w_a, "w_a", shape)
    wb = _as_params(w_b, "w_b", shape)
    t = np.linspace(0.0, 1.0, points)
    diff = (wb[0] - wa[0], wb[1] - wa[1])
    zero = (np.zeros_like(wa[0]), np.zeros_like(wa[1]))
    Xs, ts, _ = normalise(X, tau)
    vals = _surface_core(Xs, y, model.n_branches, wa, diff, zero, t, np.zeros(1), ts, loss)[:, 0]
    chord = (1 - t) * vals[0] + t * vals[-1]
    return Barrier(float(np.max(vals - chord)), t, vals)
