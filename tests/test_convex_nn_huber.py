"""Lens 5: the Huber loss (docs/convex_nn.md#losses) in both programs, against cvxpy/Clarabel, its conjugate,
lam_max, the estimator, and bad thresholds."""

from __future__ import annotations

import numpy as np
import pytest

from convexify import InputError, convex_nn
from convexify.convex_nn._solve import _loss, _neg_conj
from convexify.reference import convex_nn as ref


def _data(seed, n=15, d=1, outliers=3):
    rng = np.random.default_rng(seed)
    X = np.hstack([rng.standard_normal((n, d)), np.ones((n, 1))])
    y = np.sin(2 * X[:, 0]) + 0.1 * rng.standard_normal(n)
    y[:outliers] += 5.0  # residuals beyond the threshold: both branches of the loss are used
    return X, y


@pytest.mark.parametrize("formulation", ["gated", "relu"])
@pytest.mark.parametrize("delta", [0.3, 1.0])
def test_huber_optimum_matches_cvxpy(formulation, delta):
    X, y = _data(0)
    lam = 0.1
    r = convex_nn.solve(
        X,
        y,
        lam,
        formulation=formulation,
        loss="huber",
        huber_delta=delta,
        patterns="all",
        tol=1e-8,
        max_iter=200000,
    )
    solver = ref.gated if formulation == "gated" else ref.relu
    out = solver(X, y, r.masks, lam, "huber", huber_delta=delta)
    p_ref = out[0] if formulation == "gated" else out
    c = r.certificate
    assert c.certified and c.scope == "global"
    assert c.dual <= p_ref + 1e-7 and abs(c.primal - p_ref) <= 2e-7 * p_ref
    # the outliers sit on the linear branch at the optimum
    yhat = ((X @ r.U.T) * r.masks).sum(axis=1)
    if formulation == "relu":
        yhat = np.maximum(X @ r.V.T, 0).sum(1) - np.maximum(X @ r.W.T, 0).sum(1)
    assert np.all(np.abs(yhat[:3] - y[:3]) > delta)


def test_huber_value_and_conjugate():
    rng = np.random.default_rng(1)
    y = rng.standard_normal(50)
    z = y + 3 * rng.standard_normal(50)
    delta = 0.7
    r = np.abs(z - y)
    assert _loss(z, y, "huber", delta) == pytest.approx(
        np.mean(np.where(r <= delta, r**2 / 2, delta * r - delta**2 / 2)), rel=1e-15
    )
    # Fenchel-Young: L(z) + L*(nu) >= nu^T z, with equality at nu = grad L(z)
    n = len(y)
    g = np.clip(z - y, -delta, delta) / n
    assert _loss(z, y, "huber", delta) - _neg_conj(g, y, "huber", delta) == pytest.approx(g @ z, rel=1e-12)
    for _ in range(20):
        nu = rng.uniform(-delta, delta, n) / n
        assert _loss(z, y, "huber", delta) - _neg_conj(nu, y, "huber", delta) >= nu @ z - 1e-12
    assert _neg_conj(np.full(n, 1.01 * delta / n), y, "huber", delta) == -np.inf


def test_huber_lam_max_and_equivariance():
    X, y = _data(2)
    M = convex_nn.enumerate_patterns(X)
    lm = convex_nn.lam_max(X, y, M, loss="huber", huber_delta=0.5)
    g0 = np.clip(-y, -0.5, 0.5) / len(y)
    assert lm == pytest.approx(np.linalg.norm((M * g0[:, None]).T @ X, axis=1).max(), rel=1e-15)
    r = convex_nn.solve(X, y, 1.001 * lm, loss="huber", huber_delta=0.5, patterns="all")
    assert np.all(r.U == 0) and r.certificate.gap <= 1e-12
    # y -> c y, delta -> c delta, lam -> c lam: the objective scales by c^2, the weights by c
    c = 8.0
    a = convex_nn.solve(X, y, 0.01, loss="huber", huber_delta=0.5, patterns="all", tol=1e-10, max_iter=50000)
    b = convex_nn.solve(
        X, c * y, c * 0.01, loss="huber", huber_delta=c * 0.5, patterns="all", tol=1e-10, max_iter=50000
    )
    assert b.certificate.primal == pytest.approx(c**2 * a.certificate.primal, rel=1e-8)


def test_huber_regressor_resists_outliers():
    rng = np.random.default_rng(3)
    X = rng.standard_normal((80, 1))
    y = np.maximum(X[:, 0], 0)
    y_bad = y.copy()
    y_bad[:8] += 20.0
    kw = {"lam": 5e-2, "patterns": "all", "tol": 1e-6, "max_iter": 50000}
    hub = convex_nn.ConvexReLURegressor(loss="huber", huber_delta=0.5, **kw).fit(X, y_bad)
    sq = convex_nn.ConvexReLURegressor(**kw).fit(X, y_bad)
    assert hub.certificate_.certified
    clean = slice(8, None)
    err_h = np.abs(hub.predict(X)[clean] - y[clean]).mean()
    err_s = np.abs(sq.predict(X)[clean] - y[clean]).mean()
    assert err_h < 0.2 * err_s  # measured: 0.039 against 0.55


@pytest.mark.parametrize("bad", [0.0, -1.0, np.inf, np.nan])
def test_huber_delta_is_validated(bad):
    X, y = _data(4)
    with pytest.raises(InputError, match="huber_delta"):
        convex_nn.solve(X, y, 0.1, loss="huber", huber_delta=bad)
    with pytest.raises(InputError, match="huber_delta"):
        convex_nn.ConvexReLURegressor(loss="huber", huber_delta=bad).fit(X[:, :1], y)
