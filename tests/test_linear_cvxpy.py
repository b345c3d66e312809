"""Lens 1 against cvxpy on small cases: the reduced dual (with and without bottleneck) and the nuclear-norm
primal (equal to P* only when no bottleneck binds)."""

from __future__ import annotations

import numpy as np
import pytest

from convexify import linear

cp = pytest.importorskip("cvxpy")
from peers import linear_cvxpy as peer  # noqa: E402


def data(rng, n=25, d0=6, dH=4):
    X = rng.standard_normal((n, d0))
    return X, X @ rng.standard_normal((d0, dH)) + 0.5 * rng.standard_normal((n, dH))


@pytest.mark.parametrize("gamma_frac", [0.1, 0.6, 1.2])
def test_reduced_dual_no_bottleneck(rng, gamma_frac):
    X, Y = data(rng)
    res = linear.solve(X, Y, 3, 1.0)
    gamma = gamma_frac * res.s[0]
    res = linear.solve(X, Y, 3, gamma)
    dual = peer.reduced_dual(X, Y, gamma, res.k)
    assert dual["status"] == "optimal"
    assert dual["value"] == pytest.approx(res.primal_value, rel=1e-6)
    primal = peer.nuclear_primal(X, Y, gamma)
    assert primal["value"] == pytest.approx(res.primal_value, rel=1e-6)


def test_reduced_dual_with_bottleneck(rng):
    X, Y = data(rng, dH=5)
    gamma = 1.0
    res = linear.solve(X, Y, 3, gamma, widths=[2, 6])
    assert res.k == 2 and np.sum(res.s > gamma) > 2
    dual = peer.reduced_dual(X, Y, gamma, res.k)
    assert dual["status"] == "optimal"
    assert dual["value"] == pytest.approx(res.primal_value, rel=1e-6)
    # the nuclear-norm relaxation ignores the width and is strictly lower
    relax = peer.nuclear_primal(X, Y, gamma)["value"]
    assert relax < res.primal_value - 1.0
    assert relax == pytest.approx(
        0.5 * np.sum(Y**2) - 0.5 * np.sum(np.maximum(res.s - gamma, 0) ** 2), rel=1e-6
    )


def test_rank_deficient_and_wide(rng):
    X = rng.standard_normal((6, 15))
    Y = rng.standard_normal((6, 3))
    res = linear.solve(X, Y, 2, 0.7)
    dual = peer.reduced_dual(X, Y, 0.7, res.k)
    assert dual["value"] == pytest.approx(res.primal_value, rel=1e-6)
