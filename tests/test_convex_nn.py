"""Lens 5: the gated convex program against cvxpy/Clarabel, the certificate, lam_max, weak duality."""

from __future__ import annotations

import numpy as np
import pytest

from convexify import InputError, InputTypeError, convex_nn
from convexify.reference import convex_nn as ref


def _data(seed, n=15, d=1, logistic=False):
    rng = np.random.default_rng(seed)
    X = np.hstack([rng.standard_normal((n, d)), np.ones((n, 1))])
    y = np.sin(2 * X[:, 0]) + 0.1 * rng.standard_normal(n)
    return X, (np.where(y > 0, 1.0, -1.0) if logistic else y)


@pytest.mark.parametrize("loss", ["squared", "logistic", "squared_hinge"])
@pytest.mark.parametrize("seed", [0, 1])
def test_gated_optimum_matches_cvxpy_on_enumerated_patterns(loss, seed):
    X, y = _data(seed, d=2 if seed else 1, logistic=loss != "squared")
    lam = 0.01
    r = convex_nn.solve(X, y, lam, loss=loss, patterns="all", tol=1e-8, max_iter=100000)
    p_ref, _ = ref.gated(X, y, r.masks, lam, loss)
    c = r.certificate
    assert c.scope == "global" and c.certified
    assert c.dual <= p_ref + 1e-7 <= c.primal + 2e-7
    assert abs(c.primal - p_ref) <= 1e-6 * max(1, abs(p_ref))
    assert 0 <= c.gap <= 1e-8


@pytest.mark.parametrize("loss", ["squared", "logistic", "squared_hinge"])
def test_gated_lower_bounds_relu_program(loss):
    X, y = _data(3, n=10, logistic=loss != "squared")
    lam = 0.02
    r = convex_nn.solve(X, y, lam, loss=loss, patterns="all", tol=1e-8, max_iter=100000)
    relu_opt = ref.relu(X, y, r.masks, lam, loss)
    assert r.certificate.dual <= relu_opt + 1e-7
    assert r.certificate.primal <= relu_opt + 1e-6


def test_enumeration_finds_every_pattern():
    X, _ = _data(4, n=12, d=2)
    M = convex_nn.enumerate_patterns(X)
    rng = np.random.default_rng(0)
    sampled = (X @ rng.standard_normal((3, 200000)) >= 0).T
    sampled = {tuple(r) for r in sampled.astype(int) if r.any()}
    enum = {tuple(r) for r in M.T.astype(int)}
    assert sampled <= enum
    # d = 3 central arrangement of n generic planes has n(n-1) + 2 cells, one of them all-zero (dropped)
    assert len(enum) == 12 * 11 + 1


def test_lam_max_gives_exact_zero():
    X, y = _data(5)
    M = convex_nn.enumerate_patterns(X)
    lm = convex_nn.lam_max(X, y, M)
    r = convex_nn.solve(X, y, lm * 1.0001, patterns="all")
    assert np.all(r.U == 0)
    assert r.certificate.gap <= 1e-12
    r2 = convex_nn.solve(X, y, lm * 0.9, patterns="all", tol=1e-8)
    assert np.any(r2.U != 0)


@pytest.mark.parametrize("loss", ["squared", "squared_hinge"])
def test_weak_duality_against_random_networks(loss):
    X, y = _data(6, n=12, d=1, logistic=loss != "squared")
    lam = 0.01
    r = convex_nn.solve(X, y, lam, loss=loss, patterns="all", tol=1e-8, max_iter=100000)
    rng = np.random.default_rng(0)
    for _ in range(20):
        W = rng.standard_normal((8, 2))
        a = rng.standard_normal(8)
        cert = convex_nn.certify(X, y, W, a, lam, loss=loss)
        assert np.isfinite(cert.dual)
        assert cert.dual <= r.certificate.primal + 1e-9
        assert cert.primal >= r.certificate.dual - 1e-12
        assert cert.primal == pytest.approx(convex_nn.network_objective(X, y, W, a, lam, loss=loss))


def test_mapping_preserves_objective_when_neurons_are_relu():
    # One planted ReLU neuron: the gated optimum is in its cone, so the network has the same objective.
    rng = np.random.default_rng(7)
    X = np.hstack([rng.standard_normal((20, 1)), np.ones((20, 1))])
    y = np.maximum(X @ np.array([1.0, 0.3]), 0)
    lam = 1e-3
    r = convex_nn.solve(X, y, lam, patterns=np.array([[1.0, 0.3]]), tol=1e-12, max_iter=100000)
    W, a = convex_nn.to_network(r.U, r.masks, X)
    assert convex_nn.network_objective(X, y, W, a, lam) == pytest.approx(r.certificate.primal, rel=1e-12)


def test_pruning_drops_duplicates_and_zero_patterns():
    X, y = _data(8)
    gates = np.array([[1.0, 0.0], [2.0, 0.0], [0.0, -1.0], [-1.0, 0.0]])  # dup; all-zero (bias negative)
    r = convex_nn.solve(X, y, 0.01, patterns=gates)
    assert r.masks.shape[1] == 2


def test_deterministic():
    X, y = _data(9, n=40, d=3)
    a = convex_nn.solve(X, y, 0.01, n_patterns=30, random_state=1)
    b = convex_nn.solve(X, y, 0.01, n_patterns=30, random_state=1)
    assert np.array_equal(a.U, b.U) and a.certificate == b.certificate
    assert a.certificate.scope == "sampled"


@pytest.mark.parametrize(
    "kw,name",
    [
        (dict(lam=-1.0), "lam"),
        (dict(lam=0.1, n_patterns=0), "n_patterns"),
        (dict(lam=0.1, n_patterns=2**31), "n_patterns=2147483648"),  # fuzz finding: a 64 GiB MemoryError
        (dict(lam=0.1, loss="hinge"), "loss"),
        (dict(lam=0.1, patterns="bogus"), "patterns"),
    ],
)
def test_bad_input_names_argument(kw, name):
    X, y = _data(0)
    with pytest.raises(InputError, match=name):
        convex_nn.solve(X, y, **kw)


def test_bad_arrays():
    X, y = _data(0)
    Xn = X.copy()
    Xn[0, 0] = np.nan
    with pytest.raises(InputError, match="X"):
        convex_nn.solve(Xn, y, 0.1)
    with pytest.raises(InputError, match="y"):
        convex_nn.solve(X, y[:-1], 0.1)
    with pytest.raises(InputError, match="y"):
        convex_nn.solve(X, y, 0.1, loss="logistic")


def test_iteration_cap_warns_and_reports_gap():
    from convexify import ConvergenceWarning

    X, y = _data(1, n=30, d=2)
    with pytest.warns(ConvergenceWarning):
        r = convex_nn.solve(X, y, 1e-4, patterns="all", tol=1e-14, max_iter=3)
    assert not r.certificate.certified and r.certificate.gap > 0


def test_helpers_validate_their_arguments():
    # Fuzz findings: lam_max, network_objective and to_network let numpy's ValueError/AttributeError through.
    X, y = _data(2, n=12, d=2)  # d = 3 with the bias column
    M = convex_nn.enumerate_patterns(X)
    with pytest.raises(InputError, match="masks"):
        convex_nn.lam_max(X, y, M[:-1])
    with pytest.raises(InputError, match="masks"):
        convex_nn.lam_max(X, y, 0.5 * M)
    with pytest.raises(InputError, match="loss"):
        convex_nn.lam_max(X, y, M, loss="hinge")
    W1, a = np.ones((4, 3)), np.ones(4)
    with pytest.raises(InputError, match="W1"):
        convex_nn.network_objective(X, y, W1.tolist()[:2], a, 0.1)
    with pytest.raises(InputError, match="y"):
        convex_nn.network_objective(X, y[:5], W1, a, 0.1)
    with pytest.raises(InputError, match="X"):
        convex_nn.network_objective(X[:, :, None], y, W1, a, 0.1)
    with pytest.raises(InputError, match="X"):
        convex_nn.to_network(np.ones((M.shape[1], 3)), M, X[:0])
    with pytest.raises(InputError, match="U"):
        convex_nn.to_network(np.ones((2, 1)), M, X)


def test_network_objective_and_lam_max_values():
    # Values against direct formulas: 1/(2n)||relu(X W1^T) a - y||^2 + lam/2 (||W1||^2 + ||a||^2), and
    # lam_max = max_i ||X^T D_i y|| / n for the squared loss (gradient at 0 is -y/n).
    X, y = _data(3, n=15, d=2)
    rng = np.random.default_rng(3)
    W1, a = rng.standard_normal((5, 3)), rng.standard_normal(5)
    expect = 0.5 * np.mean((np.maximum(X @ W1.T, 0) @ a - y) ** 2) + 0.05 * (np.sum(W1**2) + np.sum(a**2))
    assert convex_nn.network_objective(X, y, W1, a, 0.1) == pytest.approx(expect, rel=1e-14)
    M = convex_nn.enumerate_patterns(X)
    direct = max(np.linalg.norm(X.T @ (M[:, i] * y)) for i in range(M.shape[1])) / len(y)
    assert convex_nn.lam_max(X, y, M) == pytest.approx(direct, rel=1e-13)
    # lam >= lam_max: the all-zero solution is optimal
    r = convex_nn.solve(X, y, 1.01 * direct, patterns="all", tol=1e-10)
    assert np.abs(r.U).max() < 1e-8


def test_squared_hinge_conjugate_and_lam_max():
    """-L*(nu) of the squared hinge against its definition inf_z L(z) - nu^T z (closed form per sample:
    z_j = y_j (1 + n nu_j y_j)), -inf outside y nu <= 0; lam_max gives the all-zero solution exactly."""
    from convexify.convex_nn._solve import _loss, _neg_conj

    X, y = _data(8, n=9, logistic=True)
    n = len(y)
    nu = -y * np.random.default_rng(1).uniform(0.0, 1.0 / n, n)  # y nu <= 0, |n nu| <= 1
    z = y * (1.0 + n * nu * y)
    assert abs(_neg_conj(nu, y, "squared_hinge") - (_loss(z, y, "squared_hinge") - nu @ z)) < 1e-15
    bad = nu.copy()
    bad[0] = -bad[0]
    assert _neg_conj(bad, y, "squared_hinge") == -np.inf
    M = convex_nn.enumerate_patterns(X)
    lm = convex_nn.lam_max(X, y, M, loss="squared_hinge")
    assert abs(lm - np.linalg.norm((M * (-y / n)[:, None]).T @ X, axis=1).max()) <= 1e-15 * lm
    r = convex_nn.solve(X, y, lm * 1.0001, loss="squared_hinge", patterns="all")
    assert np.all(r.U == 0) and r.certificate.gap <= 1e-12
    with pytest.raises(InputError, match="squared_hinge loss needs labels"):
        convex_nn.solve(X, np.abs(y) * 2.0, 0.1, loss="squared_hinge")


def test_finding_certify_neurons_without_weights():
    # fuzz finding: W1 of shape (1, 0) (one neuron, no input weights) passed the shape check when empty and
    # reached numpy's matmul; a network with m > 0 neurons needs W1 of shape (m, d)
    X, y = _data(0)
    with pytest.raises(InputError, match="W1"):
        convex_nn.certify(X, y, np.zeros((1, 0)), np.ones(1), 1.0)
    with pytest.raises(InputError, match="W1"):
        convex_nn.network_objective(X, y, np.zeros((1, 0)), np.ones(1), 1.0)
    empty = convex_nn.certify(X, y, np.zeros((0, 2)), np.zeros(0), 1.0)  # the empty network is fine
    assert empty.primal == pytest.approx(0.5 * np.mean(y**2), rel=1e-15)


@pytest.mark.parametrize("seed", [-1, 1.5, "s"])
def test_finding_random_state_is_validated(seed):
    # fuzz finding: a negative random_state reached numpy's default_rng (a foreign ValueError)
    X, y = _data(0)
    with pytest.raises((InputError, InputTypeError), match="random_state"):
        convex_nn.solve(X, y, 0.1, random_state=seed)
    with pytest.raises((InputError, InputTypeError), match="random_state"):
        convex_nn.ConvexReLUClassifier(random_state=seed).fit(X[:, :1], y > 0)
