"""The non-convex baseline of lens 1: local training of the factorised primal (L-BFGS or GD)."""

from __future__ import annotations

from typing import Any, List, Optional, Sequence, Tuple

import numpy as np

from .._errors import DivergenceError, InputTypeError
from .._validate import as_choice, as_int, as_real
from ._inputs import INT_MAX, _check_scale, _data, _depth, _gamma, _widths
from ._results import LocalTrainResult


def _objective_and_grad(
    Ws: List[np.ndarray], X: np.ndarray, Y: np.ndarray, gamma: float, constant: float = 0.0
) -> Tuple[float, List[np.ndarray]]:
    """P(W) + ``constant`` and its gradient; an overflowing trial step gives ``inf`` (the callers back off or
    raise)."""
    with np.errstate(over="ignore", invalid="ignore"):
        value, grads = _objective_and_grad_impl(Ws, X, Y, gamma)
        return value + constant, grads


def _schatten_power_and_grad(A: np.ndarray, H: int) -> Tuple[float, np.ndarray]:
    r"""``||A||_{S_H}^H = sum_i sigma_i(A)^H`` and its gradient ``H U diag(s^{H-1}) V^T``.

    For even ``H`` this is ``tr((A^T A)^{H/2})`` with gradient ``H A (A^T A)^{H/2 - 1}`` (matrix products on
    the smaller Gram side, no SVD); for odd ``H`` it takes the SVD ``A = U diag(s) V^T``.
    """
    if H % 2 == 0:
        if A.shape[0] >= A.shape[1]:
            G = A.T @ A
            P = np.linalg.matrix_power(G, H // 2 - 1)
            return float(np.trace(P @ G)), H * (A @ P)
        G = A @ A.T
        P = np.linalg.matrix_power(G, H // 2 - 1)
        return float(np.trace(P @ G)), H * (P @ A)
    U, s, Vt = np.linalg.svd(A, full_matrices=False)
    return float(np.sum(s**H)), H * (U * s ** (H - 1)) @ Vt


def _objective_and_grad_impl(
    Ws: List[np.ndarray], X: np.ndarray, Y: np.ndarray, gamma: float
) -> Tuple[float, List[np.ndarray]]:
    """P(W) (survey eq. 2) and its gradient by back-propagation through the layers.

    ``d/dA (1/H)||A||_{S_H}^H = U diag(s^{H-1}) V^T`` (smooth for ``H >= 2``); the first penalty acts on the
    first layer's output ``X W_1^T``, so its gradient enters the back-propagated signal before ``W_1``.
    """
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
            pen, dpen = _schatten_power_and_grad(acts[1], H)
            value += gamma / H * pen
            G = G + (gamma / H) * dpen
            grads[0] = G.T @ A_in
        else:
            pen, dpen = _schatten_power_and_grad(Ws[i], H)
            value += gamma / H * pen
            grads[i] = G.T @ A_in + (gamma / H) * dpen
            G = G @ Ws[i]
    return value, grads


def _reduce_rows(X: np.ndarray, Y: np.ndarray) -> Tuple[np.ndarray, np.ndarray, float]:
    r"""An equivalent problem with at most ``d0`` rows: ``X = Q R`` (economic QR) gives

    ``1/2||Y - X M||^2 = 1/2||Q^T Y - R M||^2 + 1/2||(I - Q Q^T) Y||^2``
    (Pythagoras, docs/linear.md#closed-form) and ``sigma(X W_1^T) = sigma(R W_1^T)``,

    so ``P(W)`` on ``(X, Y)`` equals ``P(W)`` on ``(R, Q^T Y)`` plus the constant, with the same gradient in
    every ``W_i`` (docs/linear.md#primal).  Used when ``n > d0``; otherwise the data is returned unchanged.
    """
    n, d0 = X.shape
    if n <= d0:
        return X, Y, 0.0
    Q, R = np.linalg.qr(X)
    Yr = Q.T @ Y
    resid = Y - Q @ Yr
    return np.ascontiguousarray(R), np.ascontiguousarray(Yr), 0.5 * float(np.vdot(resid, resid))


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
    grad_tol: float = 0.0,
    progress: bool = False,
) -> LocalTrainResult:
    r"""Non-convex baseline: minimise ``P(W)`` (survey eq. 2) directly over the factors from a random init.

    ``method="lbfgs"`` uses SciPy's L-BFGS-B; ``method="gd"`` is gradient descent with Armijo backtracking
    (starting from ``lr``, default ``1 / ||X||_2^2``; each step is accepted only if it decreases ``P``).
    Initial weights are Gaussian with standard deviation ``init_scale / sqrt(d_{i-1})`` (seeded by ``seed``).
    Every returned value is ``>= P*`` of :func:`solve` up to rounding; use it to see how far a local method
    gets from the certified optimum.

    A run stops at the first of: the stationarity test ``||grad P(W)||_F <= grad_tol * max(1, P(W))``
    (status ``"converged"``), a relative decrease ``(P_j - P_{j+1}) / max(1, |P_j|) <= tol`` or a failed line
    search (status ``"stalled"``), or ``max_iter`` (status ``"max_iter"``).  The final gradient norm is
    always reported (``grad_norm``), so a run that stops above ``P*`` can be told apart as a stationary point
    (small ``grad_norm``) or an unfinished run.

    With ``n > d0`` the work is done on the equivalent ``d0``-row problem ``(R, Q^T Y)`` of the QR
    factorisation ``X = Q R`` (the objective differs by the constant ``1/2||(I - Q Q^T) Y||^2``, the
    gradients are identical), and for even ``H`` the Schatten penalty ``tr((A^T A)^{H/2})`` needs no SVD.

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
        grad_tol: relative gradient-norm stopping tolerance (``>= 0``; 0 switches the test off).
        progress: show a tqdm bar over the iterations (stderr).

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
    gtol_ = as_real(grad_tol, "grad_tol", minimum=0.0)
    if not isinstance(progress, (bool, np.bool_)):
        raise InputTypeError(f"progress must be a bool, got {progress!r}")
    dims = (Xa.shape[1], *ws, Ya.shape[1])
    rng = np.random.default_rng(sd)
    Ws = [rng.standard_normal((dims[i + 1], dims[i])) * (scale / np.sqrt(dims[i])) for i in range(H)]
    shapes = [W.shape for W in Ws]
    sizes = [W.size for W in Ws]
    Xr, Yr, const = _reduce_rows(Xa, Ya)
    if meth == "gd":  # ||X||_2 = ||R||_2
        step = (
            as_real(lr, "lr", minimum=0.0, strict_min=True)
            if lr is not None
            else 1.0 / max(np.linalg.norm(Xr, 2) ** 2, 1e-300)
        )

    def unpack(theta: np.ndarray) -> List[np.ndarray]:
        out, pos = [], 0
        for shp, sz in zip(shapes, sizes):
            out.append(theta[pos : pos + sz].reshape(shp))
            pos += sz
        return out

    def pack(mats: List[np.ndarray]) -> np.ndarray:
        return np.concatenate([m.ravel() for m in mats])

    def grad_norm(grads: List[np.ndarray]) -> float:
        return float(np.sqrt(sum(float(np.vdot(G, G)) for G in grads)))

    def stationary(value: float, gnorm: float) -> bool:
        return gtol_ > 0.0 and gnorm <= gtol_ * max(1.0, abs(value))

    from tqdm.auto import tqdm

    bar = tqdm(total=iters, desc=f"train_gd ({meth})", disable=not progress, leave=False, dynamic_ncols=True)
    value, grads = _objective_and_grad(Ws, Xr, Yr, g, const)
    losses = [value]
    status = "max_iter"
    n_it = 0
    try:
        if stationary(value, grad_norm(grads)):
            status = "converged"
        elif meth == "lbfgs" and iters > 0:
            from scipy.optimize import minimize

            last = {"theta": None, "value": value, "gnorm": np.inf}

            def fun(theta: np.ndarray) -> Tuple[float, np.ndarray]:
                v, gr = _objective_and_grad(unpack(theta), Xr, Yr, g, const)
                flat = pack(gr)
                last.update(theta=theta.copy(), value=v, gnorm=float(np.linalg.norm(flat)))
                return v, flat

            def callback(theta: np.ndarray) -> None:
                if last["theta"] is None or not np.array_equal(theta, last["theta"]):
                    fun(theta)
                losses.append(last["value"])
                bar.update(1)
                if stationary(last["value"], last["gnorm"]):
                    raise StopIteration

            try:
                res = minimize(
                    fun,
                    pack(Ws),
                    jac=True,
                    method="L-BFGS-B",
                    callback=callback,
                    options={"maxiter": iters, "ftol": tol_, "gtol": 0.0, "maxcor": 20},
                )
                Ws = unpack(res.x)
            except StopIteration:  # SciPy < 1.11 lets the callback's StopIteration through
                Ws = unpack(last["theta"])
            n_it = len(losses) - 1
        elif meth == "gd":
            for _ in range(iters):
                gn2 = sum(float(np.vdot(G, G)) for G in grads)
                if gn2 == 0.0:
                    break
                while True:
                    with np.errstate(over="ignore", invalid="ignore"):
                        trial = [W - step * G for W, G in zip(Ws, grads)]
                    tv, tg = _objective_and_grad(trial, Xr, Yr, g, const)
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
                bar.update(1)
                if stationary(value, grad_norm(grads)) or improvement <= tol_ * max(1.0, abs(value)):
                    break
            if not np.isfinite(value):
                raise DivergenceError(f"train_gd produced a non-finite objective at iteration {n_it}")
    finally:
        bar.close()
    final, final_grads = _objective_and_grad(Ws, Xr, Yr, g, const)
    if not np.isfinite(final):
        raise DivergenceError(f"train_gd ({meth}) produced a non-finite objective at iteration {n_it}")
    gnorm = grad_norm(final_grads)
    if stationary(final, gnorm):
        status = "converged"
    elif n_it < iters:
        status = "stalled"
    return LocalTrainResult(
        weights=[np.ascontiguousarray(W) for W in Ws],
        losses=np.asarray(losses, dtype=float),
        final_value=float(final),
        iterations=n_it,
        method=meth,
        seed=sd,
        grad_norm=gnorm,
        status=status,
    )
