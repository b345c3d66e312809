"""Lens 2, stacked data (docs/relu.md#shapes): gd_stacked equals per-problem runs and the numpy reference."""

from __future__ import annotations

import numpy as np
import pytest

from convexify import DivergenceError, relu
from convexify.reference import relu as ref


def _stacked(rng, B=4, n=300, d=7, m=50, dtype=np.float64):
    X = rng.standard_normal((B, n, d))
    star = rng.standard_normal((B, d))
    star /= np.linalg.norm(star, axis=1, keepdims=True)
    Y = np.maximum(np.einsum("bnd,bd->bn", X, star), 0.0)
    Xt = rng.standard_normal((B, m, d))
    Yt = np.maximum(np.einsum("bnd,bd->bn", Xt, star), 0.0)
    W0 = rng.standard_normal((B, d)) / np.sqrt(d)
    return X.astype(dtype), Y.astype(dtype), W0.astype(dtype), Xt.astype(dtype), Yt.astype(dtype), star


@pytest.mark.parametrize("relaxed", [False, True])
def test_stacked_equals_per_problem_runs_bitwise(rng, relaxed):
    X, Y, W0, Xt, Yt, star = _stacked(rng)
    kw = dict(iters=60, relaxed=relaxed, record_every=20, classify=False)
    res = relu.gd_stacked(X, Y, W0, X_test=Xt, Y_test=Yt, w_star=star, **kw)
    step = min(relu.default_step(X[b]) for b in range(X.shape[0]))
    assert res.step == step
    assert res.W.shape == W0.shape and res.train_loss.shape == (4, 4)
    for b in range(X.shape[0]):
        one = relu.gd(X[b], Y[b], W0[b], step=step, X_test=Xt[b], y_test=Yt[b], w_star=star[b], **kw)
        np.testing.assert_array_equal(res.W[b], one.W)
        np.testing.assert_array_equal(res.train_loss[:, b], one.train_loss[:, 0])
        np.testing.assert_array_equal(res.test_loss[:, b], one.test_loss[:, 0])
        np.testing.assert_array_equal(res.recovery_error[:, b], one.recovery_error[:, 0])
        want = ref.gd(X[b], Y[b], W0[b : b + 1], step, 60, relaxed=relaxed, record_every=20)
        np.testing.assert_allclose(res.W[b], want["W"][0], rtol=1e-11, atol=1e-13)
        scale = want["train_loss"][0, 0]  # the losses fall to ~1e-21: compare against the starting loss
        np.testing.assert_allclose(
            res.train_loss[:, b], want["train_loss"][:, 0], rtol=1e-11, atol=1e-12 * scale
        )


def test_stacked_relaxed_recovers_each_planted_weight(rng):
    X, Y, W0, _, _, star = _stacked(rng, B=3, n=400, d=5)
    res = relu.gd_stacked(X, Y, W0, iters=3000, relaxed=True, w_star=star, record_every=1000)
    assert np.all(res.recovery_error[-1] < 1e-8)
    assert not res.diverged.any()


def test_stacked_float32_is_kept(rng):
    X, Y, W0, _, _, _ = _stacked(rng, dtype=np.float32)
    res = relu.gd_stacked(X, Y, W0, iters=5, classify=False)
    assert res.W.dtype == np.float32


def test_stacked_divergence_is_reported_over_problems(rng):
    X, Y, W0, _, _, _ = _stacked(rng, B=3)
    with pytest.raises(DivergenceError, match="diverged in 3 of 3 problems"):
        relu.gd_stacked(X, Y, W0, step=10.0, iters=200, classify=False)
    res = relu.gd_stacked(X, Y, W0, step=10.0, iters=200, classify=False, on_divergence="flag")
    assert res.diverged.all()


@pytest.mark.parametrize(
    "change, match",
    [
        (dict(X=np.zeros((4, 300))), "X must be 3-D|ndim"),
        (dict(Y=np.zeros((3, 300))), "Y must have B = 4"),
        (dict(Y=np.zeros((4, 299))), "Y must be"),
        (dict(W0=np.zeros((4, 6))), "W0 must be"),
        (dict(W0=np.zeros((5, 7))), "W0 must have B = 4"),
        (dict(step=-1.0), "step"),
        (dict(iters=-1), "iters"),
    ],
)
def test_stacked_bad_input(rng, change, match):
    X, Y, W0, _, _, _ = _stacked(rng)
    args = dict(X=X, Y=Y, W0=W0, iters=2)
    args.update(change)
    with pytest.raises(ValueError, match=match):
        relu.gd_stacked(**args)


def test_stacked_nan_in_one_problem_is_named(rng):
    X, Y, W0, _, _, _ = _stacked(rng)
    X[2, 17, 3] = np.nan
    with pytest.raises(ValueError, match="problem 2: X contains NaN or Inf"):
        relu.gd_stacked(X, Y, W0, iters=2)


def _default_runs_agree(res, X, Y, W0, kw):
    """Per problem: does row b of a stacked run equal ``gd(X[b], Y[b], W0[b])`` at its own default step?"""
    agree = []
    for b in range(X.shape[0]):
        one = relu.gd(X[b], Y[b], W0[b], **kw)
        agree.append(
            np.array_equal(res.W[b], one.W) and np.array_equal(res.train_loss[:, b], one.train_loss[:, 0])
        )
    return agree


def test_stacked_default_step_equals_per_problem_defaults_exactly_when_the_default_steps_agree(rng):
    """``gd_stacked(step=None)`` runs every problem at ``min_b default_step(X[b])``: row b equals the
    per-problem ``gd(X[b], Y[b], W0[b])`` (at its own default step) when ``default_step(X[b])`` is that
    minimum, and differs otherwise (a different step; ``iters >= 1`` from a non-stationary start)."""
    X0 = rng.standard_normal((150, 6))
    star = rng.standard_normal((3, 6))
    W0 = rng.standard_normal((3, 6)) / np.sqrt(6)
    kw = dict(iters=40, record_every=10, classify=False)
    # Same X in every problem (different labels and starts): equal default steps, every row equal.
    X = np.stack([X0, X0, X0])
    Y = np.maximum(np.einsum("bnd,bd->bn", X, star), 0.0)
    res = relu.gd_stacked(X, Y, W0, **kw)
    assert res.step == relu.default_step(X0)
    assert _default_runs_agree(res, X, Y, W0, kw) == [True, True, True]
    # Problem 1 has X scaled by 2: its default step is 4 times smaller (exactly) and becomes everyone's.
    X = np.stack([X0, 2.0 * X0, X0])
    Y = np.maximum(np.einsum("bnd,bd->bn", X, star), 0.0)
    res = relu.gd_stacked(X, Y, W0, **kw)
    assert res.step == relu.default_step(X0) / 4 == relu.default_step(X[1])
    assert _default_runs_agree(res, X, Y, W0, kw) == [False, True, False]
    # ... while at the stacked run's step every row still equals its per-problem run.
    assert _default_runs_agree(res, X, Y, W0, dict(kw, step=res.step)) == [True, True, True]
