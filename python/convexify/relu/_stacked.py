"""Lens 2, stacked data: B problems with their own data, ``X (B, n, d)``, ``Y (B, n)``.

Shapes and the iteration are those of docs/relu.md#shapes and docs/relu.md#gd.

Each problem runs through the same C++ kernel as a single run of :func:`convexify.relu.gd`, so a stacked run
equals the per-problem runs exactly (same code, same reduction order); there is no data to share between the
problems, so a batched kernel would not read less memory.
"""

from __future__ import annotations

import warnings
from typing import Any, Optional

import numpy as np

from .._errors import ON_DIVERGENCE, DivergenceError, DivergenceWarning, InputError
from .._validate import as_array, as_choice, as_int, as_real
from ._gd import GDResult, gd
from ._inputs import _MAX_ITERS
from ._losses import default_step

__all__ = ["gd_stacked"]


def _stack(value: Any, name: str, ndim: int, B: Optional[int] = None) -> np.ndarray:
    a = as_array(value, name, ndim, allow_float32=True, finite=False)
    if B is not None and a.shape[0] != B:
        raise InputError(f"{name} must have B = {B} problems along axis 0, got shape {a.shape}")
    return a


def gd_stacked(
    X: Any,
    Y: Any,
    W0: Any,
    step: Optional[float] = None,
    iters: int = 1000,
    relaxed: bool = False,
    X_test: Any = None,
    Y_test: Any = None,
    w_star: Any = None,
    record_every: int = 1,
    *,
    strict: bool = False,
    on_divergence: str = "raise",
    classify: bool = True,
    kernel: str = "auto",
    check: bool = True,
):
    """Gradient descent on B problems with their own data: ``X (B, n, d)``, ``Y (B, n)``, ``W0 (B, d)``.

    Problem b is ``min_w L(w; X[b], Y[b])`` (or ``L_r`` with ``relaxed=True``), run exactly as
    ``gd(X[b], Y[b], W0[b], ...)``: the result's rows equal the per-problem runs bit for bit.  One step size
    is used for every problem; ``step=None`` takes the smallest of the problems' default steps
    ``1 / (2.02 lambda^_b)``, which converges for each of them.

    Args:
        X: (B, n, d) data, one (n, d) matrix per problem.
        Y: (B, n) labels.
        W0: (B, d) initial weights, row b for problem b.
        X_test, Y_test: (B, m, d) and (B, m) held-out data (both or neither).
        w_star: (B, d) planted weights for ``recovery_error``.
        Other arguments as in :func:`convexify.relu.gd`; divergence is reported over all problems.

    Returns:
        A :class:`convexify.relu.GDResult` with ``W`` (B, d) and (T, B) histories, column b for problem b.

    Raises:
        InputError: bad shapes or values, prefixed with the problem they belong to where there is one.
        DivergenceError: some problem diverged and ``on_divergence="raise"``.
    """
    Xa = _stack(X, "X", 3)
    B, n, d = Xa.shape
    Ya = _stack(Y, "Y", 2, B)
    if Ya.shape[1] != n:
        raise InputError(f"Y must be (B, n) = ({B}, {n}) to match X {Xa.shape}, got shape {Ya.shape}")
    W = _stack(W0, "W0", 2, B)
    if W.shape[1] != d:
        raise InputError(f"W0 must be (B, d) = ({B}, {d}) to match X {Xa.shape}, got shape {W.shape}")
    if (X_test is None) != (Y_test is None):
        raise InputError("X_test and Y_test must be given together (one of them is None)")
    Xt = Yt = None
    if X_test is not None:
        Xt = _stack(X_test, "X_test", 3, B)
        Yt = _stack(Y_test, "Y_test", 2, B)
        if Xt.shape[2] != d or Yt.shape[1] != Xt.shape[1]:
            raise InputError(f"X_test must be (B, m, {d}) and Y_test (B, m), got {Xt.shape} and {Yt.shape}")
    star = None if w_star is None else _stack(w_star, "w_star", 2, B)
    on_divergence = as_choice(on_divergence, "on_divergence", ON_DIVERGENCE)
    iters = as_int(iters, "iters", minimum=0, maximum=_MAX_ITERS)
    if step is None:
        steps = []
        for b in range(B):
            try:
                steps.append(default_step(Xa[b]))
            except InputError as err:
                raise InputError(f"problem {b}: {err}") from err
        step = min(steps)
    else:
        step = as_real(step, "step", minimum=0.0, strict_min=True)

    runs = []
    for b in range(B):
        try:
            run = gd(
                Xa[b],
                Ya[b],
                W[b : b + 1],
                step=step,
                iters=iters,
                relaxed=relaxed,
                X_test=None if Xt is None else Xt[b],
                y_test=None if Yt is None else Yt[b],
                w_star=None if star is None else star[b],
                record_every=record_every,
                strict=strict,
                on_divergence="flag",
                classify=classify,
                kernel=kernel,
                check=check,
            )
        except InputError as err:
            raise InputError(f"problem {b}: {err}") from err
        runs.append(run)

    def column(name: str) -> Optional[np.ndarray]:
        parts = [getattr(r, name) for r in runs]
        return None if parts[0] is None else np.concatenate(parts, axis=1)

    diverged = np.concatenate([r.diverged for r in runs])
    diverged_at = np.concatenate([r.diverged_at for r in runs])
    if diverged.any() and on_divergence != "flag":
        bad = np.flatnonzero(diverged)
        msg = (
            f"gd_stacked diverged in {bad.size} of {B} problems (first: problem {bad[0]} at iteration "
            f"{diverged_at[bad[0]]}) with step={step:.6g}"
        )
        if on_divergence == "raise":
            raise DivergenceError(msg)
        warnings.warn(msg, DivergenceWarning, stacklevel=2)
    return GDResult(
        W=np.concatenate([r.W for r in runs], axis=0),
        train_loss=column("train_loss"),
        test_loss=column("test_loss"),
        recovery_error=column("recovery_error"),
        diverged=diverged,
        stationary=np.concatenate([r.stationary for r in runs]),
        iterations=runs[0].iterations,
        diverged_at=diverged_at,
        step=float(step),
        relaxed=runs[0].relaxed,
        kernel=runs[0].kernel,
    )
