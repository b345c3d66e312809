"""Lens 1 (deep linear networks): C++ solver against the numpy reference, the closed form and the theory."""

from __future__ import annotations

import math

import numpy as np
import pytest

import convexify
from convexify import linear
from convexify.reference import linear as ref

REL = 1e-9


def rel(a: float, b: float) -> float:
    return abs(a - b) / max(1.0, abs(b))


def make_data(rng, n, d0, dH, noise=0.3, rank=None):
    X = rng.standard_normal((n, d0))
    if rank is not None:
        X = X[:, :rank] @ rng.standard_normal((rank, d0))
    B = rng.standard_normal((d0, dH))
    return X, X @ B + noise * rng.standard_normal((n, dH))


def closed_value(X, Y, gamma, k):
    return ref.closed_form(X, Y, gamma, k)["value"]


CASES = [
    # (n, d0, dH, widths, gamma_fraction_of_s1)
    (60, 8, 5, (5,), 0.05),  # gamma below sigma_min(Ytilde)
    (60, 8, 5, (5, 5), 0.5),  # gamma between singular values
    (60, 8, 5, (5, 5, 5), 1.5),  # gamma >= s_1: all weights zero
    (60, 8, 5, (2, 7), 0.1),  # binding bottleneck
    (7, 20, 4, (4,), 0.3),  # n < d0
    (40, 40, 6, (3, 4), 0.2),  # square X
]


@pytest.mark.parametrize("n,d0,dH,widths,frac", CASES)
@pytest.mark.parametrize("method", ["dr", "closed"])
def test_solve_matches_closed_form_and_reference(rng, n, d0, dH, widths, frac, method):
    X, Y = make_data(rng, n, d0, dH)
    s1 = np.linalg.svd(ref.closed_form(X, Y, 0.0, 1)["Ytilde"], compute_uv=False)[0]
    gamma = frac * s1
    depth = len(widths) + 1
    res = linear.solve(X, Y, depth, gamma, widths, method=method)
    k = min(n, d0, dH, *widths)
    assert res.k == k
    pstar = closed_value(X, Y, gamma, k)
    assert rel(res.optimal_value, pstar) < 1e-12
    assert rel(res.primal_value, pstar) < REL
    assert rel(res.dual_value, pstar) < REL
    assert abs(res.gap) <= REL * max(1.0, pstar)
    assert res.converged and res.status == "converged"
    assert res.recovery_error < REL
    # the returned weights, evaluated by the independent numpy objective
    assert rel(ref.primal_objective(res.weights, X, Y, gamma), pstar) < REL
    assert rel(ref.dual_objective(res.Lambda, X, Y, k), pstar) < REL
    # shapes (d_i, d_{i-1})
    dims = (d0, *widths, dH)
    assert [W.shape for W in res.weights] == [(dims[i + 1], dims[i]) for i in range(depth)]
    # feasibility of Lambda and product M
    assert np.linalg.norm(res.Lambda, 2) <= gamma * (1 + 1e-12) + 1e-12
    prod = X
    for W in res.weights:
        prod = prod @ W.T
    np.testing.assert_allclose(prod, res.M, atol=1e-9 * max(1.0, np.abs(res.M).max()))
    if method == "closed":
        assert res.iterations == 0 and len(res.history) == 0 and res.certified_by == "closed"
        assert res.certified is True
    else:
        ref_res = ref.solve(X, Y, depth, gamma, widths, form="full")
        assert rel(res.primal_value, ref_res["primal_value"]) < REL
        assert rel(res.dual_value, ref_res["dual_value"]) < REL
        assert res.iterations == ref_res["iterations"]
        assert len(res.history) == res.iterations + 1
        assert res.history.gap[-1] <= 1e-10
    if frac >= 1.0:
        assert all(np.all(W == 0) for W in res.weights)
        assert rel(res.primal_value, 0.5 * np.sum(Y**2)) < 1e-12


def test_gap_zero_for_every_gamma_including_above_sigma_min(rng):
    X, Y = make_data(rng, 80, 10, 6)
    s = np.linalg.svd(ref.closed_form(X, Y, 0.0, 1)["Ytilde"], compute_uv=False)[:6]
    for gamma in [0.0, 0.5 * s[-1], s[-1], 0.5 * (s[-1] + s[-2]), 0.5 * (s[0] + s[1]), s[0], 2 * s[0]]:
        for depth in (2, 3, 5):
            res = linear.solve(X, Y, depth, gamma)
            assert res.converged
            assert abs(res.gap) <= REL * max(1.0, res.optimal_value), (gamma, depth, res.gap)
            assert rel(res.primal_value, res.optimal_value) < REL


def test_rank_deficient_X(rng):
    X, Y = make_data(rng, 50, 12, 5, rank=4)
    res = linear.solve(X, Y, 3, 1.0)
    assert res.r == 4 and res.rY == 4
    assert rel(res.primal_value, closed_value(X, Y, 1.0, res.k)) < REL
    assert abs(res.gap) <= REL * res.optimal_value
    # Lambda lies in range(X)
    Q, _ = np.linalg.qr(X[:, :4])
    np.testing.assert_allclose(Q @ (Q.T @ res.Lambda), res.Lambda, atol=1e-10)


def test_X_zero():
    X = np.zeros((6, 3))
    Y = np.arange(12.0).reshape(6, 2)
    for method in ("dr", "closed"):
        res = linear.solve(X, Y, 2, 0.5, method=method)
        assert res.r == 0 and res.rY == 0
        assert res.primal_value == pytest.approx(0.5 * np.sum(Y**2), rel=1e-14)
        assert res.dual_value == pytest.approx(0.5 * np.sum(Y**2), rel=1e-14)
        assert np.all(res.Ytilde == 0) and np.all(res.Lambda == 0)
        assert res.iterations == 0


def test_ambiguous_dual_optimum_example():
    # docs/linear.md#dual: X = I_2, Ytilde = diag(4, 3), k = 1, gamma = 1 -> P* = 8.
    X, Y = np.eye(2), np.diag([4.0, 3.0])
    for method in ("dr", "closed"):
        res = linear.solve(X, Y, 2, 1.0, widths=[1], method=method)
        assert res.primal_value == pytest.approx(8.0, rel=1e-12)
        assert res.dual_value == pytest.approx(8.0, rel=1e-12)
    # L' = diag(1, 0) is dual-optimal, but svd_1(Ytilde - L') = svd_1(diag(3, 3)) is ambiguous and the wrong
    # branch M = diag(0, 3) has primal value 11.
    Lp = np.diag([1.0, 0.0])
    assert linear.dual_objective(Lp, X, Y, 1.0, 1) == pytest.approx(8.0, rel=1e-14)
    wrong = [np.array([[0.0, np.sqrt(3.0)]]), np.array([[0.0], [np.sqrt(3.0)]])]
    assert linear.primal_objective(wrong, X, Y, 1.0) == pytest.approx(11.0, rel=1e-14)


def test_prox_topk_example_and_optimality(rng):
    np.testing.assert_allclose(linear.prox_topk([4.0, 3.0, 1.0], 1, 1.0), [7 / 3, 7 / 3, 1.0], rtol=1e-15)
    np.testing.assert_allclose(ref.prox_topk(np.array([4.0, 3.0, 1.0]), 1, 1.0), [7 / 3, 7 / 3, 1.0])
    # the naive rule is worse: compare objective values of the prox problem
    from scipy.optimize import minimize

    for _ in range(20):
        m = int(rng.integers(1, 8))
        k = int(rng.integers(0, m + 1))
        t = float(rng.uniform(0.1, 4.0))
        v = rng.standard_normal(m) * 3
        if rng.random() < 0.3 and m > 1:
            v[1] = -v[0]  # ties
        x = linear.prox_topk(v, k, t)
        np.testing.assert_allclose(x, ref.prox_topk(v, k, t), atol=1e-14)

        def obj(y, v=v, k=k, t=t):
            return 0.5 * np.sum((y - v) ** 2) + 0.5 * t * np.sum(np.sort(y**2)[::-1][:k])

        best = minimize(obj, x, method="Nelder-Mead", options={"xatol": 1e-10, "fatol": 1e-14}).fun
        assert obj(x) <= best + 1e-10
        for _ in range(5):  # local optimality against perturbations
            assert obj(x) <= obj(x + 1e-4 * rng.standard_normal(m)) + 1e-14


def test_dr_exact_behaviour_t1(rng):
    # docs/linear.md#dr: t = 1, k >= rY, z0 = 0 -> z_j = (1 - 2^-j) s and DR is exact after j* iterations.
    X, Y = make_data(rng, 50, 6, 4)
    s = np.linalg.svd(ref.closed_form(X, Y, 0.0, 1)["Ytilde"], compute_uv=False)[:4]
    for frac in (0.0, 0.3, 0.5, 0.7, 0.9, 0.99):
        gamma = frac * s[-1]
        jstar = 0 if gamma == 0 else math.ceil(math.log2(s[-1] / (s[-1] - gamma)))
        res = linear.solve(X, Y, 2, gamma, t=1.0)
        assert res.iterations == jstar, (frac, res.iterations, jstar)


def test_bottleneck_differs_from_nuclear_relaxation(rng):
    X, Y = make_data(rng, 60, 8, 5)
    gamma = 1.0
    res = linear.solve(X, Y, 3, gamma, widths=[2, 8])
    s = res.s
    relax = 0.5 * np.sum(Y**2) - 0.5 * np.sum(np.maximum(s - gamma, 0) ** 2)
    assert res.k == 2 and np.sum(s > gamma) > 2
    assert res.primal_value > relax + 1.0  # the convex relaxation without rank bound is strictly lower
    assert abs(res.gap) <= REL * res.optimal_value
    # t = 2 helps with a binding bottleneck
    r2 = linear.solve(X, Y, 3, gamma, widths=[2, 8], t=2.0)
    assert r2.converged and rel(r2.primal_value, res.optimal_value) < REL


def test_invariances(rng):
    X, Y = make_data(rng, 40, 7, 4)
    gamma = 2.0
    base = linear.solve(X, Y, 3, gamma)
    Qf, _ = np.linalg.qr(rng.standard_normal((7, 7)))  # feature rotation
    Qo, _ = np.linalg.qr(rng.standard_normal((4, 4)))  # output rotation
    Qs, _ = np.linalg.qr(rng.standard_normal((40, 40)))  # sample rotation
    for Xt, Yt in [(X @ Qf, Y), (X, Y @ Qo), (Qs @ X, Qs @ Y)]:
        res = linear.solve(Xt, Yt, 3, gamma)
        assert rel(res.primal_value, base.primal_value) < REL
        np.testing.assert_allclose(res.s, base.s, rtol=1e-10)
    # scaling: P*(cX, cY, c*gamma) = c^2 P*(X, Y, gamma)
    res = linear.solve(3 * X, 3 * Y, 3, 3 * gamma)
    assert rel(res.primal_value, 9 * base.primal_value) < REL
    # rotating the hidden layer of the returned weights keeps the objective
    R, _ = np.linalg.qr(rng.standard_normal((4, 4)))
    W = base.weights
    rotated = [R @ W[0], R @ W[1] @ R.T, W[2] @ R.T]
    assert rel(linear.primal_objective(rotated, X, Y, gamma), base.primal_value) < 1e-12


def test_objectives_match_reference(rng):
    X, Y = make_data(rng, 30, 6, 4)
    dims = (6, 5, 3, 4)
    Ws = [rng.standard_normal((dims[i + 1], dims[i])) for i in range(3)]
    for gamma in (0.0, 0.7):
        assert rel(linear.primal_objective(Ws, X, Y, gamma), ref.primal_objective(Ws, X, Y, gamma)) < 1e-13
    L = ref.closed_form(X, Y, 0.8, 3)["Lambda"] * 0.9
    assert rel(linear.dual_objective(L, X, Y, 0.8, 3), ref.dual_objective(L, X, Y, 3)) < 1e-13


def test_weak_duality_random_feasible(rng):
    X, Y = make_data(rng, 30, 5, 4)
    gamma = 1.5
    pstar = linear.solve(X, Y, 2, gamma).optimal_value
    Ux, _, _ = ref.range_basis(X)
    for _ in range(10):
        L = Ux @ rng.standard_normal((5, 4))
        L *= gamma / np.linalg.norm(L, 2)
        assert linear.dual_objective(L, X, Y, gamma, 4) <= pstar + 1e-10


def test_dual_objective_rejects_infeasible(rng):
    X, Y = make_data(rng, 20, 4, 3)
    L = ref.closed_form(X, Y, 1.0, 3)["Lambda"]
    with pytest.raises(ValueError, match="spectral norm"):
        linear.dual_objective(1.01 * L, X, Y, 1.0, 3)
    out = rng.standard_normal((20, 3))
    with pytest.raises(ValueError, match="range"):
        linear.dual_objective(1e-3 * out, X, Y, 1.0, 3)
    with pytest.raises(ValueError, match="Lambda"):
        linear.dual_objective(L[:5], X, Y, 1.0, 3)


def test_warm_start_and_shadow_recovery(rng):
    # random warm starts can lead to non-canonical dual optima; the certified weights must still be optimal
    X, Y = np.eye(2), np.diag([4.0, 3.0])
    for _ in range(10):
        z0 = rng.standard_normal((2, 2)) * 3
        res = linear.solve(X, Y, 2, 1.0, widths=[1], z0=z0)
        assert res.primal_value == pytest.approx(8.0, rel=1e-9)
        assert res.certified_by in ("svd", "shadow", "exact") and res.certified is True
    X, Y = make_data(rng, 40, 6, 5)
    res = linear.solve(X, Y, 3, 2.0, widths=[2, 3], z0=rng.standard_normal((40, 5)))
    assert res.converged and rel(res.primal_value, res.optimal_value) < REL


def test_max_iter_status(rng):
    X, Y = make_data(rng, 40, 6, 5)
    s1 = np.linalg.svd(ref.closed_form(X, Y, 0.0, 1)["Ytilde"], compute_uv=False)[0]
    with pytest.warns(convexify.ConvergenceWarning, match=r"max_iter = 2 iterations .* relative gap reached"):
        res = linear.solve(X, Y, 2, 0.6 * s1, max_iter=2)
    assert res.status == "max_iter" and not res.converged and res.iterations == 2
    assert res.certified is False
    # the certificate is still an upper/lower bracket
    assert res.primal_value >= res.optimal_value - 1e-9 and res.dual_value <= res.optimal_value + 1e-9


def test_train_gd_never_below_certified_optimum(rng):
    X, Y = make_data(rng, 40, 6, 4)
    for gamma, widths in [(0.5, None), (3.0, (2, 6))]:
        opt = linear.solve(X, Y, 3, gamma, widths)
        for method in ("lbfgs", "gd"):
            for seed in (0, 1):
                tr = linear.train_gd(X, Y, 3, gamma, widths, method=method, seed=seed, max_iter=150)
                assert tr.final_value >= opt.optimal_value * (1 - 1e-10)
                assert np.all(tr.losses >= opt.optimal_value * (1 - 1e-10))
                assert rel(tr.final_value, ref.primal_objective(tr.weights, X, Y, gamma)) < 1e-10
                if method == "gd":
                    assert np.all(np.diff(tr.losses) <= 1e-12 * tr.losses[0])
        # L-BFGS reaches the optimum on these small problems
        tr = linear.train_gd(X, Y, 3, gamma, widths, seed=3, max_iter=2000)
        assert tr.final_value <= opt.optimal_value * (1 + 1e-4)


def test_train_gd_gradient(rng):
    from convexify.linear._baseline import _objective_and_grad

    X, Y = make_data(rng, 10, 4, 3)
    Ws = [rng.standard_normal(s) for s in [(3, 4), (5, 3), (3, 5)]]
    v, g = _objective_and_grad(Ws, X, Y, 0.7)
    for i in range(3):
        D = rng.standard_normal(Ws[i].shape)
        h = 1e-6
        plus = [W + (h * D if j == i else 0) for j, W in enumerate(Ws)]
        minus = [W - (h * D if j == i else 0) for j, W in enumerate(Ws)]
        fd = (_objective_and_grad(plus, X, Y, 0.7)[0] - _objective_and_grad(minus, X, Y, 0.7)[0]) / (2 * h)
        assert fd == pytest.approx(np.sum(g[i] * D), rel=1e-6)


@pytest.mark.parametrize(
    "widths,frac,t", [((6,), 0.3, 1.0), ((2, 6), 0.2, 1.0), ((3,), 0.1, 2.0), ((6,), 2.0, 0.5)]
)
def test_diagonal_form_has_identical_iterates(rng, widths, frac, t):
    X, Y = make_data(rng, 50, 8, 6)
    s1 = linear.solve(X, Y, 2, 0.0, method="closed").s[0]
    depth = len(widths) + 1
    a = linear.solve(X, Y, depth, frac * s1, widths, t=t, form="reduced")
    b = linear.solve(X, Y, depth, frac * s1, widths, t=t, form="diagonal")
    assert a.iterations == b.iterations and a.certified_by == b.certified_by and a.certified == b.certified
    np.testing.assert_allclose(a.history.dual, b.history.dual, rtol=1e-12)
    np.testing.assert_allclose(a.history.primal, b.history.primal, rtol=1e-12)
    assert rel(a.primal_value, b.primal_value) < 1e-12
    np.testing.assert_allclose(a.M, b.M, atol=1e-9)
    np.testing.assert_allclose(a.Lambda, b.Lambda, atol=1e-9)
    with pytest.raises(ValueError, match="z0"):
        linear.solve(X, Y, depth, 1.0, widths, form="diagonal", z0=np.zeros_like(Y))


@pytest.mark.parametrize("widths", [(3,), (1, 3)])
def test_warm_start_matches_reference(rng, widths):
    # r = 20 > 2 dH: the C++ loop runs in a basis of range([yr, z0]) (6-dim); the iterates must be the same
    X, Y = make_data(rng, 60, 20, 3)
    z0 = rng.standard_normal((60, 3)) * 5
    depth = len(widths) + 1
    k = min(widths)
    res = linear.solve(X, Y, depth, 4.0, widths, z0=z0)
    dr = ref.douglas_rachford(X, Y, 4.0, k, z0=z0, form="full")
    assert res.iterations == dr["iterations"] and res.certified_by == dr["certified"]
    np.testing.assert_allclose(res.history.dual, dr["history"]["dual"], rtol=1e-10)
    np.testing.assert_allclose(res.history.gap[:-1], dr["history"]["gap"][:-1], rtol=1e-6, atol=1e-12)
    np.testing.assert_allclose(res.Lambda, dr["Lambda"], atol=1e-9)
    assert rel(res.primal_value, res.optimal_value) < REL


@pytest.mark.parametrize("form", ["reduced", "diagonal"])
def test_on_divergence_raise_warn_flag(form, monkeypatch):
    import types
    import warnings

    from convexify import DivergenceError, DivergenceWarning
    from convexify.linear import _solve

    # ||Y||_F^2 overflows: this used to reach DR and diverge at iteration 0; now rejected up front
    X, Y = np.eye(3), np.diag([3.0, 2.0, 1.0]) * 1e160
    with pytest.raises(convexify.InputError, match=r"Y: \|\|Y\|\|_F\^2 = 2\^.* outside float64's normal"):
        linear.solve(X, Y, 2, 1.0, form=form)
    # a core run that reports a non-finite iterate at iteration 0 (no data reaches one any more)
    real = _solve._core()

    class Diverged:
        status, converged, certified, iterations = "diverged", False, False, 0
        dual_value = float("nan")

        def __init__(self, res):
            self._res = res

        def __getattr__(self, name):
            return getattr(self._res, name)

    fake = types.SimpleNamespace(linear_solve=lambda *a: Diverged(real.linear_solve(*a)))
    monkeypatch.setattr(_solve, "_core", lambda: fake)
    Y = np.diag([3.0, 2.0, 1.0])
    with pytest.raises(DivergenceError, match="non-finite iterate at iteration 0"):
        linear.solve(X, Y, 2, 1.0, form=form)
    with pytest.warns(DivergenceWarning, match="non-finite iterate at iteration 0"):
        warned = linear.solve(X, Y, 2, 1.0, form=form, on_divergence="warn")
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        flagged = linear.solve(X, Y, 2, 1.0, form=form, on_divergence="flag")
    for res in (warned, flagged):
        assert res.status == "diverged" and not res.converged and res.iterations == 0
        assert not np.isfinite(res.dual_value) and res.certified is False


def test_local_train_result_and_backward_compatible_alias(rng):
    X, Y = make_data(rng, 20, 4, 3)
    tr = linear.train_gd(X, Y, 2, 0.5, seed=0, max_iter=20)
    assert isinstance(tr, linear.LocalTrainResult)
    assert linear.TrainResult is linear.LocalTrainResult
    assert "LocalTrainResult" in linear.__all__ and "TrainResult" in linear.__all__
    assert tr.method == "lbfgs" and tr.seed == 0 and tr.final_value <= tr.losses[0]


def test_solution_fields_come_from_the_bound_core_result(rng):
    import dataclasses

    from convexify import _core

    X, Y = make_data(rng, 30, 5, 4)
    res = linear.solve(X, Y, 3, 0.7, (4, 2))
    core = _core.linear_solve(X, Y, [4, 2], 0.7, "dr", 1.0, 1e-10, 10_000, None, True, "reduced")
    assert type(core).__name__ == "LinearSolveResult" and type(core.history).__name__ == "LinearDrHistory"
    settings = {"depth", "gamma", "widths", "method", "t", "history"}
    for f in dataclasses.fields(linear.LinearSolution):
        if f.name in settings:
            continue
        ours, theirs = getattr(res, f.name), getattr(core, f.name)
        if f.name == "weights":
            assert len(ours) == len(theirs) == 3
            for a, b in zip(ours, theirs):
                np.testing.assert_array_equal(a, b)
                assert a.flags.writeable
        elif isinstance(ours, np.ndarray):
            np.testing.assert_array_equal(ours, theirs)
            assert ours.flags.writeable
        else:
            assert ours == theirs and type(ours) is type(theirs), f.name
    for name in ("dual", "primal_svd", "primal_shadow", "gap"):
        np.testing.assert_array_equal(getattr(res.history, name), getattr(core.history, name))
        assert getattr(res.history, name).dtype == np.float64
    assert res.gap == res.primal_value - res.dual_value
    assert res.recovery_error == abs(res.primal_value - res.optimal_value) / max(1.0, res.optimal_value)
    assert (res.depth, res.gamma, res.widths, res.method, res.t) == (3, 0.7, (4, 2), "dr", 1.0)


@pytest.mark.parametrize(
    "n,d0,dH,widths,frac,t",
    [
        (60, 8, 5, (5,), 0.3, 1.0),
        (60, 8, 5, (2, 5), 0.1, 2.0),
        (9, 20, 4, (4,), 0.5, 1.0),
        (50, 6, 6, (6,), 1.2, 1.0),
    ],
)
def test_numpy_reduced_dr_baseline_reaches_closed_form(n, d0, dH, widths, frac, t):
    rng = np.random.default_rng(1000 * n + d0)
    X, Y = make_data(rng, n, d0, dH)
    s1 = np.linalg.svd(ref.closed_form(X, Y, 0.0, 1)["Ytilde"], compute_uv=False)[0]
    gamma = frac * s1
    depth = len(widths) + 1
    k = min(n, d0, dH, *widths)
    pstar = closed_value(X, Y, gamma, k)
    out = ref.solve_dr_reduced(X, Y, depth, gamma, widths, t=t)
    assert out["converged"] and out["k"] == k and out["gap"] <= 1e-10
    assert rel(out["primal_value"], pstar) < REL
    assert rel(out["dual_value"], pstar) < REL
    assert out["dual_value"] <= pstar + 1e-9 * max(1.0, pstar)
    assert np.linalg.norm(out["Lambda"], 2) <= gamma * (1 + 1e-12) + 1e-12
    # same iterates as the core's reduced form: same iteration count
    assert out["iterations"] == linear.solve(X, Y, depth, gamma, widths, t=t).iterations
    # k given directly instead of depth/widths
    assert rel(ref.solve_dr_reduced(X, Y, 2, gamma, k=k, t=t)["dual_value"], pstar) < REL
