"""Lens 2: the shallow ReLU neuron and its convex relaxation (Ergen & Pilanci 2019; SPEC section 3).

For data ``X`` (n, d) with samples as rows, labels ``y`` (n,) and a weight ``w`` (d,) (the flattened weight of
``torch.nn.Linear(d, 1, bias=False)``), with ``z = X w``:

* ``L(w)   = ||relu(z) - y||^2``                         (survey eq. 5/7, un-normalised sum)
* ``L_r(w) = ||relu(z)||^2 - 2 y^T z + ||y||^2``          (survey eq. 8, convex)
* ``L_r(w) - L(w) = 2 y^T relu(-z)``                      (exact identity; ``L_r >= L`` when ``y >= 0``)
* ``grad L(w)   = 2 X^T [1[z >= 0] o (relu(z) - y)]``     (``strict=True``: ``1[z > 0]``, as autodiff gives)
* ``grad L_r(w) = 2 X^T (relu(z) - y)``

**Exactness (SPEC 3.3).**  ``argmin L_r = argmin L`` holds when the labels are exactly realizable,
``y = relu(X w*)``; the minimiser is unique when the positive-label rows span R^d.  The survey states it more
generally; that is false: with non-negative non-realizable labels (``X = [[1], [-1]], y = (1, 1)``), with
noise, and with negative labels (``L_r`` may be unbounded below) the two problems differ.

Shapes (SPEC 3.1): one problem, or B runs sharing ``X`` (``W`` (B, d), ``y`` (n,) or (n, B)) in :func:`gd`;
B problems with their own data (``X`` (B, n, d), ``Y`` (B, n)) in :func:`gd_stacked`.

A bias is an explicit constant-1 column of ``X`` (:func:`add_bias_column`), never implicit.
float64 by default; float32 data is kept end to end in :func:`gd`: the core multiplies in float32 and keeps
partial sums in float32 only over at most 128 features or 512 samples, accumulating in float64 beyond that;
the weights are iterated in float64 and returned in float32.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass
from typing import Any, Optional, Tuple, Union

import numpy as np

from . import _core
from ._cuda import resolve_device
from ._errors import DivergenceError, InputError
from ._relu_cuda import relu_gd_cuda
from ._relu_guards import polish_vanilla, positive_rank, unbounded_direction
from ._relu_stacked import gd_stacked
from ._validate import as_array, as_choice, as_int, as_real, same_rows

__all__ = [
    "loss",
    "relaxed_loss",
    "gradient",
    "gd",
    "gd_stacked",
    "GDResult",
    "newton",
    "NewtonResult",
    "planted",
    "Planted",
    "add_bias_column",
    "default_step",
    "lambda_max",
    "unbounded_direction",
    "RelaxationWarning",
]

_POWER_ITERS = 100
_STEP_MARGIN = 1.01


class RelaxationWarning(UserWarning):
    """A guard of SPEC 3.6 fired: the exactness theorem does not apply, or the minimiser is not unique."""


# ---------------------------------------------------------------------------------------------- inputs


def _data(X: Any, y: Any, *, allow_float32: bool, y_name: str = "y", x_name: str = "X", finite: bool = True):
    # finite=False: the core checks NaN/Inf itself (one pass over X instead of two for large data).
    Xa = as_array(X, x_name, 2, allow_float32=allow_float32, finite=finite)
    ya = as_array(y, y_name, (1, 2), allow_float32=allow_float32, finite=finite)
    same_rows((x_name, Xa), (y_name, ya))
    if ya.dtype != Xa.dtype:
        ya = ya.astype(Xa.dtype)
    return Xa, ya


def _weights(w: Any, d: int, name: str = "w") -> Tuple[np.ndarray, bool]:
    wa = as_array(w, name, (1, 2), allow_float32=True)
    single = wa.ndim == 1
    W = np.ascontiguousarray(wa.reshape(1, -1) if single else wa, dtype=np.float64)
    if W.shape[1] != d:
        raise InputError(
            f"{name} must have d = {d} entries per row (X has {d} columns), got shape {wa.shape}"
        )
    return W, single


def _check_labels_for(W: np.ndarray, y: np.ndarray, name: str = "y") -> None:
    if y.ndim == 2 and y.shape[1] != W.shape[0]:
        raise InputError(
            f"{name} of shape {y.shape} has {y.shape[1]} columns; it must be (n,) or (n, B) with "
            f"B = {W.shape[0]} rows of the weights"
        )


def _suffix(X: np.ndarray) -> str:
    return "f32" if X.dtype == np.float32 else "f64"


def _evaluate(w: Any, X: Any, y: Any, *, want_gradient: bool, relaxed: bool, strict: bool):
    Xa, ya = _data(X, y, allow_float32=True, finite=False)
    W, single = _weights(w, Xa.shape[1])
    _check_labels_for(W, ya)
    fn = getattr(_core, f"relu_losses_{_suffix(Xa)}")
    L, Lr, G = fn(Xa, ya, W, want_gradient, relaxed, strict)
    return np.asarray(L), np.asarray(Lr), (None if G is None else np.asarray(G)), single, Xa.dtype


def loss(w: Any, X: Any, y: Any) -> Union[float, np.ndarray]:
    """``L(w) = ||relu(X w) - y||^2`` (un-normalised sum, survey eq. 5/7).

    ``w`` is (d,) -> a float, or (B, d) -> an array (B,) with one value per row; ``y`` is (n,) or (n, B).
    """
    L, _, _, single, _ = _evaluate(w, X, y, want_gradient=False, relaxed=False, strict=False)
    return float(L[0]) if single else L


def relaxed_loss(w: Any, X: Any, y: Any) -> Union[float, np.ndarray]:
    """``L_r(w) = ||relu(X w)||^2 - 2 y^T X w + ||y||^2`` (survey eq. 8), convex in ``w``.

    Equal to ``L(w) + 2 y^T relu(-X w)``.  Shapes as in :func:`loss`.
    """
    _, Lr, _, single, _ = _evaluate(w, X, y, want_gradient=False, relaxed=True, strict=False)
    return float(Lr[0]) if single else Lr


def gradient(w: Any, X: Any, y: Any, relaxed: bool = False, strict: bool = False) -> np.ndarray:
    """(Sub)gradient of ``L`` (``relaxed=False``) or ``L_r`` (``relaxed=True``), SPEC 3.2.

    ``grad L = 2 X^T [D (relu(Xw) - y)]`` with ``D = diag(1[Xw >= 0])`` (the survey's convention; with it
    GD from ``w = 0`` moves), or ``1[Xw > 0]`` with ``strict=True`` (what autodiff frameworks give).
    ``grad L_r = 2 X^T (relu(Xw) - y)``.  Returns (d,) for ``w`` (d,), (B, d) for ``w`` (B, d), in float64.
    """
    relaxed = _flag(relaxed, "relaxed")
    strict = _flag(strict, "strict")
    _, _, G, single, _ = _evaluate(w, X, y, want_gradient=True, relaxed=relaxed, strict=strict)
    return G[0] if single else G


def _flag(value: Any, name: str) -> bool:
    if not isinstance(value, (bool, np.bool_)):
        from ._errors import InputTypeError

        raise InputTypeError(f"{name} must be a bool, got {value!r}")
    return bool(value)


def add_bias_column(X: Any) -> np.ndarray:
    """``[X, 1]``: append a constant-1 column (the explicit bias of SPEC 3.1); dtype preserved."""
    Xa = as_array(X, "X", 2, allow_float32=True)
    return np.ascontiguousarray(np.hstack([Xa, np.ones((Xa.shape[0], 1), dtype=Xa.dtype)]))


def lambda_max(X: Any, iters: int = _POWER_ITERS) -> float:
    """``lambda_max(X^T X)`` estimated by ``iters`` power iterations (GEMV only; slightly underestimates)."""
    Xa = as_array(X, "X", 2, allow_float32=True)
    iters = as_int(iters, "iters", minimum=1)
    return float(getattr(_core, f"relu_power_lambda_{_suffix(Xa)}")(Xa, iters))


def default_step(X: Any) -> float:
    """The default GD step ``1 / (2 * 1.01 * lambda^)``, ``lambda^`` from 100 power iterations on ``X^T X``.

    With the un-normalised sum and its gradient ``2 X^T(...)``, ``L_r`` is ``2 lambda_max``-smooth, so GD
    on ``L_r`` is stable for ``step < 1 / lambda_max``; ``1 / (2.02 lambda^)`` is the classical
    ``1 / smoothness`` step with a 1% margin for the power method's underestimate.  It equals SPEC 3.4's
    ``eta = 1 / (1.01 lambda^)`` in the convention where the factor 2 is absorbed into ``eta``.  Inside each
    activation cell vanilla ``L`` has curvature ``2 X^T D X``, bounded by the same constant, so the step is
    also safe there (``L`` is not smooth across cells; there is no global guarantee for vanilla GD).
    """
    return _default_step(as_array(X, "X", 2, allow_float32=True))


def _default_step(Xa: np.ndarray) -> float:
    lam = float(getattr(_core, f"relu_power_lambda_{_suffix(Xa)}")(Xa, _POWER_ITERS))  # checks NaN/Inf
    if not lam > 0:
        raise InputError("X is zero: lambda_max(X^T X) = 0, no step size can be derived; pass step=")
    return 1.0 / (2.0 * _STEP_MARGIN * lam)


# ---------------------------------------------------------------------------------------------- GD


@dataclass(frozen=True)
class GDResult:
    """Result of :func:`gd` (B runs; T recorded iterations).

    Attributes:
        W: final weights (B, d) ((d,) if ``W0`` was 1-D), dtype of ``X``.  A diverged run keeps its last
            finite iterate.
        train_loss: (T, B) train MSE ``L(w)/n`` at ``iterations`` (NaN after a run diverged).
        test_loss: (T, B) test MSE against ``y_test``, or None.
        recovery_error: (T, B) ``||w - w*|| / ||w*||``, or None.
        diverged: (B,) bool, the run's loss became non-finite or exploded (> 1e30 x its start).
        stationary: (B,) bool, vanilla runs only: Gauss-Newton polishing from the final ``w`` lands on a
            stationary point of ``L`` whose loss is above the best one found (other runs and the polished
            minimiser of ``L_r``), i.e. the run is trapped at a stationary point that is not a global minimum.
            False for relaxed runs (``L_r`` is convex) and when ``classify=False``.
        iterations: (T,) iteration numbers of the history rows (0, record_every, ...).
        diverged_at: (B,) iteration where the run diverged, -1 otherwise.
        step: the step used; ``relaxed``: which objective; ``kernel``: the core kernel used.
    """

    W: np.ndarray
    train_loss: np.ndarray
    test_loss: Optional[np.ndarray]
    recovery_error: Optional[np.ndarray]
    diverged: np.ndarray
    stationary: np.ndarray
    iterations: np.ndarray
    diverged_at: np.ndarray
    step: float
    relaxed: bool
    kernel: str


def gd(
    X: Any,
    y: Any,
    W0: Any,
    step: Optional[float] = None,
    iters: int = 1000,
    relaxed: bool = False,
    X_test: Any = None,
    y_test: Any = None,
    w_star: Any = None,
    record_every: int = 1,
    *,
    strict: bool = False,
    on_divergence: str = "raise",
    classify: bool = True,
    kernel: str = "auto",
    check: bool = True,
    device: str = "cpu",
) -> GDResult:
    """B independent full-batch gradient-descent runs on ``L`` or ``L_r`` at once, in C++ (SPEC 3.4).

    Update: ``w <- w - step * grad`` with ``grad`` the gradient of the un-normalised sum (factor 2 included,
    see :func:`gradient`), for every row of ``W0`` (B, d) simultaneously; ``y`` is (n,) (shared) or (n, B)
    (column b is run b's labels).  ``step=None`` uses :func:`default_step` ``1 / (2.02 lambda^)``, with
    which relaxed GD converges on any data where ``L_r`` is bounded below.  Histories are recorded every
    ``record_every`` iterations (and at 0).

    Args:
        X_test, y_test: held-out data for ``test_loss`` (both or neither).
        w_star: (d,) or (B, d) planted weights for ``recovery_error``.
        strict: vanilla mask ``1[z > 0]`` instead of ``1[z >= 0]``.
        on_divergence: "raise" (:class:`convexify.DivergenceError` naming the runs and iteration),
            "warn" or "flag" (only ``diverged`` in the result).
        classify: compute ``stationary`` for vanilla runs (Gauss-Newton polishing in numpy, O(B n d^2)).
        kernel: core kernel, "auto", "fused" or "gemm" (all give the same numbers up to round-off).
            "gemm" uses SciPy's BLAS (sgemm/dgemm) when available, else Eigen's GEMM; "auto" picks the
            fused single pass, except float32 data with ``B >= 64`` below the AVX-512 level (see
            :func:`convexify.get_simd_level`), where the BLAS GEMM pair measured faster.
        check: run the guards of SPEC 3.6 (negative labels, unbounded ``L_r``, ``rank(X_+) < d``).
        device: "cpu" (default), "cuda" (the optional CUDA kernels: data stay on the GPU for the whole run,
            only histories come back; ``RuntimeError`` saying why when no GPU or CUDA build is usable) or
            "auto" (CUDA when usable, else CPU).  On the GPU divergence is detected at recorded iterations.

    Guards (warnings, :class:`RelaxationWarning`): ``relaxed=True`` with negative labels ("the exactness
    theorem does not apply"), ``L_r`` unbounded below (LP test; GD then runs off to infinity), and
    positive-label rows not spanning R^d (the minimiser is not unique).
    """
    Xa, ya = _data(X, y, allow_float32=True, finite=False)
    n, d = Xa.shape
    W, single = _weights(W0, d, "W0")
    _check_labels_for(W, ya)
    B = W.shape[0]
    iters = as_int(iters, "iters", minimum=0)
    record_every = as_int(record_every, "record_every", minimum=1)
    relaxed = _flag(relaxed, "relaxed")
    strict = _flag(strict, "strict")
    classify = _flag(classify, "classify")
    on_divergence = as_choice(on_divergence, "on_divergence", ("raise", "warn", "flag"))
    kernel = as_choice(kernel, "kernel", ("auto", "fused", "gemm"))
    if step is None:
        step = _default_step(Xa)
    else:
        step = as_real(step, "step", minimum=0.0, strict_min=True)
    if (X_test is None) != (y_test is None):
        raise InputError("X_test and y_test must be given together (one of them is None)")
    Xt = yt = None
    if X_test is not None:
        Xt, yt = _data(X_test, y_test, allow_float32=True, x_name="X_test", y_name="y_test", finite=False)
        if Xt.shape[1] != d:
            raise InputError(f"X_test must have d = {d} columns like X, got shape {Xt.shape}")
        Xt, yt = Xt.astype(Xa.dtype, copy=False), yt.astype(Xa.dtype, copy=False)
        _check_labels_for(W, yt, "y_test")
    star = None
    if w_star is not None:
        star = as_array(w_star, "w_star", (1, 2), allow_float32=True).astype(np.float64)
        star = np.ascontiguousarray(star.reshape(1, -1) if star.ndim == 1 else star)
        if star.shape[1] != d or star.shape[0] not in (1, B):
            raise InputError(f"w_star must be (d,) or (B, d) = ({B}, {d}), got shape {star.shape}")
        if np.any(np.linalg.norm(star, axis=1) == 0):
            raise InputError("w_star must be non-zero (the recovery error divides by ||w*||)")
    if resolve_device(device) == "cuda":
        if not np.isfinite(Xa).all():
            raise InputError("X contains NaN or Inf")
        out = relu_gd_cuda(Xa, ya, W, step, iters, relaxed, strict, record_every, Xt, yt, star)
    else:
        fn = getattr(_core, f"relu_gd_{_suffix(Xa)}")
        out = fn(Xa, ya, W, step, iters, relaxed, strict, record_every, Xt, yt, star, kernel)
    if check:  # after the core has checked the data for NaN/Inf; warnings before any DivergenceError
        _guards(Xa, ya, relaxed, exact_solver=False)
    diverged = np.asarray(out["diverged"], dtype=bool)
    diverged_at = np.asarray(out["diverged_at"], dtype=np.int64)
    if diverged.any() and on_divergence != "flag":
        runs = np.flatnonzero(diverged)
        msg = (
            f"gd diverged in {runs.size} of {B} runs (first: run {runs[0]} at iteration "
            f"{diverged_at[runs[0]]}) with step={step:.6g}; the default step 1/(2.02 lambda^) converges"
        )
        if on_divergence == "raise":
            raise DivergenceError(msg)
        warnings.warn(msg, RuntimeWarning, stacklevel=2)
    Wout = np.asarray(out["W"]).astype(Xa.dtype)
    stationary = np.zeros(B, dtype=bool)
    if classify and not relaxed:
        stationary = _classify(
            np.asarray(Xa, dtype=np.float64), np.asarray(ya, dtype=np.float64), Wout, diverged
        )
    T = iters // record_every + 1
    return GDResult(
        W=Wout[0] if single else Wout,
        train_loss=np.asarray(out["train_loss"]),
        test_loss=None if out["test_loss"] is None else np.asarray(out["test_loss"]),
        recovery_error=None if out["recovery_error"] is None else np.asarray(out["recovery_error"]),
        diverged=diverged,
        stationary=stationary,
        iterations=np.arange(T, dtype=np.int64) * record_every,
        diverged_at=diverged_at,
        step=float(step),
        relaxed=relaxed,
        kernel=str(out["kernel"]),
    )


def _guards(X: np.ndarray, y: np.ndarray, relaxed: bool, exact_solver: bool) -> None:
    """SPEC 3.6 guards for every label column; warnings, or InputError for the exact solver."""
    Y = y.reshape(y.shape[0], -1)
    Xd = np.asarray(X, dtype=np.float64)
    rank_budget = 2e9
    for b in range(Y.shape[1]):
        col = np.asarray(Y[:, b], dtype=np.float64)
        if b > 0 and np.array_equal(col, Y[:, 0]):
            continue
        where = "" if Y.shape[1] == 1 else f" (label column {b})"
        if relaxed and np.any(col < 0):
            v = unbounded_direction(Xd, col)
            if v is not None:
                msg = (
                    f"L_r is unbounded below{where}: v with X v <= 0 and "
                    f"y^T X v = {float(col @ (Xd @ v)):.3g} > 0 exists (negative labels, SPEC 3.3)"
                )
                if exact_solver:
                    raise InputError("y: " + msg + "; the relaxed problem has no minimiser")
                warnings.warn(msg + "; relaxed GD will run off to infinity", RelaxationWarning, stacklevel=3)
            else:
                warnings.warn(
                    f"y has negative labels{where}: the exactness theorem does not apply (it needs y >= 0; "
                    "argmin L_r may differ from argmin L, SPEC 3.3)",
                    RelaxationWarning,
                    stacklevel=3,
                )
        n_plus, rank = positive_rank(Xd, col, max_flops=rank_budget)
        if rank is not None and rank < X.shape[1]:
            warnings.warn(
                f"only rank(X_+) = {rank} < d = {X.shape[1]} among the n_+ = {n_plus} positive-label samples"
                f"{where}: the minimiser is not unique (w* is not identifiable, SPEC 3.3)",
                RelaxationWarning,
                stacklevel=3,
            )
        if Y.shape[1] > 16:
            rank_budget = 0  # many problems: only the cheap n_+ < d test for the other columns


def _classify(X: np.ndarray, y: np.ndarray, W: np.ndarray, diverged: np.ndarray) -> np.ndarray:
    """``stationary`` flags of :class:`GDResult` (SPEC 3.6, last item)."""
    B = W.shape[0]
    Y = y.reshape(y.shape[0], -1)
    flags = np.zeros(B, dtype=bool)
    polished = []
    for b in range(B):
        if diverged[b]:
            polished.append(None)
            continue
        col = Y[:, 0] if Y.shape[1] == 1 else Y[:, b]
        polished.append((col,) + polish_vanilla(X, col, np.asarray(W[b], dtype=np.float64)))
    groups = {}
    for b, p in enumerate(polished):
        if p is not None:
            groups.setdefault(0 if Y.shape[1] == 1 else b, []).append(b)
    for members in groups.values():
        col = polished[members[0]][0]
        scale = max(1.0, float(np.linalg.norm(X.T @ col)))
        best = min(polished[b][2] for b in members)
        if np.all(col >= 0):
            try:
                ref = _core.relu_newton(X, col, np.zeros(X.shape[1]), 1e-10, 100)
                _, f_ref, _ = polish_vanilla(X, col, np.asarray(ref["w"]))
                best = min(best, f_ref)
            except Exception:  # pragma: no cover - a reference only
                pass
        ynorm2 = float(col @ col)
        for b in members:
            _, _, f, g = polished[b]
            flags[b] = g <= 1e-6 * scale and f > best * (1 + 1e-6) + 1e-12 * ynorm2
    return flags


# ---------------------------------------------------------------------------------------------- Newton


@dataclass(frozen=True)
class NewtonResult:
    """Result of :func:`newton` (the exact minimiser of the convex ``L_r``).

    Attributes:
        w: (d,) the minimiser.
        iterations: Newton iterations taken.
        gradient_norm: certificate ``||g(w)||``, ``g = X^T (relu(Xw) - y)`` (half-gradient of ``L_r``).
        tolerance: the stopping threshold ``tol * max(1, ||X^T y||)``.
        converged: ``gradient_norm <= tolerance``; ``status``: "converged", "max_iter", "line_search_failed".
        relaxed_loss, loss: ``L_r(w)`` and ``L(w)``.
        dual_bound: ``||y||^2 - ||relu(Xw)||^2``, the Fenchel-dual lower bound on ``min L_r`` given by
            ``v = relu(Xw)`` (exactly feasible when ``g(w) = 0``; SPEC 3.6).
        duality_gap: ``L_r(w) - dual_bound = 2 w^T g(w)``.
        n_positive, rank_positive: ``n_+ = #{y_i > 0}`` and ``rank(X_+)`` (None if too costly).
        global_minimiser_of_L: the realizable certificate of SPEC 3.6: ``L(w) <= 1e-12 ||y||^2`` and
            ``rank(X_+) = d``, so ``w`` is the unique global minimiser of the non-convex ``L`` too.
        history: ``||g||`` per iteration (entry 0 at ``w0``).
    """

    w: np.ndarray
    iterations: int
    gradient_norm: float
    tolerance: float
    converged: bool
    status: str
    relaxed_loss: float
    loss: float
    dual_bound: float
    duality_gap: float
    n_positive: int
    rank_positive: Optional[int]
    global_minimiser_of_L: bool
    history: np.ndarray


def newton(
    X: Any, y: Any, w0: Any = None, tol: float = 1e-10, max_iter: int = 100, check: bool = True
) -> NewtonResult:
    """Exact minimiser of the convex, piecewise-quadratic ``L_r`` by semismooth Newton (SPEC 3.5).

    With ``g(w) = X^T (relu(Xw) - y)`` and the active set ``A = {z > 0} U {z = 0, y > 0}``, the step solves
    ``(X_A^T X_A + eps I) s = -g`` (``eps = 1e-12 max(1, ||X||_F^2 / d)``) with Armijo backtracking on
    ``L_r``; it stops when ``||g|| <= tol * max(1, ||X^T y||)``.  From ``w0 = 0`` the first step is least
    squares on the positive-label samples, so on realizable data whose positive rows span R^d it lands on
    ``w*`` in one step.  Runs in float64.

    Raises :class:`convexify.InputError` when ``L_r`` is unbounded below (LP test of SPEC 3.6, only possible
    with negative labels); warns (:class:`RelaxationWarning`) on negative labels and when ``rank(X_+) < d``.
    """
    Xa, ya = _data(X, y, allow_float32=True)
    if ya.ndim != 1:
        raise InputError(f"y must be 1-D (n,) for newton, got shape {ya.shape}")
    Xa = np.ascontiguousarray(Xa, dtype=np.float64)
    ya = np.ascontiguousarray(ya, dtype=np.float64)
    d = Xa.shape[1]
    if w0 is None:
        w = np.zeros(d)
    else:
        w = as_array(w0, "w0", 1).astype(np.float64)
        if w.shape[0] != d:
            raise InputError(f"w0 must have d = {d} entries, got shape {w.shape}")
    tol = as_real(tol, "tol", minimum=0.0, strict_min=True)
    max_iter = as_int(max_iter, "max_iter", minimum=0)
    if check:
        _guards(Xa, ya, relaxed=True, exact_solver=True)
    out = _core.relu_newton(Xa, ya, np.ascontiguousarray(w), tol, max_iter)
    n_plus, rank = positive_rank(Xa, ya)
    Lw = float(out["loss"])
    return NewtonResult(
        w=np.asarray(out["w"]),
        iterations=int(out["iterations"]),
        gradient_norm=float(out["gradient_norm"]),
        tolerance=float(out["tolerance"]),
        converged=bool(out["converged"]),
        status=str(out["status"]),
        relaxed_loss=float(out["relaxed_loss"]),
        loss=Lw,
        dual_bound=float(out["dual_bound"]),
        duality_gap=float(out["duality_gap"]),
        n_positive=n_plus,
        rank_positive=rank,
        global_minimiser_of_L=bool(rank == d and Lw <= 1e-12 * float(ya @ ya)),
        history=np.asarray(out["history"]),
    )


# ---------------------------------------------------------------------------------------------- data


@dataclass(frozen=True)
class Planted:
    """Planted-neuron data (SPEC 3.4): ``y = relu(X w*) + noise * N(0, 1)``, noiseless test labels.

    Attributes: ``X`` (n, d), ``y`` (n,), ``w_star`` (d,) unit norm, ``X_test`` (n_test, d), ``y_test``.
    """

    X: np.ndarray
    y: np.ndarray
    w_star: np.ndarray
    X_test: np.ndarray
    y_test: np.ndarray


def planted(
    n: int,
    d: int,
    noise: float = 0.0,
    mean: float = 0.0,
    seed: Optional[int] = None,
    n_test: int = 1000,
    *,
    distribution: str = "gaussian",
    bias: bool = False,
    w_star: Any = None,
    dtype: Any = np.float64,
) -> Planted:
    """Planted single-neuron data (SPEC 3.4).

    ``x ~ N(mean * 1, I_d)`` (``distribution="gaussian"``; ``mean=1`` is the non-centred regime where vanilla
    GD gets stuck) or ``U[0, 1]^d`` (``"uniform"``, positive orthant); ``w*`` uniform on the unit sphere (or
    given); ``y = relu(X w*) + noise * N(0, 1)``; test labels noiseless.  ``bias=True`` appends a constant-1
    column after drawing (``w*`` then has d + 1 entries).  ``seed``: int for reproducible data.
    """
    n = as_int(n, "n", minimum=1)
    d = as_int(d, "d", minimum=1)
    n_test = as_int(n_test, "n_test", minimum=1)
    noise = as_real(noise, "noise", minimum=0.0)
    mean = as_real(mean, "mean")
    distribution = as_choice(distribution, "distribution", ("gaussian", "uniform"))
    bias = _flag(bias, "bias")
    dt = np.dtype(dtype)
    if dt not in (np.float64, np.float32):
        raise InputError(f"dtype must be float64 or float32, got {dt}")
    if seed is not None:
        seed = as_int(seed, "seed", minimum=0)
    rng = np.random.default_rng(seed)
    dim = d + (1 if bias else 0)

    def draw(m: int) -> np.ndarray:
        if distribution == "gaussian":
            Z = rng.standard_normal((m, d)) + mean
        else:
            Z = rng.random((m, d))
        return np.hstack([Z, np.ones((m, 1))]) if bias else Z

    if w_star is None:
        ws = rng.standard_normal(dim)
        ws /= np.linalg.norm(ws)
    else:
        ws = as_array(w_star, "w_star", 1).astype(np.float64)
        if ws.shape[0] != dim:
            raise InputError(f"w_star must have {dim} entries, got shape {ws.shape}")
    X = draw(n)
    Xt = draw(n_test)
    y = np.maximum(X @ ws, 0.0) + noise * rng.standard_normal(n)
    yt = np.maximum(Xt @ ws, 0.0)
    c = np.ascontiguousarray
    return Planted(
        X=c(X, dtype=dt),
        y=c(y, dtype=dt),
        w_star=c(ws, dtype=dt),
        X_test=c(Xt, dtype=dt),
        y_test=c(yt, dtype=dt),
    )
