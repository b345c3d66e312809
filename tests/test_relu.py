"""Lens 2 (shallow ReLU, docs/relu.md): losses, gradients, batched GD, Newton, against numpy and theory."""

from __future__ import annotations

import numpy as np
import pytest

import convexify
from convexify import relu
from convexify.reference import relu as ref


def _data(rng, n=60, d=7, B=5, mean=0.0):
    X = rng.standard_normal((n, d)) + mean
    w_star = rng.standard_normal(d)
    y = np.maximum(X @ w_star, 0.0)
    W = rng.standard_normal((B, d))
    return X, y, W, w_star


def test_losses_match_reference_and_identity(rng):
    X, y, W, _ = _data(rng)
    y = y + 0.3 * rng.standard_normal(y.shape)  # not realizable, some negative labels
    L = relu.loss(W, X, y)
    Lr = relu.relaxed_loss(W, X, y)
    np.testing.assert_allclose(L, ref.loss(W, X, y), rtol=1e-13)
    np.testing.assert_allclose(Lr, ref.relaxed_loss(W, X, y), rtol=1e-12)
    # L_r - L = 2 y^T relu(-X w), exactly (docs/relu.md#losses).
    ident = 2.0 * np.maximum(-(X @ W.T), 0.0).T @ y
    np.testing.assert_allclose(Lr - L, ident, rtol=1e-10, atol=1e-10 * np.abs(Lr).max())
    assert isinstance(relu.loss(W[0], X, y), float)
    assert relu.loss(W[0], X, y) == pytest.approx(L[0], rel=1e-15)


def test_relaxed_upper_bounds_loss_for_nonnegative_labels(rng):
    X, y, _, _ = _data(rng, n=80, d=5)
    W = rng.standard_normal((200, 5)) * 3
    L, Lr = relu.loss(W, X, y), relu.relaxed_loss(W, X, y)
    assert np.all(Lr >= L - 1e-12 * Lr)
    assert np.any(Lr > L * 1.1)  # the gap is real away from w*


@pytest.mark.parametrize("relaxed", [False, True])
def test_gradient_matches_reference_and_finite_differences(rng, relaxed):
    X, y, W, _ = _data(rng, n=50, d=6, B=3)
    G = relu.gradient(W, X, y, relaxed=relaxed)
    np.testing.assert_allclose(G, ref.gradient(W, X, y, relaxed=relaxed), rtol=1e-12, atol=1e-12)
    f = relu.relaxed_loss if relaxed else relu.loss
    h = 1e-6
    for b in range(3):
        fd = np.array([(f(W[b] + h * e, X, y) - f(W[b] - h * e, X, y)) / (2 * h) for e in np.eye(6)])
        np.testing.assert_allclose(G[b], fd, rtol=1e-6, atol=1e-6 * np.abs(fd).max())


def test_mask_convention_at_zero():
    # At w = 0 every z_i = 0: the >= mask gives the relaxed first step, the strict mask a zero gradient.
    X = np.array([[1.0, 2.0], [3.0, -1.0], [0.5, 0.5]])
    y = np.array([1.0, 2.0, 0.5])
    w0 = np.zeros(2)
    np.testing.assert_allclose(relu.gradient(w0, X, y), -2 * X.T @ y, rtol=1e-15)
    np.testing.assert_allclose(relu.gradient(w0, X, y), relu.gradient(w0, X, y, relaxed=True), rtol=1e-15)
    assert np.all(relu.gradient(w0, X, y, strict=True) == 0.0)
    run = relu.gd(X, y, np.zeros((1, 2)), iters=5, strict=True, check=False)
    assert np.all(run.W == 0.0)


@pytest.mark.filterwarnings("ignore::convexify.relu.RelaxationWarning")
def test_gd_matches_reference_histories(rng):
    p = relu.planted(120, 6, noise=0.1, seed=3, n_test=50)
    W0 = rng.standard_normal((4, 6)) / np.sqrt(6)
    step = relu.default_step(p.X)
    for relaxed in (False, True):
        got = relu.gd(
            p.X,
            p.y,
            W0,
            step=step,
            iters=200,
            relaxed=relaxed,
            X_test=p.X_test,
            y_test=p.y_test,
            w_star=p.w_star,
            record_every=7,
        )
        want = ref.gd(p.X, p.y, W0, step, 200, relaxed, p.X_test, p.y_test, p.w_star, record_every=7)
        np.testing.assert_allclose(got.W, want["W"], rtol=1e-11, atol=1e-13)
        for key in ("train_loss", "test_loss", "recovery_error"):
            np.testing.assert_allclose(getattr(got, key), want[key], rtol=1e-10, atol=1e-14)
        assert got.train_loss.shape == (200 // 7 + 1, 4)
        np.testing.assert_array_equal(got.iterations, np.arange(0, 201, 7))


@pytest.mark.filterwarnings("ignore::convexify.relu.RelaxationWarning")
@pytest.mark.parametrize("kernel", ["fused", "gemm"])
def test_batched_equals_looped_single_runs(rng, kernel):
    p = relu.planted(300, 9, noise=0.2, seed=5)
    W0 = rng.standard_normal((11, 9)) / 3  # two groups of the fused kernel (8 + 3)
    kw = dict(iters=150, relaxed=False, w_star=p.w_star, record_every=10, kernel=kernel, classify=False)
    batch = relu.gd(p.X, p.y, W0, **kw)
    for b in range(11):
        one = relu.gd(p.X, p.y, W0[b : b + 1], **kw)
        np.testing.assert_allclose(one.W[0], batch.W[b], rtol=1e-12, atol=1e-14)
        np.testing.assert_allclose(one.train_loss[:, 0], batch.train_loss[:, b], rtol=1e-12)


def test_label_matrix_equals_per_problem_runs(rng):
    X = rng.standard_normal((200, 5))
    Wstar = rng.standard_normal((3, 5))
    Y = np.maximum(X @ Wstar.T, 0.0) + 0.05 * rng.standard_normal((200, 3))
    W0 = rng.standard_normal((3, 5)) * 0.1
    both = relu.gd(X, Y, W0, iters=100, relaxed=True, w_star=Wstar, record_every=20, check=False)
    for b in range(3):
        one = relu.gd(
            X, Y[:, b], W0[b], iters=100, relaxed=True, w_star=Wstar[b], record_every=20, check=False
        )
        np.testing.assert_allclose(one.W, both.W[b], rtol=1e-12, atol=1e-14)
        np.testing.assert_allclose(one.recovery_error[:, 0], both.recovery_error[:, b], rtol=1e-11)


@pytest.mark.filterwarnings("ignore::convexify.relu.RelaxationWarning")
def test_results_independent_of_thread_count(rng):
    # n d B = 8e6: above the threshold where the core splits the sample chunks over 2 threads.
    p = relu.planted(20000, 50, noise=0.1, seed=11)
    W0 = rng.standard_normal((8, 50)) * 0.1
    convexify.set_num_threads(2)
    try:
        two = relu.gd(p.X, p.y, W0, iters=5, classify=False)
    finally:
        convexify.set_num_threads(1)
    one = relu.gd(p.X, p.y, W0, iters=5, classify=False)
    np.testing.assert_array_equal(one.W, two.W)


def test_one_weight_row_on_the_packed_copy_independent_of_thread_count(rng):
    # B = 1, float32, d = 37: gd's packed copy (groups of samples, relu_gd.cpp); n d = 4.4e6 is above the
    # threshold where the core uses 2 threads.
    X = rng.standard_normal((120_000, 37)).astype(np.float32)
    y = np.maximum(X @ rng.standard_normal(37), 0.0).astype(np.float32)
    W0 = (rng.standard_normal((1, 37)) * 0.1).astype(np.float32)
    kw = dict(step=relu.default_step(X), iters=5, check=False, classify=False)
    convexify.set_num_threads(2)
    try:
        two = relu.gd(X, y, W0, **kw)
    finally:
        convexify.set_num_threads(1)
    one = relu.gd(X, y, W0, **kw)
    np.testing.assert_array_equal(one.W, two.W)


def test_realizable_relaxed_minimiser_recovers_w_star():
    p = relu.planted(400, 10, seed=7)
    run = relu.gd(p.X, p.y, np.zeros((1, 10)), iters=3000, relaxed=True, w_star=p.w_star, record_every=100)
    assert run.recovery_error[-1, 0] < 1e-8
    sol = relu.newton(p.X, p.y)
    assert sol.iterations <= 3
    assert sol.converged and sol.gradient_norm <= sol.tolerance
    assert np.linalg.norm(sol.w - p.w_star) < 1e-10
    assert sol.global_minimiser_of_L
    assert sol.relaxed_loss == pytest.approx(0.0, abs=1e-18)
    assert abs(sol.duality_gap) < 1e-8
    np.testing.assert_allclose(sol.w, ref.newton(p.X, p.y)["w"], atol=1e-12)


@pytest.mark.filterwarnings("ignore::convexify.relu.RelaxationWarning")
def test_newton_noisy_matches_reference_and_dual_bound():
    p = relu.planted(500, 8, noise=0.3, seed=2)
    sol = relu.newton(p.X, p.y)
    assert sol.converged and sol.iterations <= 10
    np.testing.assert_allclose(sol.w, ref.newton(p.X, p.y)["w"], rtol=1e-10, atol=1e-12)
    # Fenchel bound below, the value above, gap = 2 w^T g at round-off.
    assert sol.dual_bound <= sol.relaxed_loss + 1e-9 * sol.relaxed_loss
    assert sol.relaxed_loss - sol.dual_bound == pytest.approx(sol.duality_gap, abs=1e-8)
    assert abs(sol.duality_gap) < 1e-7 * sol.relaxed_loss
    # It is the minimiser: relaxed GD converges to it.
    run = relu.gd(p.X, p.y, np.zeros(8), iters=4000, relaxed=True)
    np.testing.assert_allclose(run.W, sol.w, atol=1e-8)
    # And it is not the minimiser of L (noise: a different estimator, docs/relu.md#exactness).
    assert np.linalg.norm(relu.gradient(sol.w, p.X, p.y)) > 1e-3


def test_dead_neuron_stays_stuck_for_vanilla_not_relaxed(rng):
    p = relu.planted(200, 4, seed=13, distribution="uniform")  # x in the positive orthant
    w_dead = -np.ones(4)  # X w < 0 for every sample
    assert np.all(p.X @ w_dead < 0)
    van = relu.gd(p.X, p.y, w_dead, iters=500, w_star=p.w_star)
    np.testing.assert_array_equal(van.W, w_dead)
    assert van.stationary[0]
    rel = relu.gd(p.X, p.y, w_dead, iters=20000, relaxed=True, w_star=p.w_star, record_every=1000)
    assert rel.recovery_error[-1, 0] < 1e-6
    assert not rel.stationary[0]


def test_spec_counterexample_nonrealizable_nonnegative_labels():
    X = np.array([[1.0], [-1.0]])
    y = np.array([1.0, 1.0])
    sol = relu.newton(X, y)
    assert sol.w[0] == pytest.approx(0.0, abs=1e-12)
    assert sol.relaxed_loss == pytest.approx(2.0)  # L_r(w) = w^2 + 2
    assert sol.loss == pytest.approx(2.0)  # L(0) = 2 ...
    assert relu.loss(np.array([1.0]), X, y) == pytest.approx(1.0)  # ... while min L = 1 at w = +-1
    assert not sol.global_minimiser_of_L


def test_float32_end_to_end(rng):
    p = relu.planted(300, 6, seed=4, dtype=np.float32)
    assert p.X.dtype == np.float32 and p.y.dtype == np.float32
    W0 = (rng.standard_normal((3, 6)) * 0.1).astype(np.float32)
    run = relu.gd(p.X, p.y, W0, iters=300, relaxed=True, w_star=p.w_star, X_test=p.X_test, y_test=p.y_test)
    assert run.W.dtype == np.float32
    p64 = relu.planted(300, 6, seed=4)
    run64 = relu.gd(p64.X, p64.y, W0.astype(np.float64), iters=300, relaxed=True)
    # float32 data, float64 accumulation: the difference is the data's rounding, ~1e-7 relative.
    np.testing.assert_allclose(run.W, run64.W, rtol=1e-5, atol=1e-6)
    for kernel in ("fused", "gemm"):
        r = relu.gd(p.X, p.y, W0, iters=50, kernel=kernel)
        assert r.W.dtype == np.float32
    assert relu.add_bias_column(p.X).dtype == np.float32
    # 8-lane float32 kernel (batch) vs the single-row path (widened to double): float round-off apart.
    W9 = (rng.standard_normal((9, 6)) * 0.1).astype(np.float32)
    batch = relu.gd(p.X, p.y, W9, iters=100, relaxed=True)
    for b in (0, 8):
        one = relu.gd(p.X, p.y, W9[b], iters=100, relaxed=True)
        np.testing.assert_allclose(one.W, batch.W[b], rtol=1e-5, atol=1e-6)
    G = relu.gradient(W0, p.X, p.y)
    np.testing.assert_allclose(
        G,
        ref.gradient(W0.astype(np.float64), p.X.astype(np.float64), p.y.astype(np.float64)),
        rtol=1e-6,
        atol=1e-4,
    )


def test_default_step_rule_and_lambda(rng):
    X = rng.standard_normal((300, 12))
    lam = np.linalg.eigvalsh(X.T @ X)[-1]
    assert relu.lambda_max(X) == pytest.approx(lam, rel=1e-3)
    assert relu.lambda_max(X) <= lam * (1 + 1e-12)
    step = relu.default_step(X)
    assert 1 / (2.02 * lam) <= step <= 1 / (2 * lam)
    assert relu.gd(X, np.abs(X[:, 0]), np.zeros(12), iters=1).step == step


def test_planted_and_bias():
    p = relu.planted(50, 3, seed=1, n_test=20, bias=True, mean=1.0)
    assert p.X.shape == (50, 4) and p.X_test.shape == (20, 4)
    assert np.all(p.X[:, -1] == 1.0)
    assert np.linalg.norm(p.w_star) == pytest.approx(1.0)
    np.testing.assert_allclose(p.y, np.maximum(p.X @ p.w_star, 0))
    q = relu.planted(50, 3, seed=1, n_test=20, bias=True, mean=1.0)
    np.testing.assert_array_equal(p.X, q.X)
    Xb = relu.add_bias_column(np.zeros((2, 3)))
    np.testing.assert_array_equal(Xb, [[0, 0, 0, 1], [0, 0, 0, 1]])
    u = relu.planted(30, 3, seed=2, distribution="uniform")
    assert np.all((u.X >= 0) & (u.X <= 1))
