"""Lens 4 report helpers: the trend statistic behind the Figure 2 verdict, the closed-form projection, the
gap bracket's progress bars and the figures' integer branch axis."""

from __future__ import annotations

import math

import numpy as np
import pytest
from scipy.stats import spearmanr

from convexify import branches as br
from convexify.branches._model import projection_scales
from convexify.reproduce.branches import _branch_axis, _rank_trend


def test_rank_trend_rho_is_spearman_of_all_pairs(rng):
    counts = [1, 2, 4, 8]
    samples = [rng.exponential(1.0 / I, size=5 + k) for k, I in enumerate(counts)]
    out = _rank_trend(counts, samples, n_boot=200, seed=3)
    x = np.concatenate([np.full(s.size, I) for I, s in zip(counts, samples)])
    rho, _ = spearmanr(x, np.concatenate(samples))
    assert out["rho"] == pytest.approx(rho, abs=1e-12)
    assert out["n"] == x.size
    assert out["medians"] == pytest.approx([np.median(s) for s in samples])
    assert out["lo"] <= out["rho"] <= out["hi"]


@pytest.mark.parametrize(("slope", "expected"), [(-1.0, "decreases"), (1.0, "increases"), (0.0, None)])
def test_rank_trend_classifies_by_the_whole_interval(rng, slope, expected):
    counts = [1, 4, 16, 64]
    samples = [np.exp(slope * math.log2(I) + 0.3 * rng.standard_normal(8)) for I in counts]
    out = _rank_trend(counts, samples, n_boot=500, seed=1)
    if expected is None:  # pure noise: no interval excludes 0 for this seed
        assert out["lo"] < 0 < out["hi"] and out["trend"] == "no consistent trend"
    else:
        assert out["trend"] == expected
        assert abs(out["rho"]) > 0.8


def test_rank_trend_is_seeded_and_handles_zero_scores():
    counts = [1, 2, 4]
    samples = [np.array([0.0, 0.1, 0.2]), np.array([0.0, 0.0, 0.05]), np.zeros(3)]
    a = _rank_trend(counts, samples, n_boot=300, seed=5)
    b = _rank_trend(counts, samples, n_boot=300, seed=5)
    assert a == b
    assert a["rho"] < 0


def _projection_by_bisection(sq, total, R2):
    """Independent reference: bisection on nu of sum min(1/(1+nu), cap_i)^2 ||w_i||^2 = total."""
    cap = np.sqrt(R2 / np.where(sq > 0, sq, 1.0))
    cap[sq == 0] = np.inf

    def excess(nu):
        return np.sum(np.minimum(1.0 / (1.0 + nu), cap) ** 2 * sq) - total

    if excess(0.0) <= 0:
        return np.minimum(1.0, cap)
    lo, hi = 0.0, 1.0
    while excess(hi) > 0:
        hi *= 2
    for _ in range(300):
        mid = 0.5 * (lo + hi)
        lo, hi = (mid, hi) if excess(mid) > 0 else (lo, mid)
    return np.minimum(1.0 / (1.0 + hi), cap)


def test_projection_scales_closed_form_matches_bisection(rng):
    for _ in range(300):
        I = int(rng.integers(1, 30))
        sq = rng.exponential(size=I) ** rng.uniform(0.2, 3.0)
        if rng.random() < 0.2:
            sq[rng.integers(I)] = 0.0
        total = rng.uniform(0.1, 1.5) * sq.sum()
        R2 = rng.uniform(0.05, 1.5) * sq.max()
        got = projection_scales(sq, total, R2)
        np.testing.assert_allclose(got, _projection_by_bisection(sq, total, R2), rtol=1e-12, atol=1e-14)
        assert np.sum(got**2 * sq) <= total * (1 + 1e-12)
        assert np.all(got**2 * sq <= R2 * (1 + 1e-12))


def test_gap_bracket_progress_changes_nothing(rng, capsys):
    X = np.column_stack([rng.standard_normal((30, 1)), np.ones(30)])
    y = np.where(np.abs(X[:, 0]) < 0.7, 1.0, -1.0)
    kw = dict(width=2, restarts=1, steps=20, rounds=2, n_random_units=20, seed=0)
    quiet = br.gap_bracket(X, y, 1.0, 4.0, [1, 2], **kw)
    shown = br.gap_bracket(X, y, 1.0, 4.0, [1, 2], progress=True, **kw)
    for I in (1, 2):
        assert shown[I].upper == quiet[I].upper and shown[I].lower == quiet[I].lower
    assert "gap_bracket" in capsys.readouterr().err


def test_branch_axis_has_integer_ticks():
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots()
    ax.plot([1, 4, 16], [1.0, 2.0, 3.0])
    _branch_axis(ax, [1, 4, 16])
    fig.canvas.draw()
    assert [t.get_text() for t in ax.get_xticklabels()] == ["1", "4", "16"]
    assert ax.get_xlabel() == "branches $I$"
    plt.close(fig)
