"""Lens 1's non-convex baseline `train_gd`: the row reduction, the penalty gradient, the stationarity test."""

from __future__ import annotations

import numpy as np
import pytest

from convexify import InputError, InputTypeError, linear
from convexify.linear._baseline import _objective_and_grad, _reduce_rows, _schatten_power_and_grad
from convexify.reference import linear as ref


def make_data(rng, n, d0, dH, noise=0.3):
    X = rng.standard_normal((n, d0))
    return X, X @ rng.standard_normal((d0, dH)) + noise * rng.standard_normal((n, dH))


def random_weights(rng, dims):
    return [rng.standard_normal((dims[i + 1], dims[i])) / np.sqrt(dims[i]) for i in range(len(dims) - 1)]


@pytest.mark.parametrize("H", [2, 3, 4, 5, 6])
def test_schatten_power_and_grad_matches_the_svd_formula(rng, H):
    for shape in [(7, 4), (4, 7), (5, 5)]:
        A = rng.standard_normal(shape)
        U, s, Vt = np.linalg.svd(A, full_matrices=False)
        value, grad = _schatten_power_and_grad(A, H)
        assert value == pytest.approx(float(np.sum(s**H)), rel=1e-12)
        np.testing.assert_allclose(grad, H * (U * s ** (H - 1)) @ Vt, rtol=1e-10, atol=1e-12)


@pytest.mark.parametrize("H", [2, 3, 4])
def test_row_reduction_keeps_objective_and_gradients(rng, H):
    X, Y = make_data(rng, 50, 6, 4)
    Ws = random_weights(rng, (6, *([3] * (H - 1)), 4))
    Xr, Yr, const = _reduce_rows(X, Y)
    assert Xr.shape == (6, 6) and Yr.shape == (6, 4)
    full_value, full_grads = _objective_and_grad(Ws, X, Y, 0.7)
    red_value, red_grads = _objective_and_grad(Ws, Xr, Yr, 0.7, const)
    assert red_value == pytest.approx(full_value, rel=1e-12)
    assert full_value == pytest.approx(ref.primal_objective(Ws, X, Y, 0.7), rel=1e-12)
    for g_full, g_red in zip(full_grads, red_grads):
        np.testing.assert_allclose(g_red, g_full, rtol=1e-9, atol=1e-10)
    # n <= d0: nothing to reduce
    Xs, Ys, c0 = _reduce_rows(X[:5], Y[:5])
    assert np.array_equal(Xs, X[:5]) and np.array_equal(Ys, Y[:5]) and c0 == 0.0


@pytest.mark.parametrize("H", [3, 4])
def test_objective_gradient_by_finite_differences(rng, H):
    X, Y = make_data(rng, 12, 4, 3)
    Ws = random_weights(rng, (4, *([5] * (H - 1)), 3))
    _, grads = _objective_and_grad(Ws, X, Y, 0.7)
    h = 1e-6
    for i in range(H):
        D = rng.standard_normal(Ws[i].shape)
        plus = [W + (h * D if j == i else 0) for j, W in enumerate(Ws)]
        minus = [W - (h * D if j == i else 0) for j, W in enumerate(Ws)]
        fd = (_objective_and_grad(plus, X, Y, 0.7)[0] - _objective_and_grad(minus, X, Y, 0.7)[0]) / (2 * h)
        assert fd == pytest.approx(float(np.sum(grads[i] * D)), rel=1e-6)


def test_train_gd_stops_on_the_gradient_test_at_the_certified_optimum(rng):
    X, Y = make_data(rng, 80, 6, 4)
    opt = linear.solve(X, Y, 3, 0.5)
    tr = linear.train_gd(X, Y, 3, 0.5, seed=1, max_iter=5000, tol=0.0, grad_tol=1e-6)
    assert tr.status == "converged" and 0 < tr.iterations < 5000
    # independent check on the unreduced data: the reported gradient norm and value are the true ones
    value, grads = _objective_and_grad(tr.weights, X, Y, 0.5)
    gnorm = float(np.sqrt(sum(np.sum(G**2) for G in grads)))
    assert tr.final_value == pytest.approx(value, rel=1e-12)
    assert tr.grad_norm == pytest.approx(gnorm, rel=1e-6, abs=1e-12)
    assert gnorm <= 1e-6 * max(1.0, value)
    assert (tr.final_value - opt.optimal_value) / opt.optimal_value == pytest.approx(0.0, abs=1e-10)


def test_train_gd_from_a_tiny_init_stops_at_the_origin_saddle(rng):
    # every gradient term of P(W) carries a factor W_j (j != i): W = 0 is stationary with P = 1/2||Y||^2 > P*
    X, Y = make_data(rng, 40, 5, 3)
    opt = linear.solve(X, Y, 4, 0.5)
    tr = linear.train_gd(X, Y, 4, 0.5, init_scale=1e-3, max_iter=100, tol=0.0, grad_tol=1e-6)
    assert tr.status == "converged"
    assert tr.final_value == pytest.approx(0.5 * float(np.sum(Y**2)), rel=1e-6)
    assert tr.final_value > 1.1 * opt.optimal_value


def test_train_gd_reports_its_cap(rng):
    X, Y = make_data(rng, 30, 5, 3)
    tr = linear.train_gd(X, Y, 3, 0.5, max_iter=3, tol=0.0, grad_tol=1e-12)
    assert tr.status == "max_iter" and tr.iterations == 3 and len(tr.losses) == 4
    gd = linear.train_gd(X, Y, 3, 0.5, method="gd", max_iter=3, tol=0.0, grad_tol=1e-12)
    assert gd.status == "max_iter" and gd.iterations == 3
    assert np.all(np.diff(gd.losses) < 0)


def test_train_gd_progress_bar_and_bad_new_arguments(rng, capsys):
    X, Y = make_data(rng, 30, 5, 3)
    quiet = linear.train_gd(X, Y, 2, 0.5, max_iter=20)
    shown = linear.train_gd(X, Y, 2, 0.5, max_iter=20, progress=True)
    assert shown.final_value == quiet.final_value
    assert "train_gd" in capsys.readouterr().err
    with pytest.raises(InputError, match="grad_tol"):
        linear.train_gd(X, Y, 2, 0.5, grad_tol=-1.0)
    with pytest.raises(InputTypeError, match="progress"):
        linear.train_gd(X, Y, 2, 0.5, progress="yes")
