"""Lens 5: the maps between networks and the convex programs: cone decomposition (gated -> ReLU), a trained
network as a convex warm start, against cvxpy and the networks' own predictions."""

from __future__ import annotations

import numpy as np
import pytest
from scipy.optimize import nnls

from convexify import ConvergenceWarning, InputError, convex_nn
from convexify.reference import convex_nn as ref


def _data(seed, n=20, d=2):
    rng = np.random.default_rng(seed)
    X = np.hstack([rng.standard_normal((n, d)), np.ones((n, 1))])
    y = np.sin(2 * X[:, 0]) + 0.5 * X[:, 1] + 0.1 * rng.standard_normal(n)
    return X, y


def _min_norm_w(X, mask, u):
    """cvxpy: argmin ||w|| s.t. (2D - I) X (u + w) >= 0, (2D - I) X w >= 0."""
    import cvxpy as cp

    G = (2 * mask - 1)[:, None] * X
    w = cp.Variable(X.shape[1])
    cp.Problem(cp.Minimize(cp.norm(w)), [G @ (u + w) >= 0, G @ w >= 0]).solve(solver=cp.CLARABEL)
    return np.asarray(w.value)


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_cone_decomposition_is_exact_and_minimal(seed):
    X, y = _data(seed)
    lam = 0.005
    r = convex_nn.solve(X, y, lam, patterns="all", tol=1e-6, max_iter=100000)
    V, W = convex_nn.cone_decomposition(r.U, r.masks, X)
    S = 2 * r.masks - 1
    # both in their cones (neurons off by rounding, 1e-9 of their largest margin, are left as they are)
    for Z in (V, W):
        margins = S * (X @ Z.T)
        assert np.all(margins >= -1e-9 * np.abs(margins).max(axis=0) - 1e-300)
    np.testing.assert_allclose(V - W, r.U, atol=1e-12)
    gated = ((X @ r.U.T) * r.masks).sum(axis=1)
    network = np.maximum(X @ V.T, 0).sum(axis=1) - np.maximum(X @ W.T, 0).sum(axis=1)
    np.testing.assert_allclose(network, gated, atol=1e-11)  # the ReLU network predicts what the gated does
    moved = [i for i in range(r.U.shape[0]) if np.any(W[i])]
    assert moved, "no neuron needed a decomposition: the test checks nothing"
    for i in moved:
        if np.linalg.norm(W[i]) < 1e-8 * np.linalg.norm(r.U[i]):
            continue  # moved by rounding only
        # w_i solves min ||w||^2/2 s.t. G w >= b: KKT says w = G_A^T lam with lam >= 0 on the active rows A
        G = (2 * r.masks[:, i] - 1)[:, None] * X
        b = np.maximum(-(G @ r.U[i]), 0.0)
        slack = G @ W[i] - b
        assert slack.min() >= -1e-10 * np.abs(G @ W[i]).max()
        active = slack <= 1e-9 * np.abs(G @ W[i]).max()
        _, resid = nnls(G[active].T, W[i])
        assert resid <= 1e-9 * np.linalg.norm(W[i])
        w_ref = _min_norm_w(X, r.masks[:, i], r.U[i])  # Clarabel: feasible to ~1e-8
        np.testing.assert_allclose(W[i], w_ref, atol=1e-4 * np.linalg.norm(W[i]) + 1e-8 * np.abs(r.U).max())
    for i in set(range(r.U.shape[0])) - set(moved):  # neurons already in their cone stay as they are
        np.testing.assert_array_equal(V[i], r.U[i])
    # the decomposed network's objective is a feasible ReLU point's: >= the ReLU optimum >= the gated one
    W1, a = convex_nn.relu_network(V, W)
    obj = convex_nn.network_objective(X, y, W1, a, lam)
    p_relu = ref.relu(X, y, r.masks, lam)
    assert obj >= p_relu - 1e-7 >= r.certificate.primal - 2e-7


def test_cone_decomposition_scale_equivariant():
    X, y = _data(3)
    r = convex_nn.solve(X, y, 0.01, patterns="all", tol=1e-6, max_iter=100000)
    V, W = convex_nn.cone_decomposition(r.U, r.masks, X)
    for c in (1e-150, 1e150):
        Vc, Wc = convex_nn.cone_decomposition(r.U / c, r.masks, X * c)
        np.testing.assert_allclose(Vc * c, V, rtol=1e-9, atol=1e-12 * np.abs(V).max())
        np.testing.assert_allclose(Wc * c, W, rtol=1e-9, atol=1e-12 * np.abs(V).max())


def test_cone_decomposition_without_interior_raises_naming_the_neuron():
    # rows x = 1 and x = -1 with both active: the cone {v : v >= 0, -v >= 0} is {0}
    X = np.array([[1.0], [-1.0]])
    masks = np.array([[1.0, 1.0], [0.0, 1.0]])
    U = np.array([[2.0], [1.0]])
    with pytest.raises(InputError, match="neuron 1"):
        convex_nn.cone_decomposition(U, masks, X)
    V, W = convex_nn.cone_decomposition(U[:1], masks[:, :1], X)  # neuron 0 is already a ReLU neuron
    np.testing.assert_array_equal(V, U[:1])
    np.testing.assert_array_equal(W, 0 * U[:1])
    with pytest.raises(InputError, match="U must be"):
        convex_nn.cone_decomposition(U[:, :0], masks, X)
    with pytest.raises(InputError, match="masks"):
        convex_nn.cone_decomposition(U, masks * 2, X)


def _network(seed, X, m=6):
    rng = np.random.default_rng(seed)
    return rng.standard_normal((m, X.shape[1])), rng.standard_normal(m)


@pytest.mark.parametrize("seed", [0, 1])
def test_network_to_convex_keeps_predictions_and_bounds_the_objective(seed):
    X, y = _data(seed)
    W1, a = _network(seed, X)
    W1 = np.vstack([W1, 2.0 * W1[:1]])  # a neuron sharing the first one's pattern: the two add up
    a = np.concatenate([a, [0.5]])
    U, M, G = convex_nn.network_to_convex(X, W1, a)
    np.testing.assert_allclose(((X @ U.T) * M).sum(axis=1), np.maximum(X @ W1.T, 0) @ a, atol=1e-12)
    assert M.shape[1] == len(np.unique((X @ W1.T >= 0).T, axis=0))
    lam = 0.01
    convex = 0.5 * np.mean((((X @ U.T) * M).sum(axis=1) - y) ** 2) + lam * np.linalg.norm(U, axis=1).sum()
    assert convex <= convex_nn.network_objective(X, y, W1, a, lam) + 1e-15
    # with extra gates: the network's patterns come first, the others after
    U2, M2, _ = convex_nn.network_to_convex(X, W1, a, gates=np.random.default_rng(5).standard_normal((30, 3)))
    np.testing.assert_array_equal(M2[:, : M.shape[1]], M)
    np.testing.assert_array_equal(U2[M.shape[1] :], 0.0)


def test_solve_warm_started_from_a_network():
    X, y = _data(4, n=40)
    lam = 0.01
    W1, a = _network(4, X, m=8)
    net = convex_nn.network_objective(X, y, W1, a, lam)
    warm = convex_nn.solve(X, y, lam, warm_start=(W1, a), n_patterns=20, tol=1e-10, max_iter=100000)
    _, M, G = convex_nn.network_to_convex(X, W1, a, gates=warm.gates)
    np.testing.assert_array_equal(warm.masks, M)  # the network's patterns are in the set
    cold = convex_nn.solve(X, y, lam, patterns=warm.gates, tol=1e-10, max_iter=100000)
    p_ref, _ = ref.gated(X, y, warm.masks, lam)
    for r in (warm, cold):
        assert abs(r.certificate.primal - p_ref) <= 1e-7 * max(1.0, p_ref)
    # one proximal-gradient step from the network's convex point cannot end above the network's objective
    with pytest.warns(ConvergenceWarning):
        one = convex_nn.solve(X, y, lam, warm_start=(W1, a), n_patterns=20, max_iter=1)
    assert one.certificate.primal <= net + 1e-12
    with pytest.raises(InputError, match="warm_start"):
        convex_nn.solve(X, y, lam, warm_start=W1)
    with pytest.raises(InputError, match="W1"):
        convex_nn.solve(X, y, lam, warm_start=(W1[:, :2], a))
