"""Lens 5: the ReLU (cone-constrained) convex program by ADMM, against cvxpy/Clarabel, its certificate, the
network it is, lam_max, weak duality, and the estimators with formulation='relu'."""

from __future__ import annotations

import numpy as np
import pytest

from convexify import ConvergenceWarning, InputError, convex_nn
from convexify.reference import convex_nn as ref


def _data(seed, n=15, d=1, labels=False):
    rng = np.random.default_rng(seed)
    X = np.hstack([rng.standard_normal((n, d)), np.ones((n, 1))])
    y = np.sin(2 * X[:, 0]) + 0.1 * rng.standard_normal(n)
    return X, (np.where(y > 0, 1.0, -1.0) if labels else y)


def _relu_solve(X, y, lam, loss="squared", **kw):
    kw = {"patterns": "all", "tol": 1e-8, "max_iter": 200000, **kw}
    return convex_nn.solve(X, y, lam, formulation="relu", loss=loss, **kw)


@pytest.mark.parametrize("loss", ["squared", "logistic", "squared_hinge"])
@pytest.mark.parametrize("seed,n,d", [(0, 15, 1), (1, 10, 2)])
def test_relu_optimum_matches_cvxpy_on_enumerated_patterns(loss, seed, n, d):
    X, y = _data(seed, n=n, d=d, labels=loss != "squared")
    lam = 0.01
    r = _relu_solve(X, y, lam, loss)
    p_ref = ref.relu(X, y, r.masks, lam, loss)
    c = r.certificate
    assert c.scope == "global" and c.certified and r.formulation == "relu"
    assert c.dual <= p_ref + 1e-7
    assert abs(c.primal - p_ref) <= 2e-7 * max(1, abs(p_ref))
    assert c.gap <= 1e-8 * max(1, c.primal)
    assert r.cone_violation <= 1e-6
    np.testing.assert_array_equal(r.U, r.V - r.W)


@pytest.mark.parametrize("loss", ["squared", "logistic"])
def test_relu_program_lies_above_the_gated_relaxation(loss):
    X, y = _data(2, n=12, labels=loss != "squared")
    lam = 0.02
    g = convex_nn.solve(X, y, lam, loss=loss, patterns="all", tol=1e-9, max_iter=100000)
    r = _relu_solve(X, y, lam, loss)
    # ||v - w|| <= ||v|| + ||w||: every ReLU point is a gated point of no larger objective
    assert g.certificate.dual <= r.certificate.dual + 1e-9
    assert g.certificate.primal <= r.certificate.primal + 1e-9


def test_relu_solution_is_the_network_it_reports():
    X, y = _data(3, n=20)
    lam = 0.005
    r = _relu_solve(X, y, lam)
    W1, a = convex_nn.relu_network(r.V, r.W)
    n_neurons = int((np.linalg.norm(r.V, axis=1) > 0).sum() + (np.linalg.norm(r.W, axis=1) > 0).sum())
    assert W1.shape == (n_neurons, 2) and 0 < n_neurons < 2 * r.masks.shape[1]  # pruned
    obj = convex_nn.network_objective(X, y, W1, a, lam)
    assert obj == pytest.approx(r.certificate.primal, rel=1e-12)
    model = np.maximum(X @ r.V.T, 0).sum(1) - np.maximum(X @ r.W.T, 0).sum(1)
    np.testing.assert_allclose(np.maximum(X @ W1.T, 0) @ a, model, rtol=1e-12, atol=1e-14)
    # balanced weights: the weight decay of each neuron equals lam ||v||
    assert 0.5 * (np.sum(W1**2) + np.sum(a**2)) == pytest.approx(
        np.linalg.norm(r.V, axis=1).sum() + np.linalg.norm(r.W, axis=1).sum(), rel=1e-12
    )


def test_relu_global_dual_bounds_every_network():
    X, y = _data(4, n=12)
    lam = 0.01
    r = _relu_solve(X, y, lam)
    rng = np.random.default_rng(0)
    for width in (1, 3, 10, 50):
        for _ in range(5):
            W1 = rng.standard_normal((width, 2))
            a = rng.standard_normal(width)
            assert convex_nn.network_objective(X, y, W1, a, lam) >= r.certificate.dual - 1e-12
    # a network trained by gradient descent from the convex solution's neighbourhood stays above the bound
    W1, a = convex_nn.relu_network(r.V, r.W)
    W1 = W1 + 0.01 * rng.standard_normal(W1.shape)
    assert convex_nn.network_objective(X, y, W1, a, lam) >= r.certificate.dual


def test_relu_lam_max_gives_exact_zero():
    X, y = _data(5)
    M = convex_nn.enumerate_patterns(X)
    lm = convex_nn.lam_max(X, y, M)
    r = _relu_solve(X, y, lm * 1.01)
    assert np.all(r.V == 0) and np.all(r.W == 0)
    assert r.certificate.primal == pytest.approx(0.5 * np.mean(y**2), rel=1e-14)
    assert 0 <= r.certificate.gap <= 1e-12
    r2 = _relu_solve(X, y, lm * 0.5, tol=1e-6)
    assert np.any(r2.V != 0) or np.any(r2.W != 0)


def test_relu_is_deterministic_and_scale_equivariant():
    X, y = _data(6, n=30, d=3)
    a = convex_nn.solve(X, y, 0.01, formulation="relu", n_patterns=20, tol=1e-6, random_state=1)
    b = convex_nn.solve(X, y, 0.01, formulation="relu", n_patterns=20, tol=1e-6, random_state=1)
    assert np.array_equal(a.V, b.V) and a.certificate == b.certificate
    # squared loss, y -> c y and lam -> c lam: every ADMM iterate scales by c (the objective by c^2), bit for
    # bit when c is a power of two
    c = 2.0**300
    kw = {"formulation": "relu", "n_patterns": 20, "tol": 0.0, "max_iter": 3000, "random_state": 1}
    with pytest.warns(ConvergenceWarning):
        s = convex_nn.solve(X, c * y, c * 0.01, **kw)
        a = convex_nn.solve(X, y, 0.01, **kw)
    assert np.array_equal(s.V, c * a.V) and np.array_equal(s.W, c * a.W)
    assert s.certificate.primal == c**2 * a.certificate.primal


def test_relu_estimators():
    rng = np.random.default_rng(0)
    X = rng.standard_normal((60, 1))
    y = np.maximum(X[:, 0] - 0.3, 0) - 0.5 * np.maximum(-X[:, 0], 0)
    est = convex_nn.ConvexReLURegressor(
        formulation="relu", lam=1e-3, patterns="all", tol=1e-8, max_iter=100000
    )
    est.fit(X, y)
    assert est.certificate_.certified and est.certificate_.scope == "global"
    assert est.coef_.shape == (2, est.patterns_.shape[1], 2)
    W1, a = est.to_nonconvex()
    Xb = np.hstack([X, np.ones((60, 1))])
    Xt = rng.standard_normal((40, 1))  # the ReLU network predicts off the training rows too
    Xtb = np.hstack([Xt, np.ones((40, 1))])
    np.testing.assert_allclose(est.predict(Xt), np.maximum(Xtb @ W1.T, 0) @ a, rtol=1e-12, atol=1e-14)
    assert convex_nn.network_objective(Xb, y, W1, a, 1e-3) == pytest.approx(
        est.certificate_.primal, rel=1e-12
    )
    assert est.score(X, y) > 0.98
    clf = convex_nn.ConvexReLUClassifier(
        formulation="relu", lam=1e-2, patterns="all", tol=1e-5, max_iter=50000
    )
    clf.fit(X[:30], X[:30, 0] > 0.2)
    assert clf.certificate_.certified and clf.score(X, X[:, 0] > 0.2) > 0.9


def test_relu_refuses_what_it_cannot_do():
    X, y = _data(0)
    with pytest.raises(InputError, match="formulation"):
        convex_nn.solve(X, y, 0.1, formulation="cone")
    big = np.ones((10001, 2))
    with pytest.raises(InputError, match="10000"):
        convex_nn.solve(big, np.zeros(10001), 0.1, formulation="relu", n_patterns=2)
    with pytest.raises(InputError, match="y"):
        convex_nn.solve(X, y, 0.1, formulation="relu", loss="logistic")
    with pytest.warns(ConvergenceWarning, match="max_iter"):
        r = convex_nn.solve(X, y, 1e-3, formulation="relu", patterns="all", tol=1e-12, max_iter=20)
    assert not r.certificate.certified and r.certificate.gap > 0 and r.n_iter == 20


@pytest.mark.parametrize("formulation", ["gated", "relu"])
def test_threads_do_not_change_the_answer(formulation):
    import warnings

    import convexify

    X, y = _data(7, n=200, d=5)
    # the gated solve to its certificate; the ReLU solve for a fixed 3000 ADMM iterations (tol 0)
    tol, cap = (1e-8, 20000) if formulation == "gated" else (0.0, 3000)
    kw = {"formulation": formulation, "n_patterns": 40, "tol": tol, "max_iter": cap, "random_state": 3}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        with convexify.threads(1):
            one = convex_nn.solve(X, y, 1e-3, **kw)
        with convexify.threads(2):
            two = convex_nn.solve(X, y, 1e-3, **kw)
    assert one.n_iter == two.n_iter
    assert two.certificate.primal == pytest.approx(one.certificate.primal, rel=1e-9)
    assert two.certificate.dual == pytest.approx(one.certificate.dual, rel=1e-9)
    np.testing.assert_allclose(two.U, one.U, rtol=1e-6, atol=1e-9 * np.abs(one.U).max())


def test_weak_duality_against_gradient_trained_networks():
    # networks trained by full-batch gradient descent on the weight-decay objective, from random starts,
    # never beat the global dual bound of either program; the ReLU program's optimum is attained
    X, y = _data(8, n=12)
    lam = 0.01
    gated = convex_nn.solve(X, y, lam, patterns="all", tol=1e-10, max_iter=100000)
    relu = _relu_solve(X, y, lam)
    rng = np.random.default_rng(1)
    best = np.inf
    for _ in range(5):
        W1, a = rng.standard_normal((16, 2)), rng.standard_normal(16) / 4
        for _ in range(3000):
            Z = X @ W1.T
            r = (np.maximum(Z, 0) @ a - y) / len(y)
            ga = np.maximum(Z, 0).T @ r + lam * a
            gW = ((r[:, None] * (Z > 0)) * a).T @ X + lam * W1
            W1, a = W1 - 0.05 * gW, a - 0.05 * ga
        obj = convex_nn.network_objective(X, y, W1, a, lam)
        assert obj >= gated.certificate.dual and obj >= relu.certificate.dual - 1e-12
        best = min(best, obj)
    assert relu.certificate.primal <= best + 1e-9  # the convex solution is at least as good as any of them
