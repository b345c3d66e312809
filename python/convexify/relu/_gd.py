"""Batched gradient descent on L or L_r (many initialisations sharing X) and its result."""

from __future__ import annotations

import warnings
from dataclasses import dataclass
from typing import Any, Optional

import numpy as np

from .. import _core
from .._boundary import from_core
from .._cuda import resolve_device
from .._errors import ON_DIVERGENCE, DivergenceError, DivergenceWarning, InputError
from .._repr import CompactRepr
from .._validate import as_array, as_choice, as_int, as_real
from ._cuda import relu_gd_cuda
from ._guards import _guards, polish_vanilla
from ._inputs import _MAX_HISTORY, _MAX_ITERS, _check_labels_for, _data, _flag, _weights
from ._losses import _scaled_step
from ._scale import rescaling, scaled, times_power, weights_from_scaled, weights_to_scaled

# ---------------------------------------------------------------------------------------------- GD


@dataclass(frozen=True, repr=False)
class GDResult(CompactRepr):
    """Result of :func:`gd` (B runs; T recorded iterations).

    Built by ``_boundary.from_core`` from the core's ``_core.ReluGdResult`` (``W`` cast to the data's dtype;
    ``stationary``, ``step`` and ``relaxed`` computed or echoed in Python).

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
    """B independent full-batch gradient-descent runs on ``L`` or ``L_r`` at once, in C++ (docs/relu.md#gd).

    Update: ``w <- w - step * grad`` with ``grad`` the gradient of the un-normalised sum (factor 2 included,
    see :func:`gradient`), for every row of ``W0`` (B, d) simultaneously; ``y`` is (n,) (shared) or (n, B)
    (column b is run b's labels).  ``step=None`` uses :func:`default_step` ``1 / (2.02 lambda^)``, with
    which relaxed GD converges on any data where ``L_r`` is bounded below.  Histories are recorded every
    ``record_every`` iterations (and at 0).

    Args:
        X: data (n, d), float64 or float32 (float32 is kept end to end; the weights iterate in float64).
        y: labels, (n,) (shared by every run) or (n, B) (column b is run b's labels).
        W0: initial weights, (d,) (one run) or (B, d).
        step: step size ``> 0``; None: :func:`default_step`.
        iters: iterations, ``>= 0``.
        relaxed: run on ``L_r`` (survey eq. 8) instead of ``L`` (eq. 5/7).
        X_test, y_test: held-out data for ``test_loss`` (both or neither).
        w_star: (d,) or (B, d) planted weights for ``recovery_error``.
        record_every: record the histories every this many iterations (and at 0), ``>= 1``.
        strict: vanilla mask ``1[z > 0]`` instead of ``1[z >= 0]``.
        on_divergence: "raise" (:class:`convexify.DivergenceError` naming the runs and iteration),
            "warn" or "flag" (only ``diverged`` in the result).
        classify: compute ``stationary`` for vanilla runs (Gauss-Newton polishing in numpy, O(B n d^2)).
        kernel: core kernel, "auto", "fused" or "gemm" (all give the same numbers up to round-off).
            "gemm" uses SciPy's BLAS (sgemm/dgemm) when available, else Eigen's GEMM; "auto" picks the
            fused single pass, except float32 data with ``B >= 64`` below the AVX-512 level (see
            :func:`convexify.get_simd_level`), where the BLAS GEMM pair measured faster.
        check: run the guards of docs/relu.md#guards (negative labels, unbounded ``L_r``, ``rank(X_+) < d``).
        device: "cpu" (default), "cuda" (the optional CUDA kernels: data stay on the GPU for the whole run,
            only histories come back; ``RuntimeError`` saying why when no GPU or CUDA build is usable) or
            "auto" (CUDA when usable, else CPU).  On the GPU divergence is detected at recorded iterations.

    Guards (warnings, :class:`RelaxationWarning`): ``relaxed=True`` with negative labels ("the exactness
    theorem does not apply"), ``L_r`` unbounded below (LP test; GD then runs off to infinity), and
    positive-label rows not spanning R^d (the minimiser is not unique).

    Returns:
        A :class:`GDResult`: final ``W``, (T, B) histories at ``iterations``, divergence flags, the
        classification of vanilla end points, and the step, objective and kernel used.

    Raises:
        InputError: bad shapes or values (naming the argument), NaN or Inf in the data.
        InputTypeError: a flag that is not a bool, a count that is not an integer.
        DivergenceError: some run diverged and ``on_divergence="raise"``.
        RuntimeError: ``device="cuda"`` and no usable GPU or CUDA build.
    """
    Xa, ya = _data(X, y, allow_float32=True, finite=False)
    n, d = Xa.shape
    W, single = _weights(W0, d, "W0")
    _check_labels_for(W, ya)
    B = W.shape[0]
    iters = as_int(iters, "iters", minimum=0, maximum=_MAX_ITERS)
    record_every = as_int(record_every, "record_every", minimum=1, maximum=2**62)
    if (iters // record_every + 1) * B > _MAX_HISTORY:
        raise InputError(
            f"iters={iters} with record_every={record_every} and B={B} runs would record "
            f"{(iters // record_every + 1) * B} history values, more than {_MAX_HISTORY}; raise record_every"
        )
    relaxed = _flag(relaxed, "relaxed")
    strict = _flag(strict, "strict")
    classify = _flag(classify, "classify")
    on_divergence = as_choice(on_divergence, "on_divergence", ON_DIVERGENCE)
    kernel = as_choice(kernel, "kernel", ("auto", "fused", "gemm"))
    if step is not None:
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
        if np.any(np.all(star == 0, axis=1)):  # not the norm: it underflows for tiny w*
            raise InputError("w_star must be non-zero (the recovery error divides by ||w*||)")
    on_cuda = resolve_device(device) == "cuda"
    if on_cuda and not np.isfinite(Xa).all():
        raise InputError("X contains NaN or Inf")
    # Extreme magnitudes: run on X / 2^a, y / 2^b and map back (docs/relu.md#scales).
    a, b = rescaling(Xa), rescaling(ya)
    Xs, ys = scaled(Xa, a), scaled(ya, b)
    Ws = weights_to_scaled(W, a, b, "W0")
    stars = None if star is None else weights_to_scaled(star, a, b, "w_star")
    Xts, yts = scaled(Xt, a), scaled(yt, b)
    if step is None:  # 1/(2.02 lambda^) = m 4^-e for X, m 4^(a-e) for X / 2^a
        mantissa, e = _scaled_step(Xa)
        step_s = float(np.ldexp(mantissa, 2 * (a - e)))
        step = times_power(mantissa, -2 * e)
    else:
        with np.errstate(over="ignore", under="ignore"):
            step_s = float(np.ldexp(step, 2 * a))
        if not np.finfo(np.float64).tiny <= step_s < np.inf:
            raise InputError(
                f"step={step:.6g} is out of proportion to X (max|X| ~ 2^{a}): the step scales like "
                "1/max|X|^2 and step * 4^a is outside the float64 range; use step=None (docs/relu.md#scales)"
            )
    if on_cuda:
        core = relu_gd_cuda(Xs, ys, Ws, step_s, iters, relaxed, strict, record_every, Xts, yts, stars)
    else:  # _core.ReluGdResult; the overload is picked by the dtype of X
        core = _core.relu_gd(
            Xs, ys, Ws, step_s, iters, relaxed, strict, record_every, Xts, yts, stars, kernel
        )
    if check:  # after the core has checked the data for NaN/Inf; warnings before any DivergenceError
        _guards(Xs, ys, relaxed, exact_solver=False)
    diverged, diverged_at = core.diverged, core.diverged_at
    if diverged.any() and on_divergence != "flag":
        runs = np.flatnonzero(diverged)
        msg = (
            f"gd diverged in {runs.size} of {B} runs (first: run {runs[0]} at iteration "
            f"{diverged_at[runs[0]]}) with step={step:.6g}; the default step 1/(2.02 lambda^) converges"
        )
        if on_divergence == "raise":
            raise DivergenceError(msg)
        warnings.warn(msg, DivergenceWarning, stacklevel=2)
    Wcore = np.asarray(core.W).astype(Xa.dtype)
    stationary = np.zeros(B, dtype=bool)
    if classify and not relaxed:  # on the rescaled problem: the classification is scale-invariant
        stationary = _classify(
            np.asarray(Xs, dtype=np.float64), np.asarray(ys, dtype=np.float64), Wcore, diverged
        )
    Wout = weights_from_scaled(np.asarray(core.W), a, b).astype(Xa.dtype)
    # Histories, divergence flags, iterations and kernel come from the core (losses mapped back by 4^b); W in
    # the dtype and shape of the input, the classification and the settings from here.
    extra = {}
    if b != 0:
        extra["train_loss"] = times_power(np.asarray(core.train_loss), 2 * b)
        if core.test_loss is not None:
            extra["test_loss"] = times_power(np.asarray(core.test_loss), 2 * b)
    return from_core(
        GDResult,
        core,
        W=Wout[0] if single else Wout,
        stationary=stationary,
        step=float(step),
        relaxed=relaxed,
        **extra,
    )


def _classify(X: np.ndarray, y: np.ndarray, W: np.ndarray, diverged: np.ndarray) -> np.ndarray:
    """``stationary`` flags of :class:`GDResult` (docs/relu.md#guards, last item)."""
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
                _, f_ref, _ = polish_vanilla(X, col, np.asarray(ref.w))
                best = min(best, f_ref)
            except Exception:  # pragma: no cover - a reference only
                pass
        ynorm2 = float(col @ col)
        for b in members:
            _, _, f, g = polished[b]
            flags[b] = g <= 1e-6 * scale and f > best * (1 + 1e-6) + 1e-12 * ynorm2
    return flags
