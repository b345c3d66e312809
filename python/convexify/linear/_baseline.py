"""The non-convex baseline of lens 1: local training of the factorised primal (L-BFGS or GD)."""

from __future__ import annotations

from typing import Any, List, Optional, Sequence, Tuple

import numpy as np

from .._errors import DivergenceError
from .._validate import as_choice, as_int, as_real
from ._inputs import INT_MAX, _check_scale, _data, _depth, _gamma, _widths
from ._results import LocalTrainResult


def _objective_and_grad(
    Ws: List[np.ndarray], X: np.ndarray, Y: np.ndarray, gamma: float
) -> Tuple[float, List[np.ndarray]]:
    """P(W) and its gradient; an overflowing trial step gives ``inf`` (the callers back off or raise)."""
    with np.errstate(over="ignore", invalid="ignore"):
        return _objective_and_grad_impl(Ws, X, Y, gamma)


def _objective_and_grad_impl(
    Ws: List[np.ndarray], X: np.ndarray, Y: np.ndarray, gamma: float
) -> Tuple[float, List[np.ndarray]]:
    """P(W) and its gradient; d/dA (1/H)||A||_{S_H}^H = U diag(s^{H-1}) V^T (smooth for H >= 2)."""
    H = len(Ws)
    acts = [X]
    for W in Ws:
        acts.append(acts[-1] @ W.T)
    if not all(np.isfinite(W).all() for W in Ws) or not np.isfinite(acts[-1]).all():
        # a step overflowed: no SVD of non-finite data; the callers back off or raise DivergenceError
        return float("inf"), [np.full_like(W, np.nan) for W in Ws]
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
) -> LocalTrainResult:
    r"""Non-convex baseline: minimise ``P(W)`` (survey eq. 2) directly over the factors from a random init.

    ``method="lbfgs"`` uses SciPy's L-BFGS-B; ``method="gd"`` is gradient descent with Armijo backtracking
    (starting from ``lr``, default ``1 / ||X||_2^2``; each step is accepted only if it decreases ``P``).
    Initial weights are Gaussian with standard deviation ``init_scale / sqrt(d_{i-1})`` (seeded by ``seed``).
    Every returned value is ``>= P*`` of :func:`solve` up to rounding; use it to see how far a local method
    gets from the certified optimum.

    Args:
        X: inputs, shape ``(n, d0)``.
        Y: targets, shape ``(n, dH)``; a 1-D target is one output column ``(n, 1)``.
        depth: number of weight matrices ``H >= 2``.
        gamma: regularisation weight, finite, ``>= 0``.
        widths: hidden widths ``(d_1, ..., d_{H-1})``; default ``min(d0, dH, n)`` each.
        method: ``"lbfgs"`` or ``"gd"``.
        max_iter: maximum iterations (``0 <= max_iter <= 2**31 - 1``).
        lr: initial step of ``method="gd"`` (``> 0``).
        init_scale: scale of the Gaussian initialisation (``> 0``).
        seed: seed of the initialisation (``>= 0``).
        tol: relative-decrease stopping tolerance (``>= 0``).

    Returns:
        :class:`LocalTrainResult` (also reachable under its former name ``TrainResult``).

    Raises:
        InputError / InputTypeError: invalid arguments (the message names the argument), including data
            whose scale float64 cannot carry: ``||Y||_F^2`` outside float64's normal range, or subnormal
            data (docs/linear.md#scale).
        DivergenceError: the objective or its gradient became non-finite (the message names the iteration).
    """
    Xa, Ya = _data(X, Y)
    H = _depth(depth)
    g = _gamma(gamma)
    ws = _widths(widths, H, Xa, Ya)
    meth = as_choice(method, "method", ("lbfgs", "gd"))
    iters = as_int(max_iter, "max_iter", minimum=0, maximum=INT_MAX)
    _check_scale(Xa, Ya)
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
                with np.errstate(over="ignore", invalid="ignore"):
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
    if not np.isfinite(final):
        raise DivergenceError(f"train_gd ({meth}) produced a non-finite objective at iteration {n_it}")
    return LocalTrainResult(
        weights=[np.ascontiguousarray(W) for W in Ws],
        losses=np.asarray(losses, dtype=float),
        final_value=float(final),
        iterations=n_it,
        method=meth,
        seed=sd,
    )
