"""Lens 2 raises only convexify's exception family (docs/conventions.md#errors, docs/relu.md#scales).

Counts beyond C's long (or absurd for memory) used to reach pybind11 ("incompatible function arguments"
TypeError), run out of memory (``iters=2**31``: a (2^31, B) history), or reach numpy ("Maximum allowed
dimension exceeded"); newton's non-finite gradient was a silent status.
"""

from __future__ import annotations

import warnings

import numpy as np
import pytest

from convexify import DivergenceError, InputError, relu


@pytest.fixture(scope="module")
def data():
    rng = np.random.default_rng(5)
    X = rng.standard_normal((40, 3))
    y = np.maximum(X @ np.array([1.0, -0.5, 0.25]), 0.0)
    return X, y


@pytest.mark.parametrize(
    "call, name",
    [
        (lambda X, y: relu.gd(X, y, np.zeros(3), iters=2**63), "iters"),
        (lambda X, y: relu.gd(X, y, np.zeros(3), iters=2**40), "iters"),
        (lambda X, y: relu.gd(X, y, np.zeros(3), iters=5, record_every=2**63), "record_every"),
        (lambda X, y: relu.gd_stacked(X[None], y[None], np.zeros((1, 3)), iters=2**63), "iters"),
        (lambda X, y: relu.newton(X, y, max_iter=2**63), "max_iter"),
        (lambda X, y: relu.lambda_max(X, iters=2**40), "iters"),
        (lambda X, y: relu.lambda_max(X, iters=2**31), "iters"),
        (lambda X, y: relu.planted(2**63, 3), "n"),
        (lambda X, y: relu.planted(10, 2**40), "d"),
        (lambda X, y: relu.planted(2**31, 2**10), "n="),
        (lambda X, y: relu.planted(10, 3, n_test=2**63), "n_test"),
    ],
)
def test_huge_counts_are_input_errors(data, call, name):
    with pytest.raises(InputError, match=name):
        call(*data)


def test_history_too_large_is_an_input_error(data):
    X, y = data
    with pytest.raises(InputError, match="raise record_every"):
        relu.gd(X, y, np.zeros((4, 3)), iters=2**31)
    # the same run recorded sparsely is accepted (T = 3 rows)
    r = relu.gd(X, y, np.zeros(3), iters=20, record_every=10)
    assert r.train_loss.shape == (3, 1)


def test_lambda_max_large_iters_still_runs(data):
    X = data[0]
    assert relu.lambda_max(X, iters=300) == pytest.approx(np.linalg.eigvalsh(X.T @ X)[-1], rel=1e-10)


def test_newton_nonfinite_gradient_is_a_divergence_error(data):
    X, y = data
    with pytest.raises(DivergenceError, match="non-finite"):
        relu.newton(X, y, w0=np.full(3, 1e308))


def test_newton_overflowing_labels_do_not_warn_or_fail(data):
    X, y = data
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        r = relu.newton(X, 1e300 * y)
    assert r.status == "converged"
    np.testing.assert_allclose(r.w, 1e300 * np.array([1.0, -0.5, 0.25]), rtol=1e-10)
    assert r.loss == np.inf or r.loss <= 1e-12 * 1e300  # ||y||^2 ~ 1e600: beyond float64, rounds to inf


def test_unbounded_direction_validates(data):
    X, y = data
    with pytest.raises(InputError, match="y"):
        relu.unbounded_direction(X, y[:5])
    with pytest.raises(InputError, match="X contains NaN"):
        relu.unbounded_direction(np.full((2, 2), np.nan), np.ones(2))


def test_tiny_w_star_is_accepted(data):
    X, y = data
    w = np.array([1.0, -0.5, 0.25])
    r = relu.gd(1e200 * X, 1e-100 * y, np.zeros(3), iters=50, relaxed=True, w_star=1e-300 * w)
    ref = relu.gd(X, y, np.zeros(3), iters=50, relaxed=True, w_star=w)
    np.testing.assert_allclose(r.recovery_error, ref.recovery_error, rtol=1e-9)
