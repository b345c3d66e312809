"""Lens 1: the returned network is as exact as the certificate (docs/linear.md#exact-finish), the bool
certificate, 1-D targets, scale-equivariance across float64's range (docs/linear.md#scale), integer
bounds."""

from __future__ import annotations

import warnings

import numpy as np
import pytest

import convexify
from convexify import linear
from convexify.reference import linear as ref


def product(weights, X):
    F = X
    for W in weights:
        F = F @ W.T
    return F


def closed_map(X, Y, gamma, k):
    return ref.closed_form(X, Y, gamma, k)["M"]


def map_error(res, X, M_star):
    return np.linalg.norm(product(res.weights, X) - M_star) / max(np.linalg.norm(M_star), 1e-300)


@pytest.mark.parametrize("depth", [2, 3])
def test_map_exact_on_small_exact_case(depth):
    # X = I3, Y = diag(3, 2, 1), gamma = 1.5: M* = diag(1.5, 0.5, 0), P* = 1/2 (9 + 4 + 1) - 1/2 (2.25 + 0.25)
    X, Y = np.eye(3), np.diag([3.0, 2.0, 1.0])
    M_star = np.diag([1.5, 0.5, 0.0])
    res = linear.solve(X, Y, depth, 1.5, tol=1e-10)
    assert res.certified is True and res.certified_by == "exact" and res.status == "converged"
    assert map_error(res, X, M_star) <= 1e-9
    np.testing.assert_allclose(res.M, M_star, atol=1e-12)
    assert res.primal_value == pytest.approx(5.75, rel=1e-14)
    assert res.relative_gap <= 1e-10 and res.gap <= 1e-10 * 5.75
    # the literal certificate: primal from the returned weights, dual from the returned Lambda
    assert ref.primal_objective(res.weights, X, Y, 1.5) == pytest.approx(res.primal_value, rel=1e-14)
    assert ref.dual_objective(res.Lambda, X, Y, 3) == pytest.approx(res.dual_value, rel=1e-14)
    assert np.linalg.norm(res.Lambda, 2) <= 1.5 * (1 + 1e-12)


@pytest.mark.parametrize(
    "n,d0,dH,widths,frac,form",
    [
        (40, 7, 5, (5,), 0.4, "reduced"),
        (40, 7, 5, (2, 5), 0.1, "reduced"),  # binding bottleneck
        (30, 12, 6, (6, 6), 0.7, "diagonal"),
        (9, 20, 4, (4,), 0.2, "reduced"),  # n < d0
    ],
)
def test_map_exact_on_random_cases(n, d0, dH, widths, frac, form):
    rng = np.random.default_rng(20261204 + n + d0)
    X = rng.standard_normal((n, d0))
    Y = X @ rng.standard_normal((d0, dH)) + 0.5 * rng.standard_normal((n, dH))
    s = linear.solve(X, Y, 2, 0.0, method="closed").s
    gamma = frac * s[0]
    k = min(n, d0, dH, *widths)
    M_star = closed_map(X, Y, gamma, k)
    res = linear.solve(X, Y, len(widths) + 1, gamma, widths, form=form)
    assert res.certified and res.certified_by == "exact"
    assert map_error(res, X, M_star) <= 1e-9
    # the reference DR (full form) with the same exact finish agrees
    dr = ref.douglas_rachford(X, Y, gamma, k, form="full")
    assert dr["certified"] == "exact"
    assert np.linalg.norm(dr["M"] - M_star) <= 1e-9 * np.linalg.norm(M_star)


def test_map_without_exact_finish_is_only_sqrt_tol_accurate():
    # what the exact finish fixes: the DR candidate itself is ~sqrt(tol) off M*
    X, Y = np.eye(3), np.diag([3.0, 2.0, 1.0])
    dr = ref.douglas_rachford(X, Y, 1.5, 3, form="full", exact=False)
    err = np.linalg.norm(dr["M"] - np.diag([1.5, 0.5, 0.0])) / np.linalg.norm([1.5, 0.5])
    assert 1e-7 < err < 1e-3


def test_tie_at_the_cut_off_still_certified():
    # s_1 = s_2 = 2 > gamma = 1 with k = 1: M* is not unique; the objective is certified and the map is an
    # optimal one: rank 1, value P* = 1/2 (4 + 4) - 1/2 = 3.5
    X, Y = np.eye(2), np.diag([2.0, 2.0])
    res = linear.solve(X, Y, 2, 1.0, widths=[1])
    assert res.certified
    assert res.primal_value == pytest.approx(3.5, rel=1e-9)
    M = product(res.weights, X)
    sv = np.linalg.svd(M, compute_uv=False)
    assert sv[0] == pytest.approx(1.0, rel=1e-4) and sv[1] <= 1e-8


def test_max_iter_warns_and_is_not_certified():
    rng = np.random.default_rng(7)
    X = rng.standard_normal((30, 5))
    Y = rng.standard_normal((30, 4))
    s1 = linear.solve(X, Y, 2, 0.0, method="closed").s[0]
    with pytest.warns(convexify.ConvergenceWarning, match="max_iter = 1 iterations"):
        res = linear.solve(X, Y, 2, 0.9 * s1, max_iter=1, tol=1e-14)
    assert res.status == "max_iter" and res.certified is False and res.iterations == 1
    assert res.relative_gap > 1e-14
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        ok = linear.solve(X, Y, 2, 0.9 * s1)
    assert ok.certified is True and ok.status == "converged"


def test_one_dimensional_target_is_one_column():
    rng = np.random.default_rng(11)
    X = rng.standard_normal((25, 4))
    y = X @ rng.standard_normal(4) + 0.1 * rng.standard_normal(25)
    Y = y[:, None]
    a = linear.solve(X, y, 3, 0.7)
    b = linear.solve(X, Y, 3, 0.7)
    assert a.M.shape == (25, 1) and a.weights[-1].shape == (1, 1)
    assert a.primal_value == pytest.approx(b.primal_value, rel=1e-14)
    # closed form with one output: P* = 1/2||y||^2 - 1/2 (||P_X y|| - gamma)_+^2
    py = X @ np.linalg.lstsq(X, y, rcond=None)[0]
    pstar = 0.5 * y @ y - 0.5 * max(np.linalg.norm(py) - 0.7, 0.0) ** 2
    assert a.optimal_value == pytest.approx(pstar, rel=1e-12)
    assert linear.primal_objective(a.weights, X, y, 0.7) == pytest.approx(pstar, rel=1e-12)
    assert linear.dual_objective(a.Lambda[:, 0], X, y, 0.7, 1) == pytest.approx(pstar, rel=1e-9)
    assert linear.dual_objective(a.Lambda, X, y, 0.7, 1) == pytest.approx(pstar, rel=1e-9)
    t = linear.train_gd(X, y, 2, 0.7, max_iter=300)
    assert t.weights[-1].shape == (1, 1) and t.final_value >= pstar - 1e-9
    assert t.final_value == pytest.approx(pstar, rel=1e-6)
    with pytest.raises(convexify.InputError, match="Y must be 1-D or 2-D"):
        linear.solve(X, np.zeros((25, 1, 1)), 2, 0.7)


def _scale_data():
    rng = np.random.default_rng(20261204)
    return rng.standard_normal((30, 6)), rng.standard_normal((30, 4))


@pytest.mark.parametrize("scale", [1e-300, 1e-155, 1.0, 1e150, 1e300])
@pytest.mark.parametrize("method", ["dr", "closed"])
def test_scaling_X_leaves_everything_unchanged(scale, method):
    X, Y = _scale_data()
    base = linear.solve(X, Y, 2, 0.5, method=method)
    res = linear.solve(scale * X, Y, 2, 0.5, method=method)
    assert base.optimal_value == pytest.approx(ref.closed_form(X, Y, 0.5, 4)["value"], rel=1e-12)
    assert res.status == "converged" and res.certified
    for f in ("primal_value", "dual_value", "optimal_value"):
        assert getattr(res, f) == pytest.approx(getattr(base, f), rel=1e-12), f
    assert res.r == base.r and res.rY == base.rY
    np.testing.assert_allclose(res.M, base.M, rtol=0, atol=1e-12 * np.abs(base.M).max())
    np.testing.assert_allclose(res.Lambda, base.Lambda, rtol=0, atol=1e-12 * np.abs(base.Lambda).max())
    np.testing.assert_allclose(product(res.weights, scale * X), base.M, atol=1e-12 * np.abs(base.M).max())
    # the first layer absorbs the scale
    W1 = base.weights[0]
    np.testing.assert_allclose(res.weights[0] * scale, W1, atol=1e-12 * np.abs(W1).max())


@pytest.mark.parametrize("scale", [1e-300, 1e-155, 1.0, 1e150, 1e300])
def test_scaling_Y_and_gamma_scales_values_by_the_square(scale):
    X, Y = _scale_data()
    base = linear.solve(X, Y, 2, 0.5)
    if scale in (1e-300, 1e-155, 1e300):
        # ||Y||_F^2 leaves float64's normal range: every value would under- or overflow
        with pytest.raises(convexify.InputError, match=r"Y: \|\|Y\|\|_F\^2 = 2\^.* outside float64's normal"):
            linear.solve(X, scale * Y, 2, 0.5 * scale)
        return
    res = linear.solve(X, scale * Y, 2, 0.5 * scale)
    assert res.certified and res.certified_by == base.certified_by
    for f in ("primal_value", "dual_value", "optimal_value"):
        assert getattr(res, f) / scale**2 == pytest.approx(getattr(base, f), rel=1e-12), f
    np.testing.assert_allclose(res.M / scale, base.M, atol=1e-12 * np.abs(base.M).max())
    np.testing.assert_allclose(res.Lambda / scale, base.Lambda, atol=1e-12 * np.abs(base.Lambda).max())
    np.testing.assert_allclose(res.s / scale, base.s, rtol=1e-12)


def test_subnormal_data_is_rejected():
    X, Y = _scale_data()
    with pytest.raises(convexify.InputError, match="X: its largest absolute entry .* subnormal"):
        linear.solve(1e-310 * X, Y, 2, 0.5)
    with pytest.raises(convexify.InputError, match="Y: its largest absolute entry .* subnormal"):
        linear.solve(X, 1e-310 * Y, 2, 0.5)
    with pytest.raises(convexify.InputError, match="X: its largest absolute entry .* subnormal"):
        linear.train_gd(1e-310 * X, Y, 2, 0.5)


def test_train_gd_on_huge_targets_raises_input_error():
    X, Y = _scale_data()
    with pytest.raises(convexify.InputError, match=r"Y: \|\|Y\|\|_F\^2"):
        linear.train_gd(X, 1e300 * Y, 2, 0.5)
    # a blown-up gradient step is a DivergenceError, never numpy's LinAlgError
    with pytest.raises(convexify.DivergenceError, match="non-finite"):
        linear.train_gd(X, 1e150 * Y, 2, 0.5, method="gd", lr=1e300, max_iter=3, init_scale=1e100)


def test_integers_beyond_c_int_are_input_errors():
    X, Y = _scale_data()
    with pytest.raises(convexify.InputError, match="depth must be <= 2147483647"):
        linear.solve(X, Y, 2**31, 0.5)
    with pytest.raises(convexify.InputError, match="max_iter must be <= 2147483647"):
        linear.solve(X, Y, 2, 0.5, max_iter=2**63)
    with pytest.raises(convexify.InputError, match=r"widths\[0\] must be <= 2147483647"):
        linear.solve(X, Y, 2, 0.5, widths=[2**40])
    with pytest.raises(convexify.InputError, match="k must be <= 2147483647"):
        linear.prox_topk(np.array([3.0, 1.0]), k=2**63)
    with pytest.raises(convexify.InputError, match="k must be <= 2147483647"):
        linear.dual_objective(np.zeros_like(Y), X, Y, 0.5, 2**31)
    with pytest.raises(convexify.InputError, match="max_iter must be <= 2147483647"):
        linear.train_gd(X, Y, 2, 0.5, max_iter=2**63)
    with pytest.raises(convexify.InputError, match="depth must be <= 2147483647"):
        linear.train_gd(X, Y, 2**31, 0.5)
