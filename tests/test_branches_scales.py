"""Lens 4 is scale-equivariant across the float64 range (docs/branches.md#scales).

The mappings (s > 0; the whole X is scaled, the bias column included, which then holds s instead of 1):

* f(theta; s X) = s f(theta; X): ``forward`` scales like s.
* R(theta; s X, s tau) = R(theta; X, tau): the loss, its gradient and Hessian, loss surfaces, interpolation
  barriers, trained networks and every bound of ``gap_bracket`` are invariant when X and tau are scaled
  together; ``tau_min`` scales like s (and like K).
* R(theta / sqrt(s); s X, tau) = R(theta; X, tau): with the budget K / s, trained parameters scale like
  1 / sqrt(s), the loss is invariant and the Hessian scales like s.
* M+(t c; s X) = s t M+(c; X) for the neuron oracle, with the same maximisers.

Each test runs at s in {1e-300, 1e-150, 1, 1e150, 1e300} and compares with s = 1 after mapping back.
"""

from __future__ import annotations

import numpy as np
import pytest

from convexify import InputError
from convexify import branches as br

SCALES = [1e-300, 1e-150, 1.0, 1e150, 1e300]


def _data(seed=0, n=30, d=3):
    rng = np.random.default_rng(seed)
    X = np.column_stack([rng.standard_normal((n, d - 1)), np.ones(n)])
    y = np.where(np.abs(X[:, 0]) < 0.7, 1.0, -1.0)
    return X, y


@pytest.mark.parametrize("s", SCALES)
def test_tau_min_is_equivariant(s):
    """The probe's case: tau_min(1e160 X) was inf (the squares in the row norms overflowed), and 0 below
    1e-160.  tau_min(s X, t K) = s t tau_min(X, K)."""
    X, _ = _data()
    ref = 0.5 * 3.0 * np.max(np.sqrt(np.sum(X**2, axis=1)))
    assert br.tau_min(s * X, 3.0) == pytest.approx(s * ref, rel=1e-14)
    assert br.tau_min(1e160 * X, 3.0) == pytest.approx(1e160 * ref, rel=1e-14)
    assert br.tau_min(X, 3.0 * s) == pytest.approx(s * ref, rel=1e-14)
    a, b = br.check_assumptions(X, 1.01 * ref, 3.0), br.check_assumptions(s * X, 1.01 * s * ref, 3.0)
    assert a.regime == b.regime == "A"
    assert br.check_assumptions(s * X, 0.99 * s * ref, 3.0).regime == "B"


def test_tau_min_overflow_is_an_input_error():
    X, _ = _data()
    with pytest.raises(InputError, match="tau_min .* overflows float64"):
        br.tau_min(1e300 * X, 1e10)


@pytest.mark.parametrize("s", SCALES)
def test_forward_loss_gradient(s):
    X, y = _data()
    net = br.MultiBranchMLP(2, 3, 3, seed=1)
    np.testing.assert_allclose(net.forward(s * X), s * net.forward(X), rtol=1e-13, atol=0)
    for loss in br.LOSSES:
        R, gU, ga = net.gradient(X, y, tau=0.7, loss=loss)
        Rs, gUs, gas = net.gradient(s * X, y, tau=0.7 * s, loss=loss)
        assert Rs == pytest.approx(R, rel=1e-13)
        np.testing.assert_allclose(gUs, gU, rtol=1e-12, atol=1e-14 * np.abs(gU).max())
        np.testing.assert_allclose(gas, ga, rtol=1e-12, atol=1e-14 * np.abs(ga).max())


@pytest.mark.parametrize("s", SCALES)
@pytest.mark.parametrize("optimizer", ["gd", "adam"])
def test_fit_is_invariant(s, optimizer):
    """(X, tau) -> (s X, s tau): the same networks; (X, K) -> (s X, K / s): parameters / sqrt(s)."""
    X, y = _data()
    ref = br.MultiBranchMLP(2, 2, 3).fit(X, y, 1.0, 4.0, restarts=2, steps=60, optimizer=optimizer)
    fit = br.MultiBranchMLP(2, 2, 3).fit(s * X, y, s, 4.0, restarts=2, steps=60, optimizer=optimizer)
    assert fit.value == pytest.approx(ref.value, rel=1e-9)
    np.testing.assert_allclose(fit.values, ref.values, rtol=1e-9)
    np.testing.assert_allclose(fit.U, ref.U, rtol=1e-7, atol=1e-9)
    np.testing.assert_allclose(fit.a, ref.a, rtol=1e-7, atol=1e-9)
    fit2 = br.MultiBranchMLP(2, 2, 3).fit(s * X, y, 1.0, 4.0 / s, restarts=2, steps=60, optimizer=optimizer)
    assert fit2.value == pytest.approx(ref.value, rel=1e-9)
    np.testing.assert_allclose(fit2.U * np.sqrt(s), ref.U, rtol=1e-7, atol=1e-9)
    np.testing.assert_allclose(fit2.a * np.sqrt(s), ref.a, rtol=1e-7, atol=1e-9)
    assert fit2.budget == pytest.approx(ref.budget / s, rel=1e-9)


@pytest.mark.parametrize("s", SCALES)
def test_surface_and_barrier_are_invariant(s):
    X, y = _data()
    net = br.MultiBranchMLP(2, 2, 3, seed=1)
    plane = br.slice_directions("filter", net, seed=0)
    ref = br.loss_surface(net, X, y, plane, grid=7, tau=0.5, loss="squared_hinge")
    got = br.loss_surface(net, s * X, y, plane, grid=7, tau=0.5 * s, loss="squared_hinge")
    np.testing.assert_allclose(got.values, ref.values, rtol=1e-13)
    assert got.metadata["centre_loss"] == pytest.approx(ref.metadata["centre_loss"], rel=1e-13)
    other = net.copy().set_params(U=-net.U)
    b_ref = br.interpolation_barrier(net, other, net, X, y, tau=0.5)
    b = br.interpolation_barrier(net, other, net, s * X, y, tau=0.5 * s)
    np.testing.assert_allclose(b.values, b_ref.values, rtol=1e-13)
    assert b.barrier == pytest.approx(b_ref.barrier, rel=1e-12)


@pytest.mark.parametrize("s", SCALES)
def test_curvature(s):
    """Before: ArpackError at 1e-300 (w = 2 / (tau^2 n) overflowed) and OverflowError at 1e300."""
    X, y = _data()
    net = br.MultiBranchMLP(2, 2, 3, seed=1)
    ref = br.curvature(net, X, y, 0.8)
    got = br.curvature(net, s * X, y, 0.8 * s)
    assert got.lambda_min == pytest.approx(ref.lambda_min, rel=1e-10)
    assert got.lambda_max == pytest.approx(ref.lambda_max, rel=1e-10)
    # (X, theta) -> (s X, theta / sqrt(s)) at fixed tau: the Hessian scales like s
    small = net.copy().set_params(U=net.U / np.sqrt(s), a=net.a / np.sqrt(s))
    got2 = br.curvature(small, s * X, y, 0.8)
    assert got2.lambda_min == pytest.approx(s * ref.lambda_min, rel=1e-10)
    assert got2.lambda_max == pytest.approx(s * ref.lambda_max, rel=1e-10)
    v = np.random.default_rng(2).standard_normal((2, 2, 3)), np.random.default_rng(3).standard_normal((2, 2))
    hu, ha = br.hessian_vector_product(net, X, y, 0.8, *v)
    hus, has = br.hessian_vector_product(net, s * X, y, 0.8 * s, *v)
    np.testing.assert_allclose(hus, hu, rtol=1e-12, atol=1e-14 * np.abs(hu).max())
    np.testing.assert_allclose(has, ha, rtol=1e-12, atol=1e-14 * np.abs(ha).max())


@pytest.mark.parametrize("s", SCALES)
@pytest.mark.parametrize("tau", [1.0, 20.0])
def test_gap_bracket_is_invariant(s, tau):
    """Before: at 1e-150 the exact oracle lost its vertices (cross products underflowed) and the 'certified'
    lower bound (0.6428) exceeded the upper bound at scale 1 (0.6399); at 1e-300 and 1e300 tau_min was 0 or
    inf and the regime wrong."""
    X, y = _data()
    kw = dict(width=2, restarts=1, steps=30, rounds=3, seed=0)
    ref = br.gap_bracket(X, y, tau, 4.0, [2], **kw)[2]
    got = br.gap_bracket(s * X, y, tau * s, 4.0, [2], **kw)[2]
    assert got.regime == ref.regime == ("A" if tau == 20.0 else "B")
    assert got.certified and ref.certified
    for name in ("upper", "lower", "lower_certified", "upper_trained", "upper_pruned", "v_lp"):
        assert getattr(got, name) == pytest.approx(getattr(ref, name), rel=1e-8, abs=1e-10), name
    assert got.lower <= got.upper + 1e-9
    assert got.tau_min == pytest.approx(s * ref.tau_min, rel=1e-14)
    if ref.regime == "A":
        assert got.bound == pytest.approx(ref.bound, rel=1e-8)
        np.testing.assert_allclose(got.closed_form, ref.closed_form, rtol=1e-8)
        np.testing.assert_allclose(got.delta, ref.delta, rtol=1e-8)
    # the second mapping: X by s, K by 1 / s, tau fixed
    got2 = br.gap_bracket(s * X, y, tau, 4.0 / s, [2], **kw)[2]
    for name in ("upper", "lower", "lower_certified", "v_lp"):
        assert getattr(got2, name) == pytest.approx(getattr(ref, name), rel=1e-8, abs=1e-10), name


@pytest.mark.parametrize("s", SCALES)
@pytest.mark.parametrize("t", [1e-3, 1.0, 1e3])
def test_neuron_oracles_are_equivariant(s, t):
    """M+(t c; s X) = s t M+(c; X); before, m_plus_exact's cross products and m_plus_upper's spectral norm
    overflowed or underflowed beyond 1e+-154."""
    rng = np.random.default_rng(4)
    X = rng.standard_normal((25, 3))
    c = rng.standard_normal(25)
    v, u = br.m_plus_exact(X, c)
    vs, us = br.m_plus_exact(s * X, t * c)
    assert vs == pytest.approx(s * t * v, rel=1e-12)
    np.testing.assert_allclose(us, u, atol=1e-12)
    assert br.m_plus_upper(s * X, t * c) == pytest.approx(s * t * br.m_plus_upper(X, c), rel=1e-12)
    h = br.m_plus_heuristic(X, c, np.random.default_rng(5))
    hs = br.m_plus_heuristic(s * X, t * c, np.random.default_rng(5))
    assert hs[0] == pytest.approx(s * t * h[0], rel=1e-10)
    assert h[0] <= v * (1 + 1e-12) and v <= br.m_plus_upper(X, c) * (1 + 1e-12)


def test_neuron_oracle_overflow_is_an_input_error():
    rng = np.random.default_rng(4)
    X, c = rng.standard_normal((25, 3)), rng.standard_normal(25)
    with pytest.raises(InputError, match="exceeds float64's range"):
        br.m_plus_exact(1e200 * X, 1e200 * c)
    with pytest.raises(InputError, match="exceeds float64's range"):
        br.m_plus_upper(1e200 * X, 1e200 * c)


def test_tau_out_of_scale_with_X_is_an_input_error():
    """tau / max|X| outside float64's normal range: the margins y f / tau cannot be represented."""
    X, y = _data()
    net = br.MultiBranchMLP(2, 2, 3, seed=1)
    with pytest.raises(InputError, match="tau is out of scale with X"):
        net.loss(1e300 * X, y, tau=1e-300)
    with pytest.raises(InputError, match="tau is out of scale with X"):
        br.MultiBranchMLP(2, 2, 3).fit(1e-300 * X, y, 1e300, 4.0, steps=1)
    with pytest.raises(InputError, match="X: the network's outputs"):
        net.set_params(U=1e10 * net.U).forward(1e300 * X)
