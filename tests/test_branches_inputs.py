"""Lens 4 input validation: every bad argument raises ValueError/TypeError naming it."""

from __future__ import annotations

import numpy as np
import pytest

from convexify import InputError, _core
from convexify import branches as br


@pytest.fixture
def problem(rng):
    X = np.column_stack([rng.standard_normal((20, 2)), np.ones(20)])
    y = np.where(X[:, 0] > 0, 1.0, -1.0)
    return X, y, br.MultiBranchMLP(2, 2, 3, seed=0)


def test_nan_inf_rejected(problem):
    X, y, net = problem
    Xn = X.copy()
    Xn[3, 1] = np.nan
    with pytest.raises(ValueError, match="X contains NaN or Inf"):
        net.loss(Xn, y)
    with pytest.raises(ValueError, match="X contains NaN"):
        br.gap_bracket(Xn, y, 1.0, 1.0, [1])
    with pytest.raises(ValueError, match="values contains NaN"):
        br.nonconvexity_scores(np.full((3, 3), np.inf), np.arange(3.0), np.arange(3.0))
    with pytest.raises(ValueError, match="U contains NaN"):
        net.set_params(U=np.full((2, 2, 3), np.nan))
    with pytest.raises(ValueError, match="tau must be finite"):
        net.loss(X, y, tau=np.inf)


def test_labels_must_be_pm_one(problem):
    X, y, net = problem
    y01 = (y > 0).astype(float)
    with pytest.raises(ValueError, match=r"y must contain labels in \{-1, \+1\}"):
        net.fit(X, y01, 1.0, 1.0)
    with pytest.raises(ValueError, match="y must contain labels"):
        br.gap_bracket(X, y01, 1.0, 1.0, [1])
    with pytest.raises(ValueError, match="y must contain labels"):  # the core re-checks
        _core.branches_loss_gradient(X, y01, np.ones((2, 3)), np.ones(2), 1, 1.0, "hinge")


def test_grid_too_small_or_not_uniform(problem):
    X, y, net = problem
    S = np.zeros((2, 5))
    with pytest.raises(ValueError, match="alphas must have at least 3 points"):
        br.nonconvexity_scores(S, np.arange(2.0), np.arange(5.0))
    with pytest.raises(ValueError, match="betas must be a uniform grid"):
        br.nonconvexity_scores(np.zeros((3, 4)), np.arange(3.0), np.array([0.0, 1.0, 2.0, 3.5]))
    with pytest.raises(ValueError, match="alphas must be strictly increasing"):
        br.nonconvexity_scores(np.zeros((3, 3)), np.array([0.0, 2.0, 1.0]), np.arange(3.0))
    with pytest.raises(ValueError, match="betas must have 4 points"):
        br.nonconvexity_scores(np.zeros((3, 4)), np.arange(3.0), np.arange(3.0))
    plane = br.slice_directions("filter", net)
    with pytest.raises(ValueError, match="grid must be >= 3"):
        br.loss_surface(net, X, y, plane, grid=2)


def test_counts_and_scalars(problem):
    X, y, net = problem
    with pytest.raises(ValueError, match="n_branches must be >= 1"):
        br.MultiBranchMLP(0, 2, 3)
    with pytest.raises(TypeError, match="width must be an integer"):
        br.MultiBranchMLP(1, 2.5, 3)
    with pytest.raises(ValueError, match="branch_counts must be >= 1"):
        br.gap_bracket(X, y, 1.0, 1.0, [2, 0])
    with pytest.raises(ValueError, match="I must be >= 1"):
        br.exact_separable_benchmark(0.5, 0)
    with pytest.raises(ValueError, match="tau must be > 0"):
        net.loss(X, y, tau=0.0)
    with pytest.raises(ValueError, match="tau must be > 0"):
        br.check_assumptions(X, -1.0, 1.0)
    with pytest.raises(ValueError, match="K must be > 0"):
        net.fit(X, y, 1.0, K=0.0)
    with pytest.raises(ValueError, match="K must be > 0"):
        br.tau_min(X, -2.0)
    with pytest.raises(ValueError, match="K_over_R must be <= 1"):
        br.exact_separable_benchmark(1.5, 2)
    with pytest.raises(ValueError, match="kind must be one of"):
        br.slice_directions("pca", net)
    with pytest.raises(ValueError, match="loss must be one of"):
        net.loss(X, y, loss="logistic")
    with pytest.raises(ValueError, match="activation must be one of"):
        br.MultiBranchMLP(1, 1, 3, activation="tanh")


def test_shapes(problem):
    X, y, net = problem
    with pytest.raises(ValueError, match="X must have d = 3 columns"):
        net.forward(X[:, :2])
    with pytest.raises(ValueError, match="y must have the same number of rows"):
        net.loss(X, y[:-1])
    with pytest.raises(ValueError, match=r"U must have shape \(2, 2, 3\)"):
        net.set_params(U=np.zeros((2, 3, 3)))
    with pytest.raises(ValueError, match="not a multiple of n_branches"):
        _core.branches_forward(X, np.ones((3, 3)), np.ones(3), 2)
    with pytest.raises(InputError, match="X must have d <= 3 columns"):
        br.m_plus_exact(np.ones((5, 4)), np.ones(5))


def test_loss_crosses_as_a_name(problem):
    """The core takes the loss by name ("hinge" | "squared_hinge"); integer codes are gone."""
    X, y, net = problem
    U, a = net.units()
    assert br.LOSSES == ("hinge", "squared_hinge")
    with pytest.raises(ValueError, match="loss must be one of 'hinge', 'squared_hinge', got 'logistic'"):
        _core.branches_loss_gradient(X, y, U, a, 2, 1.0, "logistic")
    with pytest.raises(TypeError):
        _core.branches_loss_gradient(X, y, U, a, 2, 1.0, 0)
    g = np.zeros(1)
    with pytest.raises(ValueError, match="loss must be one of"):
        _core.branches_surface(X, y, U, a, U, a, U, a, g, g, 2, 1.0, "squared hinge")
    with pytest.raises(TypeError, match="loss must be a string"):
        net.loss(X, y, loss=1)
    # each name selects its loss: the surface at the origin is the model's loss
    for loss in br.LOSSES:
        S = _core.branches_surface(X, y, U, a, U, a, U, a, g, g, 2, 0.5, loss)
        assert S[0, 0] == pytest.approx(net.loss(X, y, tau=0.5, loss=loss), rel=1e-12, abs=1e-15)
    assert net.loss(X, y, tau=0.5, loss="squared_hinge") != net.loss(X, y, tau=0.5, loss="hinge")


def test_results_cross_as_bound_structs(problem, rng):
    """Named results come back as the core's structs (read-only); the API hands out writable copies."""
    X, y, net = problem
    U, a = net.units()
    r = _core.branches_loss_gradient(X, y, U, a, 2, 0.7, "squared_hinge")
    assert isinstance(r, _core.BranchesLossGradient)
    assert r.grad_U.shape == (4, 3) and r.grad_a.shape == (4,)
    value, gU, ga = net.gradient(X, y, tau=0.7, loss="squared_hinge")
    assert value == r.loss
    np.testing.assert_array_equal(gU.reshape(4, 3), r.grad_U)
    np.testing.assert_array_equal(ga.reshape(4), r.grad_a)
    assert gU.flags.writeable and ga.flags.writeable
    c = rng.standard_normal(X.shape[0])
    starts = rng.standard_normal((16, 3))
    o = _core.branches_neuron_oracle(X, c, starts, 50)
    assert isinstance(o, _core.BranchesOracleResult)
    assert o.start_values.shape == (16,) and o.start_u.shape == (16, 3) and o.u.shape == (3,)
    assert o.value == float(np.max(o.start_values))
    assert o.value == pytest.approx(float(np.maximum(X @ o.u, 0.0) @ c), rel=1e-12)
    value, u, start_u = br.m_plus_heuristic(X, c, np.random.default_rng(3))
    assert value >= 0.0 and start_u.flags.writeable
