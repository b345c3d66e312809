"""Lens 1: every invalid argument raises ValueError/TypeError naming the argument."""

from __future__ import annotations

import numpy as np
import pytest

import convexify
from convexify import linear


@pytest.fixture
def data(rng):
    X = rng.standard_normal((10, 4))
    Y = rng.standard_normal((10, 3))
    return X, Y


@pytest.mark.parametrize("bad", [np.nan, np.inf, -np.inf])
def test_nonfinite_data(data, bad):
    X, Y = data
    Xb = X.copy()
    Xb[2, 1] = bad
    with pytest.raises(ValueError, match="X contains NaN or Inf"):
        linear.solve(Xb, Y, 2, 1.0)
    Yb = Y.copy()
    Yb[0, 0] = bad
    with pytest.raises(ValueError, match="Y contains NaN or Inf"):
        linear.solve(X, Yb, 2, 1.0)
    with pytest.raises(ValueError, match="Y contains NaN or Inf"):
        linear.train_gd(X, Yb, 2, 1.0)


def test_shapes(data):
    X, Y = data
    with pytest.raises(ValueError, match="Y must have the same number of rows"):
        linear.solve(X, Y[:-1], 2, 1.0)
    with pytest.raises(ValueError, match="X must be 2-D"):
        linear.solve(X[:, 0], Y, 2, 1.0)
    # a 1-D Y is one output column (n, 1); other ranks are rejected
    assert linear.solve(X, Y[:, 0], 2, 1.0).M.shape == (X.shape[0], 1)
    with pytest.raises(ValueError, match="Y must be 1-D or 2-D"):
        linear.solve(X, Y[:, :, None], 2, 1.0)
    with pytest.raises(ValueError, match="X must be non-empty"):
        linear.solve(np.zeros((0, 4)), np.zeros((0, 3)), 2, 1.0)
    with pytest.raises(ValueError, match="Y must be non-empty"):
        linear.solve(X, np.zeros((10, 0)), 2, 1.0)


def test_dtypes(data):
    X, Y = data
    with pytest.raises(TypeError, match="X must be real"):
        linear.solve(X + 1j, Y, 2, 1.0)
    with pytest.raises(TypeError, match="Y must be real"):
        linear.solve(X, Y.astype(complex), 2, 1.0)
    with pytest.raises(TypeError, match="X must be numeric"):
        linear.solve(X > 0, Y, 2, 1.0)
    with pytest.raises(TypeError, match="X"):
        linear.solve("abc", Y, 2, 1.0)
    # integer data is accepted (converted to float64)
    res = linear.solve(np.arange(20).reshape(10, 2) % 7, np.ones((10, 1), dtype=int), 2, 0.1)
    assert res.converged


@pytest.mark.parametrize("depth,exc", [(1, ValueError), (0, ValueError), (-3, ValueError)])
def test_depth_values(data, depth, exc):
    X, Y = data
    with pytest.raises(exc, match="depth"):
        linear.solve(X, Y, depth, 1.0)


@pytest.mark.parametrize("depth", [2.0, 2.5, "3", True, None])
def test_depth_types(data, depth):
    X, Y = data
    with pytest.raises(TypeError, match="depth"):
        linear.solve(X, Y, depth, 1.0)
    with pytest.raises(TypeError, match="depth"):
        linear.train_gd(X, Y, depth, 1.0)


@pytest.mark.parametrize("gamma", [-1.0, -1e-300, np.nan, np.inf])
def test_gamma_values(data, gamma):
    X, Y = data
    with pytest.raises(ValueError, match="gamma"):
        linear.solve(X, Y, 2, gamma)
    with pytest.raises(ValueError, match="gamma"):
        linear.primal_objective([np.ones((2, 4)), np.ones((3, 2))], X, Y, gamma)


@pytest.mark.parametrize("gamma", ["1", True, None, [1.0]])
def test_gamma_types(data, gamma):
    X, Y = data
    with pytest.raises(TypeError, match="gamma"):
        linear.solve(X, Y, 2, gamma)


@pytest.mark.parametrize(
    "widths,exc,match",
    [
        ([3, 3], ValueError, "depth - 1 = 1"),
        ([], ValueError, "depth - 1 = 1"),
        ([0], ValueError, r"widths\[0\] must be >= 1"),
        ([-2], ValueError, r"widths\[0\]"),
        ([2.0], TypeError, r"widths\[0\]"),
        ([True], TypeError, r"widths\[0\]"),
        (3, TypeError, "widths"),
        ("3", TypeError, "widths"),
    ],
)
def test_widths(data, widths, exc, match):
    X, Y = data
    with pytest.raises(exc, match=match):
        linear.solve(X, Y, 2, 1.0, widths=widths)


def test_solver_options(data):
    X, Y = data
    with pytest.raises(ValueError, match="method"):
        linear.solve(X, Y, 2, 1.0, method="admm")
    with pytest.raises(ValueError, match="tol"):
        linear.solve(X, Y, 2, 1.0, tol=-1.0)
    with pytest.raises(ValueError, match="max_iter"):
        linear.solve(X, Y, 2, 1.0, max_iter=-1)
    with pytest.raises(TypeError, match="max_iter"):
        linear.solve(X, Y, 2, 1.0, max_iter=1.5)
    with pytest.raises(ValueError, match="t must be > 0"):
        linear.solve(X, Y, 2, 1.0, t=0.0)
    with pytest.raises(ValueError, match="z0"):
        linear.solve(X, Y, 2, 1.0, z0=np.zeros((3, 3)))
    with pytest.raises(ValueError, match="method"):
        linear.train_gd(X, Y, 2, 1.0, method="adam")
    with pytest.raises(ValueError, match="lr"):
        linear.train_gd(X, Y, 2, 1.0, method="gd", lr=-1.0)


def test_objective_arguments(data):
    X, Y = data
    good = [np.ones((2, 4)), np.ones((3, 2))]
    assert np.isfinite(linear.primal_objective(good, X, Y, 1.0))
    with pytest.raises(ValueError, match=r"weights\[1\]"):
        linear.primal_objective([np.ones((2, 4)), np.ones((3, 5))], X, Y, 1.0)
    with pytest.raises(ValueError, match="weights"):
        linear.primal_objective([np.ones((2, 4))], X, Y, 1.0)
    with pytest.raises(ValueError, match=r"weights\[-1\]"):
        linear.primal_objective([np.ones((2, 4)), np.ones((5, 2))], X, Y, 1.0)
    with pytest.raises(TypeError, match="weights"):
        linear.primal_objective(np.ones((2, 4)), X, Y, 1.0)
    with pytest.raises(ValueError, match=r"weights\[0\] contains NaN"):
        linear.primal_objective([np.full((2, 4), np.nan), np.ones((3, 2))], X, Y, 1.0)
    with pytest.raises(ValueError, match="k must be >= 1"):
        linear.dual_objective(np.zeros_like(Y), X, Y, 1.0, 0)
    with pytest.raises(TypeError, match="k"):
        linear.dual_objective(np.zeros_like(Y), X, Y, 1.0, 1.0)
    with pytest.raises(ValueError, match="Lambda contains NaN"):
        linear.dual_objective(np.full_like(Y, np.nan), X, Y, 1.0, 1)


def test_errors_are_convexify_errors(data):
    X, Y = data
    with pytest.raises(convexify.InputError):
        linear.solve(X, Y, 1, 1.0)
    with pytest.raises(convexify.InputTypeError):
        linear.solve(X, Y, True, 1.0)


def test_core_rechecks(data):
    from convexify import _core

    X, Y = data
    with pytest.raises(ValueError, match="gamma"):
        _core.linear_solve(X, Y, [2], -1.0, "dr", 1.0, 1e-10, 10, None, False)
    with pytest.raises(ValueError, match="widths"):
        _core.linear_solve(X, Y, [], 1.0, "dr", 1.0, 1e-10, 10, None, False)
    with pytest.raises(ValueError, match="t must be"):
        _core.linear_solve(X, Y, [2], 1.0, "dr", 0.0, 1e-10, 10, None, False)
    with pytest.raises(ValueError, match="Y must have the same number of rows"):
        _core.linear_solve(X, Y[:3], [2], 1.0, "dr", 1.0, 1e-10, 10, None, False)
    Xn = X.copy()
    Xn[0, 0] = np.nan
    with pytest.raises(ValueError, match="X contains NaN"):
        _core.linear_solve(Xn, Y, [2], 1.0, "closed", 1.0, 1e-10, 10, None, False)


def test_core_parses_choices(data):
    from convexify import _core

    X, Y = data
    with pytest.raises(convexify.InputError, match="method must be one of 'dr', 'closed', got 'admm'"):
        _core.linear_solve(X, Y, [2], 1.0, "admm", 1.0, 1e-10, 10, None, False)
    with pytest.raises(convexify.InputError, match="form must be one of 'reduced', 'diagonal', got 'full'"):
        _core.linear_solve(X, Y, [2], 1.0, "dr", 1.0, 1e-10, 10, None, False, "full")
    with pytest.raises(ValueError, match="form"):
        linear.solve(X, Y, 2, 1.0, form="full")
    with pytest.raises(ValueError, match="on_divergence must be one of"):
        linear.solve(X, Y, 2, 1.0, on_divergence="return")
    res = _core.linear_solve(X, Y, [2], 1.0, "closed", 1.0, 1e-10, 10, None, False, "diagonal")
    assert res.status == "converged" and res.certified_by == "closed" and res.iterations == 0
    assert res.certified is True
