"""Lens 2's report (convexify.reproduce.relu): the verdict rules and measurements, on hand-made numbers."""

from __future__ import annotations

import numpy as np
import pytest

from convexify import relu
from convexify.reproduce import relu as study


def _row(van, rel, trapped=0):
    """A draw summary with the given final medians (train, test, recovery) of vanilla and relaxed."""

    def side(values, t):
        return {
            **{m: {"median": v, "p10": v, "p90": v} for m, v in zip(study.METRICS, values)},
            "certified_trapped": t,
            "iters_to_level": np.array([np.inf]),
        }

    return {"vanilla": side(van, trapped), "relaxed": side(rel, 0)}


def test_iterations_to_level_is_the_first_recorded_iteration_and_inf_when_censored():
    iterations = np.array([0, 10, 20, 30])
    history = np.array([[1.0, 1.0, 1.0], [0.5, 1e-4, 1.0], [1e-4, 1e-5, 0.9], [1e-6, 1e-6, 0.8]])
    got = study._iterations_to_level(history, iterations, 1e-3)
    np.testing.assert_array_equal(got, [20.0, 10.0, np.inf])


@pytest.mark.parametrize(
    "van, rel, metric, word",
    [
        (1.0, 0.75, "recovery_error", "lower"),
        (1.0, 0.76, "recovery_error", "within"),
        (0.75, 1.0, "recovery_error", "higher"),
        (3e-16, 2e-16, "recovery_error", "tie"),  # both at round-off: a ratio of 2/3 means nothing there
        (3e-16, 1e-10, "recovery_error", "higher"),
        (4e-32, 1e-32, "train_loss", "tie"),
    ],
)
def test_metric_word(van, rel, metric, word):
    assert study._metric_word(van, rel, metric) == word


def test_final_error_verdicts_follow_the_rules():
    tie = [_row((4e-32, 7e-32, 3e-16), (4e-32, 7e-32, 3.1e-16)) for _ in range(4)]
    assert study._final_error_verdict(tie)["verdict"] == "refuted"  # equal is not lower
    assert study._final_error_verdict(tie)["finding"] == "equal: both at round-off"
    lower = [_row((1.0, 1.0, 1.0), (0.5, 0.5, 0.5)) for _ in range(3)] + [_row((1, 1, 1), (1, 1, 1))]
    assert study._final_error_verdict(lower)["verdict"] == "confirmed"  # 3 of 4 draws = MAJORITY
    half = lower[:2] + [_row((1, 1, 1), (1, 1, 1))] * 2
    assert study._final_error_verdict(half)["verdict"] == "qualified"
    # Regime C's pattern: train within the margin, test and recovery higher: no metric lower in any draw.
    noisy = [_row((0.23, 0.03, 0.24), (0.26, 0.06, 0.36)) for _ in range(4)]
    res = study._final_error_verdict(noisy)
    assert res["verdict"] == "refuted" and res["draws_not_lower"] == 1.0


def test_speed_pairs_runs_and_counts_censored_ones():
    rows = [
        {
            "vanilla": {"iters_to_level": np.array([50.0, np.inf, 100.0])},
            "relaxed": {"iters_to_level": np.array([50.0, 400.0, 80.0])},
        },
    ]
    s = study._speed(rows)
    assert (s["reached_vanilla"], s["reached_relaxed"], s["runs"]) == (2, 3, 3)
    assert s["median_vanilla"] == 75.0 and s["median_relaxed"] == 80.0
    assert (s["relaxed_first"], s["vanilla_first"]) == (2, 0)  # the censored run and 80 < 0.9 * 100
    assert s["finding"] == "faster"


def test_relaxation_identity_against_an_independent_computation():
    """L_r - L = 2 y^T relu(-X w) for eqs. (7)/(8) (docs/relu.md#losses); the linear least squares adds
    ||relu(-X w)||^2."""
    rng = np.random.default_rng(5)
    X, y, w = rng.standard_normal((30, 4)), rng.uniform(0, 2, 30), rng.standard_normal(4)
    z = X @ w
    L = np.sum((np.maximum(z, 0) - y) ** 2)
    Lr = np.sum(np.where(z >= 0, (z - y) ** 2, y**2 - 2 * z * y))  # per sample, docs/relu.md#losses
    assert relu.relaxed_loss(w, X, y) - relu.loss(w, X, y) == pytest.approx(
        2 * y @ np.maximum(-z, 0), rel=1e-13
    )
    assert Lr - L == pytest.approx(2 * y @ np.maximum(-z, 0), rel=1e-13)
    linear = np.sum((z - y) ** 2)
    assert linear - L == pytest.approx(np.sum(np.maximum(-z, 0) ** 2) + 2 * y @ np.maximum(-z, 0), rel=1e-13)
    got = study._relaxation_identity(trials=40)
    assert got["max_relative_deviation"] < 1e-13 and got["max_relative_deviation_linear"] < 1e-13
    assert got["min_term_nonnegative_labels"] >= 0 > got["min_term_signed_labels"]
    assert got["max_relative_size_of_squared_term"] > 0.1  # the squared term is not negligible
