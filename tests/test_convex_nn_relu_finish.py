"""Lens 5: the active-set finish of the ReLU program (after ADMM stops short): certified optimum against
cvxpy/Clarabel for every loss, exact cone feasibility, never worse than ADMM alone, scale equivariance."""

from __future__ import annotations

import warnings

import numpy as np
import pytest

from convexify import ConvergenceWarning, _core, convex_nn
from convexify.convex_nn._solve import make_patterns
from convexify.reference import convex_nn as ref


def _data(seed, loss, n=60, d=4):
    rng = np.random.default_rng(seed)
    X = np.hstack([rng.standard_normal((n, d - 1)), np.ones((n, 1))])
    y = np.sin(2 * X[:, 0]) + X[:, 1] ** 2 + 0.1 * rng.standard_normal(n)
    if loss in ("logistic", "squared_hinge"):
        y = np.where(y > np.median(y), 1.0, -1.0)
    return X, y


def _solve(X, y, lam, loss, seed, **kw):
    kw = {"n_patterns": 30, "tol": 1e-9, "max_iter": 2000, "random_state": seed, **kw}
    with warnings.catch_warnings():
        warnings.simplefilter("error", ConvergenceWarning)  # certified, not stopped at the cap
        return convex_nn.solve(X, y, lam, formulation="relu", loss=loss, **kw)


@pytest.mark.parametrize("loss", ["squared", "logistic", "squared_hinge", "huber"])
@pytest.mark.parametrize("seed", [0, 2])
def test_finish_certifies_the_relu_optimum(loss, seed):
    X, y = _data(seed, loss)
    lam = 0.01
    M, _, _ = make_patterns(X, "gaussian", 30, seed)
    admm = _core.convex_nn_solve_relu(X, y, M, lam, loss, 1e-9, 2000, 1.0)
    assert not admm.converged  # ADMM alone stops short: the finish does the rest
    r = _solve(X, y, lam, loss, seed)
    c = r.certificate
    assert c.certified and c.gap <= 1e-9 * abs(c.primal) and c.gap < admm.gap
    assert r.cone_violation <= 1e-12  # the tight rows are equalities of the null-space parameterisation
    p_ref = ref.relu(X, y, r.masks, lam, loss)  # Clarabel: accurate to ~1e-8
    assert c.dual <= p_ref + 1e-8 * abs(p_ref)
    assert abs(c.primal - p_ref) <= 1e-6 * abs(p_ref)
    # primal is the objective of the ReLU network the solution is
    W1, a = convex_nn.relu_network(r.V, r.W)
    net = convex_nn.network_objective(X, y, W1, a, lam, loss=loss)
    assert abs(net - c.primal) <= 1e-12 * abs(c.primal)


def test_finish_is_scale_equivariant():
    X, y = _data(1, "squared")
    lam = 0.01
    r = _solve(X, y, lam, "squared", 1)
    for scale in (1e-50, 1e50):
        # L(c yhat; c y) = c^2 L and c lam ||c u|| = c^2 lam ||u||: the solution scales by c, objective by c^2
        rs = _solve(X, scale * y, scale * lam, "squared", 1)
        assert rs.certificate.certified
        np.testing.assert_allclose(rs.certificate.primal / scale**2, r.certificate.primal, rtol=1e-9)
        np.testing.assert_allclose(rs.V / scale, r.V, atol=1e-6 * np.abs(r.V).max())
        np.testing.assert_allclose(rs.W / scale, r.W, atol=1e-6 * np.abs(r.W).max())


def test_finish_keeps_admm_when_it_cannot_improve():
    # three ADMM iterations leave junk; whatever the finish makes of it, the better certificate is returned
    X, y = _data(3, "squared")
    M, _, _ = make_patterns(X, "gaussian", 30, 3)
    admm = _core.convex_nn_solve_relu(X, y, M, 0.01, "squared", 1e-9, 3, 1.0)
    with pytest.warns(ConvergenceWarning):  # tol=0 is never certified
        r = convex_nn.solve(
            X, y, 0.01, formulation="relu", n_patterns=30, random_state=3, max_iter=3, tol=0.0
        )
    assert r.certificate.gap <= admm.gap
    assert r.certificate.dual <= r.certificate.primal


@pytest.mark.parametrize("seed", [0, 1])
def test_certify_proves_a_network_globally_optimal(seed):
    # the ReLU program over every pattern is the weight-decay problem at sufficient width: its solution, as a
    # network, is globally optimal, and certify's ReLU dual (cone multipliers by NNLS) closes on it, where the
    # gated relaxation's dual stays below by the relaxation gap
    rng = np.random.default_rng(seed)
    X = np.hstack([rng.standard_normal((15, 1)), np.ones((15, 1))])
    y = np.sin(2 * X[:, 0]) + 0.1 * rng.standard_normal(15)
    lam = 0.01
    r = convex_nn.solve(X, y, lam, formulation="relu", patterns="all", tol=1e-12, max_iter=2000)
    W1, a = convex_nn.relu_network(r.V, r.W)
    cert = convex_nn.certify(X, y, W1, a, lam, tol=1e-9)
    assert cert.scope == "global" and cert.certified
    assert cert.primal == pytest.approx(r.certificate.primal, rel=1e-12)
    assert cert.gap <= 1e-9 * cert.primal
    gated = convex_nn.solve(X, y, lam, patterns="all", tol=1e-7, max_iter=100000)
    assert gated.certificate.primal < cert.dual - 1e-6 * cert.primal  # the relaxation is strictly below
