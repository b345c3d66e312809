"""Lens 2 is equivariant across the whole float64 range (docs/relu.md#scales).

With ``X -> c X`` and ``y -> k y`` (``c, k > 0``): weights scale like ``k / c`` (the recovery error is
invariant), losses like ``k^2``, gradients (newton's ``gradient_norm``, ``tolerance``, ``history``) like
``c k``, ``lambda_max(X^T X)`` like ``c^2`` and the default step like ``1 / c^2``.  Each function is run at
``c = k = s`` for ``s`` in 1e-150, 1, 1e150 (and 1e-300 / 1e300 where its results are representable) and
compared with ``s = 1`` after mapping back.  Before the fix ``lambda_max`` returned 0 at 1e-100 and 1e80, gd
refused such data ("X is zero"), newton "converged" at ``w = 0`` on small data (absolute tolerance) and
returned status "diverged" with ``w = 0`` on labels of 1e300.
"""

from __future__ import annotations

import warnings

import numpy as np
import pytest

from convexify import InputError, relu

SCALES = [1e-150, 1.0, 1e150]
ALL_SCALES = [1e-300, 1e-150, 1e-100, 1e-10, 1.0, 1e10, 1e80, 1e150, 1e300]


@pytest.fixture(scope="module")
def data():
    rng = np.random.default_rng(11)
    X = rng.standard_normal((300, 6))
    w_star = rng.standard_normal(6)
    y = np.maximum(X @ w_star, 0.0) + 0.05 * rng.standard_normal(300) ** 2  # noisy, y >= 0
    W0 = 0.1 * rng.standard_normal((3, 6))
    return X, y, W0, w_star


@pytest.mark.parametrize("s", SCALES + [1e-100, 1e80, 2.0**-500, 2.0**500])
def test_lambda_max_scales_like_s_squared(data, s):
    X = data[0]
    lam = relu.lambda_max(X)
    assert relu.lambda_max(s * X) == pytest.approx(s * s * lam, rel=1e-12)
    assert relu.lambda_max((s * X).astype(np.float32) if 1e-30 < s < 1e30 else s * X) > 0
    # the reference: the largest eigenvalue of X^T X
    assert lam == pytest.approx(np.linalg.eigvalsh(X.T @ X)[-1], rel=1e-10)
    assert relu.default_step(s * X) == pytest.approx(relu.default_step(X) / (s * s), rel=1e-12)


def test_lambda_max_exact_for_powers_of_two(data):
    X = data[0]
    lam = relu.lambda_max(X)
    for k in (-500, -3, 3, 500):
        assert relu.lambda_max(np.ldexp(X, k)) == np.ldexp(lam, 2 * k)  # bit for bit


@pytest.mark.parametrize("s", [1e-300, 1e300])
def test_lambda_max_out_of_range_says_why(data, s):
    with pytest.raises(InputError, match="outside the float64 range"):
        relu.lambda_max(s * data[0])
    with pytest.raises(InputError, match="outside the float64 range"):
        relu.default_step(s * data[0])


@pytest.mark.parametrize("s", SCALES)
def test_losses_and_gradient_scale(data, s):
    X, y, W0, _ = data
    L = relu.loss(W0, X, y)
    Lr = relu.relaxed_loss(W0, X, y)
    G = relu.gradient(W0, X, y)
    np.testing.assert_allclose(relu.loss(W0, s * X, s * y), s * s * L, rtol=1e-12)
    np.testing.assert_allclose(relu.relaxed_loss(W0, s * X, s * y), s * s * Lr, rtol=1e-12)
    np.testing.assert_allclose(relu.gradient(W0, s * X, s * y), s * s * G, rtol=1e-12)
    # X and y scaled apart: w -> (k / c) w
    c, k = s, 1.0 / s if s != 1.0 else 3.0
    np.testing.assert_allclose(relu.loss(W0 * k / c, c * X, k * y), k * k * L, rtol=1e-12)


@pytest.mark.parametrize("relaxed", [True, False])
@pytest.mark.parametrize("s", ALL_SCALES)
def test_gd_is_scale_equivariant(data, s, relaxed):
    X, y, W0, w_star = data
    ref = relu.gd(X, y, W0, iters=200, relaxed=relaxed, w_star=w_star, record_every=50)
    run = relu.gd(s * X, s * y, W0, iters=200, relaxed=relaxed, w_star=w_star, record_every=50)
    np.testing.assert_allclose(run.W, ref.W, rtol=1e-9, atol=1e-12 * np.abs(ref.W).max())
    np.testing.assert_allclose(run.recovery_error, ref.recovery_error, rtol=1e-9)
    np.testing.assert_array_equal(run.stationary, ref.stationary)
    assert not run.diverged.any()
    if 1e-150 <= s <= 1e150:  # losses ~ s^2 and the step ~ 1/s^2 are representable
        np.testing.assert_allclose(run.train_loss, s * s * ref.train_loss, rtol=1e-9)
        assert run.step == pytest.approx(ref.step / (s * s), rel=1e-12)


@pytest.mark.parametrize("c, k", [(1e150, 1e-100), (1e-200, 1.0), (1.0, 1e250), (2.0**-400, 2.0**300)])
def test_gd_with_x_and_y_scaled_apart(data, c, k):
    X, y, W0, w_star = data
    ref = relu.gd(X, y, W0, iters=150, relaxed=True, X_test=X[:50], y_test=y[:50], w_star=w_star)
    run = relu.gd(
        c * X, k * y, W0 * (k / c), iters=150, relaxed=True, X_test=c * X[:50], y_test=k * y[:50],
        w_star=w_star * (k / c),
    )  # fmt: skip
    np.testing.assert_allclose(run.W, ref.W * (k / c), rtol=1e-9, atol=1e-12 * np.abs(ref.W).max() * k / c)
    np.testing.assert_allclose(run.recovery_error, ref.recovery_error, rtol=1e-9)
    if k * k * 1e-10 > 1e-300 and k * k < 1e300:
        np.testing.assert_allclose(run.test_loss, k * k * ref.test_loss, rtol=1e-9)


def test_gd_float32_scales(data):
    X, y, W0, _ = data
    X32, y32 = X.astype(np.float32), y.astype(np.float32)
    ref = relu.gd(X32, y32, W0, iters=100, relaxed=True)
    for s in (2.0**-60, 2.0**60):  # exact in float32; outside the float32 safe range, so rescaled
        run = relu.gd(X32 * np.float32(s), y32 * np.float32(s), W0, iters=100, relaxed=True)
        np.testing.assert_allclose(run.W, ref.W, rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize("s", ALL_SCALES)
def test_newton_is_scale_equivariant(data, s):
    X, y, _, _ = data
    ref = relu.newton(X, y)
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # no numpy overflow warnings either
        run = relu.newton(s * X, s * y)
    assert run.converged and run.status == "converged"
    np.testing.assert_allclose(run.w, ref.w, rtol=1e-10)
    assert run.iterations == ref.iterations
    assert run.global_minimiser_of_L == ref.global_minimiser_of_L
    assert (run.n_positive, run.rank_positive) == (ref.n_positive, ref.rank_positive)
    if 1e-150 <= s <= 1e150:
        assert run.relaxed_loss == pytest.approx(s * s * ref.relaxed_loss, rel=1e-9)
        assert run.loss == pytest.approx(s * s * ref.loss, rel=1e-9)
        assert run.tolerance == pytest.approx(s * s * ref.tolerance, rel=1e-12)
        np.testing.assert_allclose(run.history[:1], s * s * ref.history[:1], rtol=1e-12)


@pytest.mark.parametrize("k", [1e-300, 1e-10, 1e10, 1e300])
def test_newton_labels_alone_scaled(data, k):
    """y -> k y with X fixed: w -> k w (the probe's y = 1e300 y returned 'diverged' with w = 0)."""
    X, y, _, _ = data
    ref = relu.newton(X, y)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        run = relu.newton(X, k * y)
    assert run.status == "converged"
    np.testing.assert_allclose(run.w, k * ref.w, rtol=1e-10)
    assert run.gradient_norm <= run.tolerance
    # the realizable certificate and duality gap are relative: same verdict at every scale
    assert run.global_minimiser_of_L == ref.global_minimiser_of_L


@pytest.mark.parametrize("s", [1e-150, 1e-10, 1.0, 1e150])
def test_newton_realizable_at_any_scale(s):
    rng = np.random.default_rng(3)
    X = rng.standard_normal((80, 4))
    w_star = rng.standard_normal(4)
    r = relu.newton(s * X, s * np.maximum(X @ w_star, 0.0))
    np.testing.assert_allclose(r.w, w_star, rtol=1e-10)
    assert r.global_minimiser_of_L


@pytest.mark.parametrize("s", SCALES)
def test_gd_stacked_is_scale_equivariant(data, s):
    X, y, W0, _ = data
    Xs = np.stack([X, X[::-1]])
    Ys = np.stack([y, y[::-1]])
    ref = relu.gd_stacked(Xs, Ys, W0[:2], iters=100, relaxed=True)
    run = relu.gd_stacked(s * Xs, s * Ys, W0[:2], iters=100, relaxed=True)
    np.testing.assert_allclose(run.W, ref.W, rtol=1e-9)
    np.testing.assert_allclose(run.train_loss, s * s * ref.train_loss, rtol=1e-9)
    assert run.step == pytest.approx(ref.step / (s * s), rel=1e-12)


@pytest.mark.parametrize("s", [1e-300, 1e-150, 1.0, 1e150, 1e300])
def test_unbounded_direction_is_scale_invariant(s):
    X = np.array([[1.0, 0.0], [-1.0, 0.5], [0.0, 1.0]])
    y = np.array([-1.0, 0.0, 0.0])  # v = (-1, -1): X v = (-1, 0.5, -1)... not <= 0; the LP decides
    ref = relu.unbounded_direction(X, y)
    got = relu.unbounded_direction(s * X, s * y)
    assert (ref is None) == (got is None)
    X2 = np.array([[1.0], [2.0]])
    y2 = np.array([-1.0, -1.0])  # v = -1: X v < 0 and y^T X v = 3 > 0
    v = relu.unbounded_direction(s * X2, s * y2)
    assert v is not None and v[0] < 0


def test_weights_out_of_range_raise(data):
    X, y, W0, _ = data
    with pytest.raises(InputError, match="weights scale like .* overflow float64"):
        relu.gd(1e-300 * X, 1e300 * y, W0, iters=5, relaxed=True)
    with pytest.raises(InputError, match="step=0.001 is out of proportion to X"):
        relu.gd(1e-300 * X, 1e-300 * y, W0, iters=5, relaxed=True, step=1e-3)
    with pytest.raises(InputError, match="W0"):
        relu.gd(1e300 * X, 1e-300 * y, W0 + 1.0, iters=5, relaxed=True)
