"""The CUDA path of :func:`convexify.relu.gd` (optional kernels, ``device="cuda"``).

It returns an object with the attributes of the CPU core's ``_core.ReluGdResult`` (``W``, ``train_loss``,
``test_loss``, ``recovery_error``, ``diverged``, ``diverged_at``, ``iterations``, ``kernel``), so
:func:`convexify.relu.gd` builds its result from either the same way (``_boundary.from_core``).  Differences,
by design: divergence is detected at the recorded iterations only (non-finite or exploded train loss), and a
diverged run's ``W`` is its last iterate, which may be non-finite (the CPU path keeps the last finite one).
"""

from __future__ import annotations

from types import SimpleNamespace
from typing import Optional

import numpy as np

from .. import _core

_BLOWUP = 1e30


def _columns(a: np.ndarray, B: int, dtype: np.dtype) -> np.ndarray:
    a = a.reshape(a.shape[0], -1)
    return np.ascontiguousarray(np.broadcast_to(a, (a.shape[0], B)), dtype=dtype)


def relu_gd_cuda(
    X: np.ndarray,
    y: np.ndarray,
    W: np.ndarray,
    step: float,
    iters: int,
    relaxed: bool,
    strict: bool,
    record_every: int,
    X_test: Optional[np.ndarray],
    y_test: Optional[np.ndarray],
    w_star: Optional[np.ndarray],
) -> SimpleNamespace:
    """Gradient descent on the GPU, arguments validated by :func:`convexify.relu.gd` (docs/relu.md#gd).

    Args:
        X, y, W, step, iters, relaxed, strict, record_every, X_test, y_test, w_star: as the CPU core's
            ``_core.relu_gd`` takes them (``W`` (B, d) float64, ``w_star`` (1, d) or (B, d) or None).

    Returns:
        An object with the attributes of ``_core.ReluGdResult``; ``kernel`` is ``"cuda"``.
    """
    dtype = X.dtype
    B = W.shape[0]
    fn = _core.relu_gd_cuda  # float32 and float64 overloads of one name
    star = None if w_star is None else np.ascontiguousarray(np.broadcast_to(w_star, W.shape), dtype=dtype)
    yt = None if y_test is None else _columns(y_test, B, dtype)
    # The kernel updates W <- W - grad_scale * R^T X; the gradient of the un-normalised sum carries a 2.
    Wout, train, test, rec = fn(
        X,
        _columns(y, B, dtype),
        np.ascontiguousarray(W, dtype=dtype),
        2.0 * step,
        iters,
        relaxed,
        strict,
        record_every,
        X_test,
        yt,
        star,
    )
    train = train / X.shape[0]
    if test is not None:
        test = test / X_test.shape[0]
    iterations = np.arange(train.shape[0]) * record_every
    bad = ~np.isfinite(train) | (train > _BLOWUP * np.maximum(train[:1], np.finfo(float).tiny))
    diverged = bad.any(axis=0)
    first = np.where(diverged, bad.argmax(axis=0), -1)
    diverged_at = np.where(diverged, iterations[np.maximum(first, 0)], -1)
    for b in np.flatnonzero(diverged):
        for hist in (train, test, rec):
            if hist is not None:
                hist[first[b] :, b] = np.nan
    return SimpleNamespace(
        W=Wout,
        train_loss=train,
        test_loss=test,
        recovery_error=rec,
        diverged=diverged,
        diverged_at=diverged_at,
        iterations=np.arange(iters // record_every + 1, dtype=np.int64) * record_every,
        kernel="cuda",
    )
