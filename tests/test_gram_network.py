"""Lens 3 finite-width networks: G^(H)(0) converges to K^(H) (corrected Definition 1), GD diagnostics."""

from __future__ import annotations

import numpy as np
import pytest

from convexify import gram
from convexify.reference import gram as ref


def unit_rows(rng, n, d):
    X = rng.standard_normal((n, d))
    return X / np.linalg.norm(X, axis=1, keepdims=True)


def mean_gram(X, width, depth, seeds, **kw):
    return np.mean([gram.empirical_gram(X, width, depth, seed=s, **kw) for s in range(seeds)], axis=0)


def test_finite_width_matches_corrected_recursion_not_survey():
    rng = np.random.default_rng(1)
    X = unit_rows(rng, 12, 4)
    K = gram.gram_matrix(X, 3)
    survey = ref.gram_fc(X, 3, last_layer="survey")
    G = mean_gram(X, 1000, 3, 8)
    err_corrected = np.linalg.norm(G - K) / np.linalg.norm(K)
    err_survey = np.linalg.norm(G - survey) / np.linalg.norm(K)
    assert err_corrected < 0.6 * err_survey
    assert err_corrected < 0.06


def test_finite_width_error_decays_like_inverse_sqrt_width():
    rng = np.random.default_rng(2)
    X = unit_rows(rng, 10, 4)
    K = gram.gram_matrix(X, 2, "tanh")
    errs = []
    for m in (100, 1600):
        e = [
            np.linalg.norm(gram.empirical_gram(X, m, 2, "tanh", seed=s) - K) / np.linalg.norm(K)
            for s in range(6)
        ]
        errs.append(np.mean(e))
    ratio = errs[1] / errs[0]  # 16x the width: expect about 1/4
    assert 0.12 < ratio < 0.45


def test_resnet_finite_width_with_unequal_norms():
    # Non-unit norms make b_i, mu_i differ between points, so the b/mu pairing of docs/gram.md#resnet is
    # tested.
    rng = np.random.default_rng(3)
    X = unit_rows(rng, 10, 4) * rng.uniform(0.5, 1.5, size=(10, 1))
    K = gram.gram_matrix(X, 3, arch="resnet", unit_norm="ignore")
    G = mean_gram(X, 1500, 3, 6, arch="resnet")
    assert np.linalg.norm(G - K) / np.linalg.norm(K) < 0.05


def test_full_empirical_ntk_close_to_ntk():
    rng = np.random.default_rng(4)
    X = unit_rows(rng, 8, 3)
    res = gram.ntk(X, 2, "erf")
    G = mean_gram(X, 1500, 2, 4, activation="erf", block="full")
    assert np.linalg.norm(G - res.ntk) / np.linalg.norm(res.ntk) < 0.05


def test_train_wide_linear_rate_and_bound():
    rng = np.random.default_rng(5)
    X = unit_rows(rng, 10, 4)
    y = rng.standard_normal(10)
    r = gram.train_wide(X, y, 800, 2, iters=400, activation="tanh", train="last")
    assert r.loss[-1] < 1e-3 * r.loss[0]
    assert r.bound_holds
    assert np.isfinite(r.empirical_factor)
    assert abs(r.empirical_factor - r.kernel_factor) < 0.5 * (1 - r.kernel_factor)
    assert r.laziness < 0.5
    assert r.drift_fro[0] == 0.0 and r.drift_fro[1] > 0
    assert r.eta == pytest.approx(1 / r.lambda_max_G0)
    r_all = gram.train_wide(X, y, 300, 2, iters=50, activation="relu", train="all", eta=0.05)
    assert r_all.loss[-1] < r_all.loss[0] and all(d > 0 for d in r_all.drift_fro)


def test_network_bad_inputs():
    X = np.eye(3)
    with pytest.raises(ValueError, match="width"):
        gram.empirical_gram(X, 0, 2)
    with pytest.raises(ValueError, match="depth"):
        gram.empirical_gram(X, 10, 1, arch="resnet")
    with pytest.raises(ValueError, match="block"):
        gram.empirical_gram(X, 10, 2, block="middle")
    with pytest.raises(ValueError, match="y"):
        gram.train_wide(X, np.ones(2), 10, 2, eta=0.1, iters=1)
    with pytest.raises(ValueError, match="eta"):
        gram.train_wide(X, np.ones(3), 10, 2, eta=-0.1, iters=1)
