"""Lens 4 model: C++ forward/loss/gradient/surface against the numpy reference, projection, rebalancing,
fit."""

from __future__ import annotations

import numpy as np
import pytest

from convexify import branches as br
from convexify.reference import branches as ref


def _data(rng, n=60, d=4):
    X = np.column_stack([rng.standard_normal((n, d - 1)), np.ones(n)])
    y = np.where(X[:, 0] * X[:, 1] + 0.2 * X[:, 2] > 0, 1.0, -1.0)
    return X, y


@pytest.mark.parametrize("loss", ["hinge", "squared_hinge"])
@pytest.mark.parametrize(
    "tau", [0.7, 0.02]
)  # tau = 0.02: many samples have zero slope (skipped by the kernel)
def test_forward_loss_gradient_match_reference(rng, loss, tau):
    X, y = _data(rng, n=83)
    net = br.MultiBranchMLP(3, 5, X.shape[1], seed=1)
    np.testing.assert_allclose(net.forward(X), ref.forward(X, net.U, net.a), rtol=1e-12, atol=1e-13)
    v, gU, ga = net.gradient(X, y, tau=tau, loss=loss)
    rv, rgU, rga = ref.loss_gradient(X, y, net.U, net.a, tau, loss)
    margins = y * net.forward(X) / tau
    assert 0.2 < np.mean(margins >= 1) < 0.8 or tau == 0.7
    assert v == pytest.approx(rv, rel=1e-12)
    assert v > 0.1
    np.testing.assert_allclose(gU, rgU, rtol=1e-10, atol=1e-13)
    np.testing.assert_allclose(ga, rga, rtol=1e-10, atol=1e-13)


def test_gradient_matches_finite_differences_smooth_loss(rng):
    X, y = _data(rng)
    net = br.MultiBranchMLP(2, 3, X.shape[1], seed=2)
    _, gU, ga = net.gradient(X, y, tau=1.0, loss="squared_hinge")
    U0, a0 = net.U, net.a
    for _ in range(3):
        dU = rng.standard_normal(U0.shape)
        da = rng.standard_normal(a0.shape)
        h = 1e-6
        vp = ref.risk(X, y, U0 + h * dU, a0 + h * da, 1.0, "squared_hinge")
        vm = ref.risk(X, y, U0 - h * dU, a0 - h * da, 1.0, "squared_hinge")
        fd = (vp - vm) / (2 * h)
        assert np.sum(gU * dU) + np.sum(ga * da) == pytest.approx(fd, rel=1e-5, abs=1e-8)


def test_branches_are_a_reparametrisation_of_width(rng):
    """An (I, m) network equals the (1, I m) network with output weights divided by I.

    See docs/branches.md#reparametrisation.
    """
    X, y = _data(rng)
    I, m, d = 4, 3, X.shape[1]
    net = br.MultiBranchMLP(I, m, d, seed=3)
    wide = br.MultiBranchMLP(1, I * m, d).set_params(
        U=net.U.reshape(1, I * m, d), a=net.a.reshape(1, I * m) / I
    )
    np.testing.assert_allclose(wide.forward(X), net.forward(X), rtol=1e-12, atol=1e-14)
    assert wide.loss(X, y, 0.5) == pytest.approx(net.loss(X, y, 0.5), rel=1e-12)
    # same path norm (the feasible sets coincide after rebalancing)
    assert wide.path_norm() == pytest.approx(net.path_norm(), rel=1e-12)


@pytest.mark.parametrize("loss", ["hinge", "squared_hinge"])
def test_cpp_surface_matches_reference_loop(rng, loss):
    X, y = _data(rng, n=70)
    net = br.MultiBranchMLP(2, 3, X.shape[1], seed=4)
    plane = br.slice_directions("filter", net, seed=5)
    surf = br.loss_surface(
        net, X, y, plane, grid=(np.linspace(-1, 1, 7), np.linspace(-0.5, 1.5, 5)), tau=0.8, loss=loss
    )
    S = ref.surface(X, y, plane.centre, plane.d1, plane.d2, surf.alphas, surf.betas, 0.8, loss)
    np.testing.assert_allclose(surf.values, S, rtol=1e-12, atol=1e-14)
    assert surf.metadata["centre_loss"] == pytest.approx(net.loss(X, y, 0.8, loss), rel=1e-12)
    assert np.ptp(S) > 0.05


def test_surface_independent_of_thread_count(rng):
    import convexify

    X, y = _data(rng, n=300)
    net = br.MultiBranchMLP(4, 8, X.shape[1], seed=6)
    plane = br.slice_directions("random", net, seed=7)
    one = br.loss_surface(net, X, y, plane, grid=21).values
    convexify.set_num_threads(2)
    try:
        two = br.loss_surface(net, X, y, plane, grid=21).values
    finally:
        convexify.set_num_threads(1)
    assert np.array_equal(one, two)


def test_projection_global_rescaling(rng):
    net = br.MultiBranchMLP(3, 4, 5, seed=8)
    b0 = net.budget()
    U0 = net.U
    net.project(b0 / 4)
    assert net.budget() == pytest.approx(b0 / 4, rel=1e-12)
    np.testing.assert_allclose(net.U, U0 * 0.5, rtol=1e-12)
    net.project(10 * b0)  # already feasible: unchanged
    np.testing.assert_allclose(net.U, U0 * 0.5, rtol=1e-12)


def test_projection_with_branch_balls_is_exact(rng):
    cp = pytest.importorskip("cvxpy")
    I, m, d = 4, 2, 3
    net = br.MultiBranchMLP(I, m, d, seed=9)
    net.set_params(
        U=net.U * np.array([0.3, 1.0, 2.0, 3.0])[:, None, None], a=net.a * np.array([0.3, 1, 2, 3])[:, None]
    )
    W0 = np.concatenate([net.U.reshape(I, -1), net.a], axis=1)
    K, R2 = 0.6 * net.budget(), 0.5 * net.branch_sq_norms().max()
    net.project(K, R2)
    W = cp.Variable(W0.shape)
    cons = [cp.sum_squares(W) <= I * K] + [cp.sum_squares(W[i]) <= R2 for i in range(I)]
    cp.Problem(cp.Minimize(cp.sum_squares(W - W0)), cons).solve()
    got = np.concatenate([net.U.reshape(I, -1), net.a], axis=1)
    np.testing.assert_allclose(got, W.value, atol=2e-5 * np.abs(W0).max())
    assert net.budget() <= K * (1 + 1e-12)
    assert net.branch_sq_norms().max() <= R2 * (1 + 1e-12)


def test_rebalance_keeps_function_and_gives_twice_path_norm(rng):
    X, _ = _data(rng)
    net = br.MultiBranchMLP(3, 4, X.shape[1], seed=10)
    net.set_params(a=net.a * 5.0)
    f0, pn0, b0 = net.forward(X), net.path_norm(), net.budget()
    net.rebalance()
    np.testing.assert_allclose(net.forward(X), f0, rtol=1e-12, atol=1e-13)
    assert net.path_norm() == pytest.approx(pn0, rel=1e-12)
    assert net.budget() == pytest.approx(2 * pn0, rel=1e-12)
    assert net.budget() < b0


def test_fit_respects_budget_and_reports_restarts(rng):
    X, y = _data(rng)
    net = br.MultiBranchMLP(2, 4, X.shape[1])
    res = net.fit(X, y, tau=1.0, K=3.0, restarts=3, steps=120, seed=1)
    assert res.values.shape == (3,)
    assert res.value == pytest.approx(res.values.min())
    assert res.budget <= 3.0 * (1 + 1e-9)
    assert net.loss(X, y, 1.0) == pytest.approx(res.value, rel=1e-12)
    assert res.value < 0.9  # better than the zero network (loss 1)
    # |f| <= (K/2) max ||x|| on the feasible set (docs/branches.md#model)
    assert np.abs(net.forward(X)).max() <= br.tau_min(X, 3.0) * (1 + 1e-12)


def test_hessian_vector_product_matches_gradient_differences(rng):
    X, y = _data(rng, n=50)
    net = br.MultiBranchMLP(2, 3, X.shape[1], seed=11)
    vU = rng.standard_normal(net.U.shape)
    va = rng.standard_normal(net.a.shape)
    hu, ha = br.hessian_vector_product(net, X, y, 0.8, vU, va, loss="squared_hinge")
    h = 1e-6
    _, gUp, gap = ref.loss_gradient(X, y, net.U + h * vU, net.a + h * va, 0.8, "squared_hinge")
    _, gUm, gam = ref.loss_gradient(X, y, net.U - h * vU, net.a - h * va, 0.8, "squared_hinge")
    np.testing.assert_allclose(hu, (gUp - gUm) / (2 * h), rtol=1e-5, atol=1e-8)
    np.testing.assert_allclose(ha, (gap - gam) / (2 * h), rtol=1e-5, atol=1e-8)


def test_hinge_curvature_is_symmetric_and_flagged(rng):
    X, y = _data(rng, n=50)
    net = br.MultiBranchMLP(2, 3, X.shape[1], seed=12)
    c = br.curvature(net, X, y, 0.5, loss="hinge")
    assert not c.informative and "symmetric" in c.note
    assert c.lambda_min == pytest.approx(-c.lambda_max, rel=1e-5)
    s = br.curvature(net, X, y, 0.5, loss="squared_hinge")
    assert s.informative and s.lambda_max > 0
