"""Helpers of the gram section of `convexify reproduce`: the positive-definiteness certificate, the slope."""

from __future__ import annotations

import numpy as np

from convexify import gram
from convexify.reproduce.gram import _certified_lower_bound, _slope


def test_certified_lower_bound_is_half_the_smallest_eigenvalue_and_below_it():
    rng = np.random.default_rng(7)
    Q, _ = np.linalg.qr(rng.standard_normal((12, 12)))
    eig = np.geomspace(1e-6, 3.0, 12)
    K = (Q * eig) @ Q.T
    K = 0.5 * (K + K.T)
    bound = _certified_lower_bound(K)
    assert bound == gram.spectrum(K).lambda_min / 2
    assert 0 < bound < np.linalg.eigvalsh(K)[0]
    assert abs(bound - 0.5e-6) < 1e-12


def test_certified_lower_bound_is_zero_for_a_duplicated_sample():
    X = np.random.default_rng(8).standard_normal((8, 5))
    X /= np.linalg.norm(X, axis=1, keepdims=True)
    assert _certified_lower_bound(gram.gram_matrix(X, 3, "relu")) > 0
    X[1] = X[0]
    K = gram.gram_matrix(X, 3, "relu")
    assert _certified_lower_bound(K) == 0.0
    null = np.zeros(8)
    null[:2] = 1.0, -1.0
    assert np.linalg.norm(K @ null) <= gram.spectrum(K).error_bound


def test_slope_fits_the_power_law_on_widths_from_128():
    widths = [64, 128, 256, 512, 1024]
    errs = [5.0 * m**-0.5 for m in widths]
    errs[0] *= 3.0  # the small-width point is left out of the fit
    assert abs(_slope(widths, errs) + 0.5) < 1e-12
