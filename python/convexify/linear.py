r"""Lens 1 -- regularised deep linear networks and their convex dual (Zhang, Shao & Salakhutdinov 2019).

Data ``X`` has shape ``(n, d0)`` (samples are rows), targets ``Y`` shape ``(n, dH)``; weights are stored like
``torch.nn.Linear.weight``: ``W_i`` has shape ``(d_i, d_{i-1})`` and the network computes
``F(X) = X @ W_1.T @ ... @ W_H.T``.  The primal problem (survey eq. 2, SPEC 2.1) is::

    P(W) = 1/2 ||Y - X W_1^T ... W_H^T||_F^2
           + gamma/H * ( ||X W_1^T||_{S_H}^H + sum_{i>=2} ||W_i||_{S_H}^H )

with Schatten-H norms ``||A||_{S_H}^H = sum_i sigma_i(A)^H`` (the first penalty acts on the first layer's
output on the data).  It reduces to one matrix (SPEC 2.2): with ``Ytilde = P_X Y`` (projection onto
range(X)), singular values ``s_1 >= ... >= s_rY > 0`` and ``k = min(d0, d1, ..., d_{H-1}, dH, n)``::

    P* = 1/2 ||Y||^2 - 1/2 sum_{i <= min(k, rY)} (s_i - gamma)_+^2        (independent of H >= 2)

The dual (survey eq. 3-4, SPEC 2.3) maximises ``D(L) = 1/2||Y||^2 - 1/2||Ytilde - L||_(k)^2`` (Ky Fan (2,k)
norm: the k largest squared singular values) over ``||L||_2 <= gamma`` (spectral norm) with columns in
range(X).  **The duality gap is zero for every gamma >= 0**: ``L* = sum_i min(s_i, gamma) p_i q_i^T`` attains
``P*``.  The survey's condition ``gamma <= sigma_min(Ytilde)`` is not needed; it only marks where
``L* = gamma U V^T`` (SPEC 2.8).

Two subtleties the results expose:

* **Bottleneck.** The dual is the dual of the *rank-constrained* problem (rank(M) <= k).  When a hidden width
  binds (more than k singular values above gamma), the convex nuclear-norm problem without rank bound has a
  strictly smaller value; a solver that ignores ``widths`` is wrong there.
* **Non-unique dual optimum / recovery.** When ``k < rY`` many ``L`` are dual-optimal, and the survey's
  recovery ``svd_k(Ytilde - L)`` can pick the wrong singular branch (SPEC 2.3 example: X = I_2,
  Ytilde = diag(4, 3), k = 1, gamma = 1).  :func:`solve` therefore recovers the weights from whichever
  candidate -- the Douglas–Rachford shadow ``(z - L)/t`` or ``svd_k(Ytilde - L)`` -- attained the certified
  primal value, and reports which one (``certified``).

Balanced weights (SPEC 2.4) are unique only up to rotations of the hidden layers
(``W_i -> R_i W_i R_{i-1}^T`` with orthogonal ``R_i``); compare products ``X W_1^T ... W_H^T`` and objective
values, not individual matrices.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Dict, List, Optional, Sequence, Tuple

import numpy as np

from ._errors import DivergenceError, InputError, InputTypeError
from ._validate import as_array, as_choice, as_int, as_real, same_rows

__all__ = [
    "LinearHistory",
    "LinearSolution",
    "TrainResult",
    "solve",
    "primal_objective",
    "dual_objective",
    "prox_topk",
    "train_gd",
    "default_widths",
]


def _core() -> Any:
    from . import _core as core

    return core


# --------------------------------------------------------------------------------------------------------
# validation


def _data(X: Any, Y: Any) -> Tuple[np.ndarray, np.ndarray]:
    Xa = as_array(X, "X", 2)
    Ya = as_array(Y, "Y", 2)
    same_rows(("X", Xa), ("Y", Ya))
    return Xa, Ya


def _depth(depth: Any) -> int:
    return as_int(depth, "depth", minimum=2)


def _gamma(gamma: Any) -> float:
    return as_real(gamma, "gamma", minimum=0.0)


def default_widths(X_shape: Tuple[int, int], Y_shape: Tuple[int, int], depth: int) -> Tuple[int, ...]:
    """Hidden widths without bottleneck: ``depth - 1`` copies of ``min(d0, dH, n)`` (SPEC 2.1)."""
    n, d0 = X_shape
    return (min(d0, Y_shape[1], n),) * (depth - 1)


def _widths(widths: Any, depth: int, Xa: np.ndarray, Ya: np.ndarray) -> Tuple[int, ...]:
    if widths is None:
        return default_widths(Xa.shape, Ya.shape, depth)
    if isinstance(widths, (str, bytes)) or not isinstance(widths, (Sequence, np.ndarray)):
        raise InputTypeError(
            f"widths must be a sequence of depth - 1 = {depth - 1} positive integers, got {widths!r}"
        )
    values = list(widths.tolist() if isinstance(widths, np.ndarray) else widths)
    if len(values) != depth - 1:
        raise InputError(
            f"widths must hold exactly depth - 1 = {depth - 1} hidden widths, got {len(values)}: {values!r}"
        )
    return tuple(as_int(w, f"widths[{i}]", minimum=1) for i, w in enumerate(values))


def _weights(weights: Any) -> List[np.ndarray]:
    if isinstance(weights, np.ndarray) or not isinstance(weights, (list, tuple)):
        raise InputTypeError("weights must be a list of 2-D arrays (W_1 first)")
    if len(weights) < 2:
        raise InputError(f"weights must hold at least 2 matrices (depth >= 2), got {len(weights)}")
    return [as_array(W, f"weights[{i}]", 2) for i, W in enumerate(weights)]


# --------------------------------------------------------------------------------------------------------
# results


@dataclass(frozen=True)
class LinearHistory:
    """Douglas–Rachford certificates per iterate ``j = 0..iterations`` (SPEC 2.5).

    Attributes:
        dual: ``D_j = 1/2||Y||^2 - 1/2||Ytilde - L_j||_(k)^2`` (``L_j`` is feasible by construction).
        primal_svd: ``P(M_svd)`` with ``M_svd = svd_k(Ytilde - L_j)`` (the survey's recovery).
        primal_shadow: ``P(M_shadow)`` with the DR shadow ``M_shadow = svd_k((z_j - L_j) / t)``.
        gap: relative gap ``(P_j - D_j) / max(|P_j|, |D_j|)`` with ``P_j = min(primal_svd, primal_shadow)``.
    """

    dual: np.ndarray
    primal_svd: np.ndarray
    primal_shadow: np.ndarray
    gap: np.ndarray

    @property
    def primal(self) -> np.ndarray:
        """``P_j = min(P(M_svd), P(M_shadow))``."""
        return np.minimum(self.primal_svd, self.primal_shadow)

    def __len__(self) -> int:
        return int(self.gap.shape[0])


@dataclass(frozen=True)
class LinearSolution:
    """Result of :func:`solve` (SPEC 2.7).

    Attributes:
        primal_value: literal ``P(W)`` (survey eq. 2) evaluated from the returned ``weights``.
        dual_value: ``D(Lambda)`` (survey eq. 3) evaluated from the returned ``Lambda``.
        gap: ``primal_value - dual_value`` (both evaluated, not assumed); >= 0 up to rounding.
        weights: ``[W_1, ..., W_H]``, ``W_i`` of shape ``(d_i, d_{i-1})``; balanced, unique up to rotations.
        Lambda: dual point, shape ``(n, dH)``, ``||Lambda||_2 <= gamma``, columns in range(X).
        Ytilde: projection ``P_X Y`` of ``Y`` onto range(X), shape ``(n, dH)``.
        M: the product ``X W_1^T ... W_H^T`` the weights were built from, shape ``(n, dH)``.
        k: ``d_min = min(d0, d_1, ..., d_{H-1}, dH, n)``.
        r: numerical rank of ``X`` (tolerance ``s_1(X) max(n, d0) eps``, SPEC 1.4).
        rY: rank of ``Ytilde``.
        s: singular values of ``Ytilde`` (length ``rY``, descending).
        optimal_value: ``P*`` from the closed form (SPEC 2.2).
        iterations: Douglas–Rachford iterations (0 for ``method="closed"``).
        converged: whether the certificate reached ``tol``.
        status: ``"converged"``, ``"max_iter"`` or ``"diverged"``.
        certified: the candidate the weights come from: ``"shadow"``, ``"svd"`` or ``"closed"``.
        relative_gap: certified relative gap ``(P_j - D_j) / max(|P_j|, |D_j|)`` of the final iterate.
        recovery_error: ``|P(W) - P*| / max(1, P*)`` (SPEC 2.4).
        history: per-iteration certificates (empty for ``method="closed"``).
        depth, gamma, widths, method, t: the problem and solver settings.
        rank_tolerance: the rank threshold used for ``X``.
    """

    primal_value: float
    dual_value: float
    gap: float
    weights: List[np.ndarray]
    Lambda: np.ndarray
    Ytilde: np.ndarray
    M: np.ndarray
    k: int
    r: int
    rY: int
    s: np.ndarray
    optimal_value: float
    iterations: int
    converged: bool
    status: str
    certified: str
    relative_gap: float
    recovery_error: float
    history: LinearHistory
    depth: int
    gamma: float
    widths: Tuple[int, ...]
    method: str
    t: float
    rank_tolerance: float = field(default=0.0)


@dataclass(frozen=True)
class TrainResult:
    """Result of :func:`train_gd` (the non-convex baseline).

    Attributes:
        weights: final ``[W_1, ..., W_H]``.
        losses: objective ``P(W)`` after each iteration (index 0: the initialisation).
        final_value: ``P(W)`` of the final weights.
        iterations: iterations performed.
        method: ``"lbfgs"`` or ``"gd"``.
        seed: the seed of the random initialisation.
    """

    weights: List[np.ndarray]
    losses: np.ndarray
    final_value: float
    iterations: int
    method: str
    seed: int


# --------------------------------------------------------------------------------------------------------
# public API


def solve(
    X: Any,
    Y: Any,
    depth: int,
    gamma: float,
    widths: Optional[Sequence[int]] = None,
    method: str = "dr",
    tol: float = 1e-10,
    max_iter: int = 10_000,
    *,
    t: float = 1.0,
    z0: Any = None,
    record_history: bool = True,
    on_divergence: str = "raise",
    form: str = "reduced",
) -> LinearSolution:
    r"""Globally optimal weights of a regularised deep linear network, certified by its convex dual.

    Solves ``min_W P(W)`` (survey eq. 2) through the equivalent rank-constrained problem (SPEC 2.2)::

        P* = min { 1/2||Y - M||^2 + gamma ||M||_* : rank(M) <= k, range(M) in range(X) }

    and its dual (SPEC 2.3).  The gap is zero for every ``gamma >= 0`` (no ``gamma <= sigma_min`` condition),
    for every depth ``H >= 2``, bottleneck widths, rank-deficient ``X`` and ``n < d0``.

    Args:
        X: inputs, shape ``(n, d0)``.  Any rank, including ``X = 0``.
        Y: targets, shape ``(n, dH)``.
        depth: number of weight matrices ``H >= 2``.
        gamma: regularisation weight, finite, ``>= 0``.
        widths: hidden widths ``(d_1, ..., d_{H-1})``; default ``min(d0, dH, n)`` each (no bottleneck).
        method: ``"dr"`` -- Douglas–Rachford on the dual in the reduced form (SPEC 2.5): iterates
            ``l = U_x^T L`` of shape ``(r, dH)`` in an orthonormal basis of range(X) computed by Householder
            QR + SVD of the small factor; the projection clips singular values at ``gamma``; the prox of
            ``t/2 ||.||_(k)^2`` is the PAV weighted isotonic regression :func:`prox_topk` on singular values.
            Stops when the relative gap ``(P_j - D_j) / max(|P_j|, |D_j|) <= tol``.
            ``"closed"`` -- the closed form ``M*, L*`` (SPEC 2.2-2.3).
        tol: relative duality-gap tolerance of the DR certificate.
        max_iter: maximum DR iterations (``>= 0``).
        t: DR step ``t > 0`` (with a binding bottleneck ``t = 2`` needs about half the iterations of 1).
        z0: warm start for DR, shape ``(n, dH)``; it is projected onto range(X).
        record_history: keep the per-iteration certificates.
        on_divergence: ``"raise"`` (:class:`convexify.DivergenceError`) or ``"return"`` (status
            ``"diverged"``).
        form: ``"reduced"`` (default; ``r x dH`` iterates, three small SVDs per iteration, any warm start;
            from ``z0 = 0`` the iterates are taken in the singular bases of ``U_x^T Y`` on both sides,
            ``rY x rY``, where they are diagonal up to rounding and a Jacobi SVD finishes in one sweep) or
            ``"diagonal"`` (SPEC 2.5: from ``z0 = 0`` every iterate is diagonal in the singular basis of
            ``U_x^T Y``, so the same iterates run on vectors of length ``rY``; no warm start).

    Returns:
        :class:`LinearSolution`.  ``primal_value`` is evaluated literally from the returned weights and
        ``dual_value`` from the returned ``Lambda``, so ``gap`` is a genuine certificate.

    Raises:
        InputError / InputTypeError: invalid arguments (the message names the argument).
        DivergenceError: a non-finite DR iterate (only with ``on_divergence="raise"``).
    """
    Xa, Ya = _data(X, Y)
    H = _depth(depth)
    g = _gamma(gamma)
    ws = _widths(widths, H, Xa, Ya)
    meth = as_choice(method, "method", ("dr", "closed"))
    tol_ = as_real(tol, "tol", minimum=0.0)
    iters = as_int(max_iter, "max_iter", minimum=0)
    step = as_real(t, "t", minimum=0.0, strict_min=True)
    div = as_choice(on_divergence, "on_divergence", ("raise", "return"))
    frm = as_choice(form, "form", ("reduced", "diagonal"))
    if not isinstance(record_history, (bool, np.bool_)):
        raise InputTypeError(f"record_history must be a bool, got {record_history!r}")
    z0a = None
    if z0 is not None:
        z0a = as_array(z0, "z0", 2)
        if z0a.shape != Ya.shape:
            raise InputError(f"z0 must have the shape of Y {Ya.shape}, got {z0a.shape}")
        if frm == "diagonal":
            raise InputError("z0: form='diagonal' starts from z0 = 0; use form='reduced' for a warm start")

    d: Dict[str, Any] = _core().linear_solve(
        Xa, Ya, list(ws), g, meth, step, tol_, iters, z0a, bool(record_history), frm
    )
    if d["status"] == "diverged" and div == "raise":
        raise DivergenceError(
            f"Douglas-Rachford produced a non-finite iterate at iteration {d['iterations']}"
        )
    h = d["history"]
    history = LinearHistory(
        dual=np.asarray(h["dual"]),
        primal_svd=np.asarray(h["primal_svd"]),
        primal_shadow=np.asarray(h["primal_shadow"]),
        gap=np.asarray(h["gap"]),
    )
    pstar = float(d["closed_value"])
    primal = float(d["primal_value"])
    return LinearSolution(
        primal_value=primal,
        dual_value=float(d["dual_value"]),
        gap=primal - float(d["dual_value"]),
        weights=[np.asarray(W) for W in d["weights"]],
        Lambda=np.asarray(d["Lambda"]),
        Ytilde=np.asarray(d["Ytilde"]),
        M=np.asarray(d["M"]),
        k=int(d["k"]),
        r=int(d["r"]),
        rY=int(d["rY"]),
        s=np.asarray(d["s"]).reshape(-1),
        optimal_value=pstar,
        iterations=int(d["iterations"]),
        converged=bool(d["converged"]),
        status=str(d["status"]),
        certified=str(d["certified"]),
        relative_gap=float(d["relative_gap"]),
        recovery_error=abs(primal - pstar) / max(1.0, pstar),
        history=history,
        depth=H,
        gamma=g,
        widths=ws,
        method=meth,
        t=step,
        rank_tolerance=float(d["rank_tolerance"]),
    )


def primal_objective(weights: Sequence[Any], X: Any, Y: Any, gamma: float) -> float:
    r"""The factorised primal objective (survey eq. 2, SPEC 2.1), evaluated literally from the factors.

    ``P(W) = 1/2||Y - X W_1^T ... W_H^T||_F^2 + gamma/H (||X W_1^T||_{S_H}^H + sum_{i>=2} ||W_i||_{S_H}^H)``
    with ``H = len(weights)`` and Schatten-H norms computed from singular values.
    ``W_i`` has shape ``(d_i, d_{i-1})``, ``d_0 = X.shape[1]``, ``d_H = Y.shape[1]``.
    """
    Xa, Ya = _data(X, Y)
    Ws = _weights(weights)
    g = _gamma(gamma)
    prev = Xa.shape[1]
    for i, W in enumerate(Ws):
        if W.shape[1] != prev:
            raise InputError(
                f"weights[{i}] has shape {W.shape}; its number of columns must be {prev} "
                "(the previous layer's width; d_0 = X.shape[1])"
            )
        prev = W.shape[0]
    if prev != Ya.shape[1]:
        raise InputError(f"weights[-1] has {prev} rows but Y has {Ya.shape[1]} columns")
    return float(_core().linear_primal_objective(Ws, Xa, Ya, g))


def dual_objective(Lambda: Any, X: Any, Y: Any, gamma: float, k: int) -> float:
    r"""The dual objective (survey eq. 3-4, SPEC 2.3) at a feasible ``Lambda`` of shape ``(n, dH)``.

    ``D(Lambda) = 1/2||Y||_F^2 - 1/2||Ytilde - Lambda||_(k)^2`` with the Ky Fan (2,k) norm
    ``||A||_(k)^2 = sum_{i<=k} sigma_i(A)^2``.  Weak duality: ``D(Lambda) <= P*`` for every feasible
    ``Lambda``.

    Raises:
        InputError: ``Lambda`` is infeasible: spectral norm above ``gamma`` beyond rounding
            (``> gamma (1 + 1e-9) + 1e-12 ||Y||_F``), or columns outside range(X)
            (``||(I - P_X) Lambda||_F > 1e-8 ||Lambda||_F``).  The norm is spectral: a Frobenius ball would
            leave a duality gap.
    """
    Xa, Ya = _data(X, Y)
    La = as_array(Lambda, "Lambda", 2)
    if La.shape != Ya.shape:
        raise InputError(f"Lambda must have the shape of Y {Ya.shape}, got {La.shape}")
    g = _gamma(gamma)
    kk = as_int(k, "k", minimum=1)
    return float(_core().linear_dual_objective(La, Xa, Ya, g, kk))


def prox_topk(v: Any, k: int, t: float = 1.0) -> np.ndarray:
    r"""prox of ``phi(x) = (t/2) * (sum of the k largest x_i^2)`` at ``v`` (SPEC 2.5).

    A weighted isotonic regression on ``|v|`` sorted descending (weights ``1 + t`` on the first ``k``
    positions, 1 after), solved by pool-adjacent-violators; order and signs of ``v`` are restored.  The naive
    rule "divide the k largest by 1 + t" is wrong whenever ``a_k / (1 + t) < a_{k+1}``:
    ``prox_topk([4, 3, 1], k=1, t=1) = [7/3, 7/3, 1]``.
    """
    va = as_array(v, "v", 1)
    kk = as_int(k, "k", minimum=0)
    tt = as_real(t, "t", minimum=0.0, strict_min=True)
    return np.asarray(_core().linear_prox_topk(va, kk, tt))


# --------------------------------------------------------------------------------------------------------
# non-convex baseline


def _objective_and_grad(
    Ws: List[np.ndarray], X: np.ndarray, Y: np.ndarray, gamma: float
) -> Tuple[float, List[np.ndarray]]:
    """P(W) and its gradient; d/dA (1/H)||A||_{S_H}^H = U diag(s^{H-1}) V^T (smooth for H >= 2)."""
    H = len(Ws)
    acts = [X]
    for W in Ws:
        acts.append(acts[-1] @ W.T)
    R = acts[-1] - Y
    value = 0.5 * float(np.vdot(R, R))
    grads: List[np.ndarray] = [np.empty(0)] * H
    G = R
    for i in range(H - 1, -1, -1):
        A_in = acts[i]
        if i == 0:
            U, s, Vt = np.linalg.svd(acts[1], full_matrices=False)
            value += gamma / H * float(np.sum(s**H))
            G = G + gamma * (U * s ** (H - 1)) @ Vt
            grads[0] = G.T @ A_in
        else:
            U, s, Vt = np.linalg.svd(Ws[i], full_matrices=False)
            value += gamma / H * float(np.sum(s**H))
            grads[i] = G.T @ A_in + gamma * (U * s ** (H - 1)) @ Vt
            G = G @ Ws[i]
    return value, grads


def train_gd(
    X: Any,
    Y: Any,
    depth: int,
    gamma: float,
    widths: Optional[Sequence[int]] = None,
    *,
    method: str = "lbfgs",
    max_iter: int = 500,
    lr: Optional[float] = None,
    init_scale: float = 1.0,
    seed: int = 0,
    tol: float = 1e-12,
) -> TrainResult:
    r"""Non-convex baseline: minimise ``P(W)`` (survey eq. 2) directly over the factors from a random init.

    ``method="lbfgs"`` uses SciPy's L-BFGS-B; ``method="gd"`` is gradient descent with Armijo backtracking
    (starting from ``lr``, default ``1 / ||X||_2^2``; each step is accepted only if it decreases ``P``).
    Initial weights are Gaussian with standard deviation ``init_scale / sqrt(d_{i-1})`` (seeded by ``seed``).
    Every returned value is ``>= P*`` of :func:`solve` up to rounding; use it to see how far a local method
    gets from the certified optimum.
    """
    Xa, Ya = _data(X, Y)
    H = _depth(depth)
    g = _gamma(gamma)
    ws = _widths(widths, H, Xa, Ya)
    meth = as_choice(method, "method", ("lbfgs", "gd"))
    iters = as_int(max_iter, "max_iter", minimum=0)
    scale = as_real(init_scale, "init_scale", minimum=0.0, strict_min=True)
    sd = as_int(seed, "seed", minimum=0)
    tol_ = as_real(tol, "tol", minimum=0.0)
    dims = (Xa.shape[1], *ws, Ya.shape[1])
    rng = np.random.default_rng(sd)
    Ws = [rng.standard_normal((dims[i + 1], dims[i])) * (scale / np.sqrt(dims[i])) for i in range(H)]
    shapes = [W.shape for W in Ws]
    sizes = [W.size for W in Ws]

    def unpack(theta: np.ndarray) -> List[np.ndarray]:
        out, pos = [], 0
        for shp, sz in zip(shapes, sizes):
            out.append(theta[pos : pos + sz].reshape(shp))
            pos += sz
        return out

    def pack(mats: List[np.ndarray]) -> np.ndarray:
        return np.concatenate([m.ravel() for m in mats])

    losses = [_objective_and_grad(Ws, Xa, Ya, g)[0]]
    if meth == "lbfgs":
        from scipy.optimize import minimize

        def fun(theta: np.ndarray) -> Tuple[float, np.ndarray]:
            v, gr = _objective_and_grad(unpack(theta), Xa, Ya, g)
            return v, pack(gr)

        def callback(theta: np.ndarray) -> None:
            losses.append(_objective_and_grad(unpack(theta), Xa, Ya, g)[0])

        if iters > 0:
            res = minimize(
                fun,
                pack(Ws),
                jac=True,
                method="L-BFGS-B",
                callback=callback,
                options={"maxiter": iters, "ftol": tol_, "gtol": 1e-12, "maxcor": 20},
            )
            Ws = unpack(res.x)
            n_it = int(res.nit)
        else:
            n_it = 0
    else:
        step = (
            as_real(lr, "lr", minimum=0.0, strict_min=True)
            if lr is not None
            else 1.0 / max(np.linalg.norm(Xa, 2) ** 2, 1e-300)
        )
        value, grads = _objective_and_grad(Ws, Xa, Ya, g)
        n_it = 0
        for _ in range(iters):
            gn2 = sum(float(np.vdot(G, G)) for G in grads)
            if gn2 == 0.0:
                break
            while True:
                trial = [W - step * G for W, G in zip(Ws, grads)]
                tv, tg = _objective_and_grad(trial, Xa, Ya, g)
                if np.isfinite(tv) and tv <= value - 0.5 * step * gn2:
                    break
                step *= 0.5
                if step < 1e-300:
                    break
            if step < 1e-300:
                break
            improvement = value - tv
            Ws, value, grads = trial, tv, tg
            step *= 1.5
            n_it += 1
            losses.append(value)
            if improvement <= tol_ * max(1.0, abs(value)):
                break
        if not np.isfinite(value):
            raise DivergenceError(f"train_gd produced a non-finite objective at iteration {n_it}")
    final = _objective_and_grad(Ws, Xa, Ya, g)[0]
    return TrainResult(
        weights=[np.ascontiguousarray(W) for W in Ws],
        losses=np.asarray(losses, dtype=float),
        final_value=float(final),
        iterations=n_it,
        method=meth,
        seed=sd,
    )
