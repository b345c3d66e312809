"""Lens 4 non-convexity scores, slice directions and the interpolation barrier (docs/branches.md#scores)."""

from __future__ import annotations

import numpy as np
import pytest

from convexify import branches as br
from convexify.reference import branches as ref


def test_linear_model_hinge_surface_is_convex(rng):
    """A linear classifier's tau-hinge on any plane is convex: envelope and midpoint scores ~ 0."""
    n, d = 80, 5
    X = rng.standard_normal((n, d))
    y = np.where(rng.standard_normal(n) > 0, 1.0, -1.0)
    w0, d1, d2 = rng.standard_normal((3, d))
    al = np.linspace(-2, 2, 25)
    be = np.linspace(-1, 3, 21)
    W = w0 + al[:, None, None, None] * d1 + be[None, :, None, None] * d2  # (25, 21, 1, d)
    S = np.mean(np.maximum(1 - y * (W[..., 0, :] @ X.T) / 0.5, 0), axis=-1)
    sc = br.nonconvexity_scores(S, al, be)
    assert not sc["flat"]
    assert sc["env_max"] < 1e-9
    assert sc["env_mean"] < 1e-10
    assert sc["midpoint_frac"] == 0.0


def test_scores_invariant_under_affine_rescaling(rng):
    al = np.linspace(-1, 1, 15)
    be = np.linspace(0, 2, 11)
    A, B = np.meshgrid(al, be, indexing="ij")
    S = np.sin(3 * A) * np.cos(2 * B) + 0.3 * A**2
    base = br.nonconvexity_scores(S, al, be)
    moved = br.nonconvexity_scores(7.5 * S - 3.0, 4.0 * al + 10.0, 0.01 * be - 5.0)
    for k in ("env_max", "env_mean", "midpoint_frac", "midpoint_excess", "neg_hess_frac"):
        assert moved[k] == pytest.approx(base[k], rel=1e-9, abs=1e-12), k
    assert base["env_max"] > 0.1 and base["midpoint_frac"] > 0.1
    frac, exc = ref.midpoint_scores(S)
    assert base["midpoint_frac"] == pytest.approx(frac, rel=1e-12)
    assert base["midpoint_excess"] == pytest.approx(exc, rel=1e-12)


def test_double_well_has_its_exact_envelope_gap():
    """S = (a^2 - 1)^2 + b^2: the envelope is 0 on |a| <= 1 plus b^2, so the gap is (a^2 - 1)^2 there."""
    al = np.linspace(-1.5, 1.5, 13)  # contains -1, 0, 1
    be = np.linspace(-1.5, 1.5, 13)
    f = (al**2 - 1) ** 2
    S = f[:, None] + be[None, :] ** 2
    sc = br.nonconvexity_scores(S, al, be)
    rng_ = S.max() - S.min()
    gap_a = np.where(np.abs(al) <= 1 + 1e-12, f, 0.0)
    assert sc["range"] == pytest.approx(rng_)
    assert sc["env_max"] == pytest.approx(1.0 / rng_, rel=1e-9)
    assert sc["env_mean"] == pytest.approx(gap_a.mean() / rng_, rel=1e-9)


def test_flat_surface_returns_zero():
    sc = br.nonconvexity_scores(np.full((4, 5), 2.5), np.arange(4.0), np.arange(5.0))
    assert sc["flat"] is True
    assert sc["env_max"] == 0.0 and sc["midpoint_frac"] == 0.0


def test_filter_normalisation_matches_filter_norms(rng):
    net = br.MultiBranchMLP(3, 4, 6, seed=1)
    plane = br.slice_directions("filter", net, seed=2)
    for dU, da in (plane.d1, plane.d2):
        np.testing.assert_allclose(np.linalg.norm(dU, axis=2), np.linalg.norm(net.U, axis=2), rtol=1e-12)
        np.testing.assert_allclose(np.linalg.norm(da, axis=1), np.linalg.norm(net.a, axis=1), rtol=1e-12)
    assert not np.allclose(plane.d1[0], plane.d2[0])
    rnd = br.slice_directions("random", net, seed=2)
    norm = np.sqrt(np.sum(net.U**2) + np.sum(net.a**2))
    assert np.sqrt(np.sum(rnd.d1[0] ** 2) + np.sum(rnd.d1[1] ** 2)) == pytest.approx(norm, rel=1e-12)


def test_filter_direction_zero_filter_warns():
    net = br.MultiBranchMLP(2, 2, 3, seed=1)
    U = net.U
    U[0, 1] = 0.0
    net.set_params(U=U)
    with pytest.warns(UserWarning, match="zero filters"):
        plane = br.slice_directions("filter", net, seed=0)
    assert np.all(plane.d1[0][0, 1] == 0.0)


def test_three_minima_plane_contains_the_minima(rng):
    nets = [br.MultiBranchMLP(2, 3, 4, seed=s) for s in range(3)]
    plane = br.slice_directions("three_minima", solutions=nets)
    for k, net in enumerate(nets):
        x, z = plane.minima[k]
        U = plane.centre[0] + x * plane.d1[0] + z * plane.d2[0]
        a = plane.centre[1] + x * plane.d1[1] + z * plane.d2[1]
        np.testing.assert_allclose(U, net.U, atol=1e-12)
        np.testing.assert_allclose(a, net.a, atol=1e-12)
    n2 = np.sqrt(np.sum(nets[2].U ** 2) + np.sum(nets[2].a ** 2))
    assert np.sqrt(np.sum(plane.d1[0] ** 2) + np.sum(plane.d1[1] ** 2)) == pytest.approx(n2, rel=1e-12)


def test_interpolation_barrier_matches_reference(rng):
    X = np.column_stack([rng.standard_normal((50, 3)), np.ones(50)])
    y = np.where(X[:, 0] > 0, 1.0, -1.0)
    na, nb = br.MultiBranchMLP(2, 3, 4, seed=1), br.MultiBranchMLP(2, 3, 4, seed=2)
    bar = br.interpolation_barrier(na, na, nb, X, y, tau=0.5)
    t = np.linspace(0, 1, 21)
    vals = np.array([ref.risk(X, y, (1 - s) * na.U + s * nb.U, (1 - s) * na.a + s * nb.a, 0.5) for s in t])
    np.testing.assert_allclose(bar.values, vals, rtol=1e-12)
    assert bar.barrier == pytest.approx(np.max(vals - ((1 - t) * vals[0] + t * vals[-1])), rel=1e-12)
    same = br.interpolation_barrier(na, na, (na.U, na.a), X, y)
    assert same.barrier == pytest.approx(0.0, abs=1e-15)


def test_multiclass_margin_surface_matches_reference(rng):
    """The loss of the paper's landscape figure (docs/branches.md#figure) on a three-minima plane.

    Networks with C outputs.
    """
    I, m, d, C, n = 3, 2, 4, 5, 60
    X = np.column_stack([rng.standard_normal((n, d - 1)), np.ones(n)])
    labels = rng.integers(0, C, n)
    sols = [(rng.standard_normal((I, m, d)), rng.standard_normal((I, m, C))) for _ in range(3)]
    plane = br.slice_directions("three_minima", solutions=sols)
    surf = br.multiclass_loss_surface(X, labels, plane, grid=(np.linspace(-1, 1, 6), np.linspace(-2, 1, 5)))
    S = ref.multiclass_surface(X, labels, plane.centre, plane.d1, plane.d2, surf.alphas, surf.betas)
    np.testing.assert_allclose(surf.values, S, rtol=1e-12, atol=1e-14)
    assert np.ptp(S) > 0.1
    with pytest.raises(ValueError, match="labels must be integers"):
        br.multiclass_loss_surface(X, labels + 0.5, plane, grid=5)
    with pytest.raises(ValueError, match=r"labels must be integers in \[0, 4\]"):
        br.multiclass_loss_surface(X, labels + 1, plane, grid=5)
