"""Lens 4 duality-gap bracket, regimes and the closed-form benchmark (docs/branches.md#bracket)."""

from __future__ import annotations

import itertools

import numpy as np
import pytest

from convexify import branches as br


def _data(rng, n=40, d=2):
    X = np.column_stack([rng.standard_normal((n, d - 1)), np.ones(n)])
    y = np.where(np.abs(X[:, 0]) < 0.7, 1.0, -1.0)
    return X, y


@pytest.mark.parametrize(("k", "I"), [(0.3, 1), (0.3, 2), (0.7, 3), (0.5, 2), (0.25, 4), (0.9, 5)])
def test_exact_separable_benchmark_matches_brute_force(k, I):
    """gap / rho_v from the primal allocation problem: min (1/I) sum -t_i^2 s.t. sum t_i <= I k, t_i in [0,
    1],
    against v**(k) = -k (R = 1), rho_v = 1/4; brute force over a grid containing the vertices."""
    grid = np.linspace(0, 1, 21)
    best = np.inf
    for t in itertools.product(grid, repeat=I if I <= 3 else 3):
        t = np.array(t + (0.0,) * (I - len(t)))
        if t.sum() <= I * k + 1e-12:
            best = min(best, -np.sum(t**2) / I)
    if I > 3:  # vertices: q = floor(I k) ones and one entry s
        q = int(np.floor(I * k))
        s = I * k - q
        best = min(best, -(q + s**2) / I)
    brute = (best + k) / 0.25
    assert br.exact_separable_benchmark(k, I) == pytest.approx(brute, abs=1e-12)
    assert br.exact_separable_benchmark(k, I) <= 1.0 / I + 1e-15


def test_exact_separable_benchmark_zero_when_integer():
    assert br.exact_separable_benchmark(0.5, 2) == 0.0
    assert br.exact_separable_benchmark(0.25, 8) == 0.0
    assert br.exact_separable_benchmark(1.0, 3) == 0.0
    assert br.exact_separable_benchmark(0.5, 1) == pytest.approx(1.0)


def test_regime_check(rng):
    X, _ = _data(rng)
    tm = br.tau_min(X, 3.0)
    assert tm == pytest.approx(1.5 * np.linalg.norm(X, axis=1).max())
    a = br.check_assumptions(X, tm, 3.0)
    assert a.regime == "A" and a.violated == ()
    b = br.check_assumptions(X, 0.99 * tm, 3.0)
    assert b.regime == "B" and len(b.violated) == 1 and "tau_min" in b.violated[0]
    assert any("ordinary hinge" in w for w in br.check_assumptions(X, 1.0, 3.0).warnings)


def test_gap_bracket_certified_chain_low_dimension(rng):
    """d = 2: exact neuron oracle, so the lower bound is a certificate; lower <= V_LP and lower <= UB_I."""
    X, y = _data(rng, n=40, d=2)
    res = br.gap_bracket(
        X, y, tau=1.0, K=4.0, branch_counts=[1, 2, 8], width=2, restarts=2, steps=150, seed=1
    )
    assert set(res) == {1, 2, 8}
    for I, e in res.items():
        assert e.certified and e.regime == "B" and e.bound is None
        assert e.lower <= e.v_lp + 1e-9
        assert e.lower <= e.upper + 1e-9
        assert e.lower_certified <= e.lower + 1e-12
        assert e.upper == min(e.upper_trained, e.upper_pruned)
        assert e.gap_upper == pytest.approx(e.upper - e.lower)
        if I * 2 >= e.n_active:  # the pruned LP network attains V_LP once it has room for the support
            assert e.upper_pruned == pytest.approx(e.v_lp, abs=1e-7)
    assert res[8].v_lp - res[8].lower < 1e-4  # column generation converged
    assert res[1].upper >= res[8].upper - 1e-12


def test_gap_bracket_heuristic_is_not_called_a_certificate(rng):
    X, y = _data(rng, n=40, d=5)
    res = br.gap_bracket(
        X, y, tau=0.5, K=2.0, branch_counts=[2], width=3, restarts=1, steps=80, seed=2, rounds=3
    )
    e = res[2]
    assert not e.certified
    assert "modulo global neuron search" in e.note
    assert e.lower_certified <= e.lower + 1e-12
    assert e.lower <= e.upper + 1e-9


def test_gap_bracket_regime_a_zero_gap_closed_form(rng):
    """Regime A with weight decay: inf(P_I) = sup(D_I) = 1 - B M / (n tau) for every I.

    See docs/branches.md#zero-gap.
    """
    X, y = _data(rng, n=30, d=2)
    K = 2.0
    tau = 1.5 * br.tau_min(X, K)
    res = br.gap_bracket(X, y, tau=tau, K=K, branch_counts=[1, 3], width=2, restarts=2, steps=200, seed=3)
    for I, e in res.items():
        assert e.regime == "A" and e.certified
        lo, hi = e.closed_form
        assert lo == pytest.approx(hi, abs=1e-12)  # exact oracle: the interval is a point
        assert e.lower == pytest.approx(lo, abs=1e-7)
        assert e.upper >= lo - 1e-9 and e.upper - lo < 1e-3
        d_lo, d_hi = e.delta
        assert 0 < d_lo <= d_hi
        assert e.bound == pytest.approx(2 * d_hi / I)
        # Delta_hi = R2 M / (n tau) with R2 = I K, and 1 - value = B M / (n tau), B = K / 2
        assert 1 - lo == pytest.approx((K / 2) * d_hi / (I * K), rel=1e-12)


@pytest.mark.parametrize("d", [1, 2, 3])
def test_exact_oracle_against_dense_sampling(rng, d):
    X = rng.standard_normal((30, d))
    c = rng.standard_normal(30)
    value, u = br.m_plus_exact(X, c)
    assert value >= 0.0  # u = 0 is feasible (the ball ||u|| <= 1)
    assert np.linalg.norm(u) == pytest.approx(1.0 if value > 0 else 0.0)
    assert np.maximum(X @ u, 0) @ c == pytest.approx(value, rel=1e-12)
    V = rng.standard_normal((200_000, d))
    V /= np.linalg.norm(V, axis=1, keepdims=True)
    sampled = max((np.maximum(V @ X.T, 0) @ c).max(), 0.0)
    assert sampled <= value + 1e-12
    assert value - sampled <= 0.02 * value
    assert br.m_plus_upper(X, c) >= value - 1e-12


def test_heuristic_oracle_finds_the_exact_maximum_in_3d(rng):
    for _ in range(5):
        X = rng.standard_normal((40, 3))
        c = rng.standard_normal(40)
        exact = br.m_plus_exact(X, c)[0]
        heur = br.m_plus_heuristic(X, c, rng)[0]
        assert heur <= exact + 1e-12
        assert heur == pytest.approx(exact, rel=1e-9)


def test_sdp_bound_is_an_upper_bound(rng):
    pytest.importorskip("cvxpy")
    X = np.column_stack([rng.standard_normal((15, 2)), np.ones(15)])
    c = rng.standard_normal(15)
    value, u = br.m_plus_exact(X, c)
    assert br.m_plus_sdp(X, c, u) >= value - 1e-6


def test_regime_a_with_branch_balls_pruned_network_attains_the_lp(rng):
    """W_i = {||w_i||^2 <= K}: copies of the LP units in every branch stay feasible and attain V_LP."""
    X, y = _data(rng, n=30, d=2)
    K = 2.0
    tau = br.tau_min(X, K)
    res = br.gap_bracket(X, y, tau=tau, K=K, branch_counts=[1, 2, 5], width=2, restarts=1, steps=100, R2=K)
    for I, e in res.items():
        assert e.upper_pruned == pytest.approx(e.v_lp, abs=1e-9)
        assert e.bound == pytest.approx(2 * e.delta[1] / I)
        assert e.delta == res[1].delta  # Delta does not depend on I for a fixed W_i


def test_fit_respects_branch_balls(rng):
    X, y = _data(rng, n=40, d=3)
    net = br.MultiBranchMLP(3, 2, 3)
    res = net.fit(X, y, tau=1.0, K=3.0, restarts=2, steps=60, seed=0, R2=2.0)
    assert net.branch_sq_norms().max() <= 2.0 * (1 + 1e-9)
    assert res.budget <= 3.0 * (1 + 1e-9)


def test_oracle_independent_of_thread_count(rng):
    import convexify

    X = rng.standard_normal((300, 6))
    c = rng.standard_normal(300)
    one = br.m_plus_heuristic(X, c, np.random.default_rng(0))
    convexify.set_num_threads(2)
    try:
        two = br.m_plus_heuristic(X, c, np.random.default_rng(0))
    finally:
        convexify.set_num_threads(1)
    assert one[0] == two[0]
    assert np.array_equal(one[2], two[2])


def test_gap_bracket_sdp_certified_bound(rng):
    pytest.importorskip("cvxpy")
    X, y = _data(rng, n=25, d=4)
    plain = br.gap_bracket(X, y, 0.5, 2.0, [2], width=2, restarts=1, steps=40, seed=3, rounds=2)[2]
    sdp = br.gap_bracket(X, y, 0.5, 2.0, [2], width=2, restarts=1, steps=40, seed=3, rounds=2, certify="sdp")[
        2
    ]
    assert not sdp.certified
    assert plain.lower_certified <= sdp.lower_certified + 1e-9  # Mbar = min(closed form, SDP)
    assert sdp.lower_certified <= sdp.lower + 1e-6
    assert sdp.extra["rounds"] <= 2 and sdp.extra["oracle"].startswith("heuristic")
