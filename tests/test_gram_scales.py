"""Lens 3 across the float64 range (docs/gram.md#scales): results are equivariant under X -> s X (or K -> s K)
or a clear InputError says why not.

Mappings tested, for s from 1e-300 to 1e300 where the quantity is representable:

* ``gram_matrix`` / ``ntk`` with ``normalize=True``: invariant (bit for bit for a power-of-two s).
* ``gram_matrix(unit_norm="ignore")`` and ``empirical_gram`` with ReLU (positively homogeneous): every
  ``K^(h)`` scales like ``s^2``; rows whose squared norms leave the normal float64 range raise InputError.
* ``spectrum``: eigenvalues and error bound like ``s``, condition and ``singular`` invariant;
  ``certify_lambda_min(s K, s tau)`` invariant; ``rate(s K, eta / s)`` and ``kernel_prediction`` invariant;
  ``requirements``: width terms in ``lambda^-p`` like ``s^-p``, the step term like ``s``.
* ``train_wide(s X, s y)`` (ReLU, default step ~ ``s^-2``): losses like ``s^2``, factors and drifts invariant.
"""

from __future__ import annotations

import math

import numpy as np
import pytest

import convexify
from convexify import gram

SCALES = [1e-300, 1e-150, 1.0, 1e150, 1e300]
TWO = [2.0**-900, 2.0**-500, 2.0**500, 2.0**900]  # exact scalings: bit-for-bit results


def unit_rows(rng, n, d):
    X = rng.standard_normal((n, d))
    return X / np.linalg.norm(X, axis=1, keepdims=True)


def rel(a, b):
    return float(np.max(np.abs(np.asarray(a) - np.asarray(b))) / np.max(np.abs(b)))


@pytest.mark.parametrize("act", ["relu", "erf", "tanh"])
@pytest.mark.parametrize("arch", ["fc", "resnet"])
def test_normalize_is_scale_invariant(act, arch):
    # Before: 1e200 * X (row norms overflow) and 1e-300 * X (they underflow) raised "X has a zero row".
    X = np.random.default_rng(1).standard_normal((7, 4))
    K1 = gram.gram_matrix(X, 3, act, arch=arch, normalize=True)
    for s in SCALES + [1e200, 1e-200]:
        assert rel(gram.gram_matrix(s * X, 3, act, arch=arch, normalize=True), K1) <= 4e-15, s
    for s in TWO:
        assert np.array_equal(gram.gram_matrix(s * X, 3, act, arch=arch, normalize=True), K1), s


def test_normalize_subnormal_and_mixed_rows():
    X = np.array([[3.0, 4.0], [1.0, 1.0], [-2.0, 1.0]])
    K1 = gram.gram_matrix(X, 2, normalize=True)
    sub = X * 5e-324  # subnormal rows: [1.5e-323, 2e-323] etc., exactly representable multiples
    assert rel(gram.gram_matrix(sub, 2, normalize=True), K1) <= 4e-15
    mixed = X * np.array([[1e-310], [1e300], [1.0]])  # one subnormal row, one huge, one unit
    assert rel(gram.gram_matrix(mixed, 2, normalize=True), K1) <= 1e-14
    res1 = gram.ntk(X, 2, normalize=True)
    res = gram.ntk(1e300 * X, 2, normalize=True)
    assert rel(res.ntk, res1.ntk) <= 4e-15 and rel(res.nngp, res1.nngp) <= 4e-15


def test_cnn_normalize_is_scale_invariant():
    Xc = np.random.default_rng(2).standard_normal((3, 2, 5))
    K1 = gram.gram_matrix(Xc, 2, arch="cnn", normalize=True)
    for s in (1e-300, 1e200, 1e300):
        assert rel(gram.gram_matrix(s * Xc, 2, arch="cnn", normalize=True), K1) <= 4e-15


@pytest.mark.parametrize("arch", ["fc", "resnet"])
def test_relu_raw_rows_scale_like_s_squared(arch):
    # Before: ResNet at 1e150 gave NaN and at 1e-150 lost 9 digits (sqrt(a b) over/underflowed).
    X = unit_rows(np.random.default_rng(3), 6, 4) * np.array([[1.0], [2.0], [0.5], [1.0], [3.0], [1.0]])
    K1 = gram.gram_matrix(X, 3, arch=arch, unit_norm="ignore", return_all=True)
    for s in (1e-150, 1e150):
        Ks = gram.gram_matrix(s * X, 3, arch=arch, unit_norm="ignore", return_all=True)
        for h in range(4):
            assert rel(Ks[h] / s**2, K1[h]) <= 1e-15, (s, h)
    for s in (2.0**-500, 2.0**500):
        Ks = gram.gram_matrix(s * X, 3, arch=arch, unit_norm="ignore", return_all=True)
        for h in range(4):
            assert np.array_equal(Ks[h], s**2 * K1[h]), (s, h)


def test_smooth_activations_at_extreme_raw_scales_match_their_limits():
    # Tiny inputs see the linearisations tanh(u) ~ u, erf(u) ~ (2/sqrt(pi)) u: K^(H) = c^H X X^T with
    # c = c_sigma (tanh) or c_sigma 4/pi (erf), up to O(s^2) = 1e-300 relative.  Huge inputs see
    # erf(u) ~ sign(u): K^(1) = c_sigma (2/pi) asin(rho), up to O(1/s).
    X = unit_rows(np.random.default_rng(4), 5, 3)
    s = 1e-150
    G = (s * X) @ (s * X).T
    for act, c in (("tanh", gram.c_sigma("tanh")), ("erf", gram.c_sigma("erf") * 4 / math.pi)):
        K = gram.gram_matrix(s * X, 3, act, unit_norm="ignore", quadrature_order=64)
        assert rel(K, c**3 * G) <= 1e-14, act
    Ks = gram.gram_matrix(1e150 * X, 2, "erf", unit_norm="ignore", return_all=True)
    rho = np.clip(X @ X.T, -1, 1)
    np.fill_diagonal(rho, 1.0)  # K^(0)_ii / K^(0)_ii, exactly 1 in the core (not x_i . x_i = 1 +- eps)
    assert rel(Ks[1], gram.c_sigma("erf") * 2 / math.pi * np.arcsin(rho)) <= 1e-14
    # ... and the erf derivative kernel at variance ~1e300 stays finite and positive (it cancelled before).
    assert np.all(np.isfinite(Ks[2])) and np.all(np.diag(Ks[2]) > 0)


@pytest.mark.parametrize("s,what", [(1e160, "overflows"), (1e-160, "underflows"), (1e300, "overflows")])
def test_raw_rows_beyond_the_range_raise(s, what):
    X = unit_rows(np.random.default_rng(5), 4, 3)
    with pytest.raises(convexify.InputError, match=f"X: row .* {what}"):
        gram.gram_matrix(s * X, 2, unit_norm="ignore")
    with pytest.raises(convexify.InputError, match=what):
        gram.empirical_gram(s * X, 8, 2)
    with pytest.raises(convexify.InputError, match=what):
        gram.train_wide(s * X, np.ones(4), 8, 2, iters=2)


def test_quadrature_at_large_variance_warns():
    # tanh at variance 1e4 with order 64: the derivative kernel's quadrature is off by O(1); it was silent.
    X = 100.0 * unit_rows(np.random.default_rng(6), 4, 3)
    with pytest.warns(convexify.ConvergenceWarning, match="quadrature_order"):
        gram.gram_matrix(X, 1, "tanh", unit_norm="ignore")
    with pytest.warns(convexify.ConvergenceWarning, match="quadrature_order"):
        gram.gram_matrix(X, 3, "tanh", arch="resnet", unit_norm="ignore")
    with pytest.warns(convexify.ConvergenceWarning, match="quadrature_order"):
        gram.gram_matrix(X, 2, "softplus", unit_norm="ignore")


def test_huge_c_res_raises_instead_of_nan():
    X = unit_rows(np.random.default_rng(7), 4, 3)
    for act in ("relu", "erf"):
        with pytest.raises(convexify.InputError, match="c_res"):
            gram.gram_matrix(X, 4, act, arch="resnet", c_res=1e200)


def test_float32_rows_normalised_in_float32_are_accepted():
    # Before: "X rows must have unit norm" for rows normalised in float32 (tolerance 1e-8 < float32 eps).
    X = np.random.default_rng(8).standard_normal((20, 300)).astype(np.float32)
    X32 = X / np.linalg.norm(X, axis=1, keepdims=True)
    assert np.max(np.abs(np.linalg.norm(X32.astype(np.float64), axis=1) - 1)) > 1e-8
    K = gram.gram_matrix(X32, 2)
    assert rel(K, gram.gram_matrix(X32.astype(np.float64), 2, unit_norm="ignore")) == 0.0
    with pytest.raises(convexify.InputError, match="unit norm"):
        gram.gram_matrix(X32.astype(np.float64), 2)  # float64 keeps its 1e-8 tolerance
    with pytest.raises(convexify.InputError, match="unit norm"):
        gram.gram_matrix((1.001 * X32).astype(np.float32), 2)


def psd(rng, n):
    A = rng.standard_normal((n, n))
    K = A @ A.T + 0.1 * np.eye(n)
    K = 0.5 * (K + K.T)
    return K / np.max(np.abs(K))  # max |K| = 1: s K is finite up to s = 1.8e308


def test_spectrum_is_scale_equivariant():
    # Before: spectrum(1e308 * I) raised numpy's LinAlgError "Internal Error".
    K = psd(np.random.default_rng(9), 6)
    K = 0.5 * (K + K.T)
    s1 = gram.spectrum(K)
    for s in SCALES + [1e308, 5e-324 * 2**52]:
        # Subnormal entries (the last scale) carry only 52 - log2(1/|K_ij|) bits, hence a looser tolerance.
        tol = 1e-13 if s > 1e-307 else 1e-10
        sp = gram.spectrum(s * K)
        assert sp.lambda_min == pytest.approx(s * s1.lambda_min, rel=tol), s
        assert sp.lambda_max == pytest.approx(s * s1.lambda_max, rel=tol), s
        assert sp.condition == pytest.approx(s1.condition, rel=100 * tol) and sp.singular == s1.singular
    for s in TWO:
        sp = gram.spectrum(s * K)
        assert (sp.lambda_min, sp.lambda_max, sp.error_bound) == (
            s * s1.lambda_min,
            s * s1.lambda_max,
            s * s1.error_bound,
        )
    sp = gram.spectrum(1e308 * np.eye(3))
    assert sp.lambda_min == sp.lambda_max == 1e308 and sp.condition == 1.0
    # The singular flag is relative: a rank-deficient kernel at any scale is singular, a tiny PD one is not.
    assert gram.spectrum(1e-20 * np.eye(3)).singular is False
    assert gram.spectrum(1e200 * np.array([[1.0, 1.0], [1.0, 1.0]])).singular is True


def test_spectrum_rejects_non_symmetric_matrices():
    # Before: a non-symmetric K was symmetrised silently.
    for s in (1e-300, 1.0, 1e300):
        with pytest.raises(convexify.InputError, match="K must be symmetric"):
            gram.spectrum(s * np.array([[1.0, 2.0], [0.0, 1.0]]))
        with pytest.raises(convexify.InputError, match="K must be symmetric"):
            gram.certify_lambda_min(s * np.array([[1.0, 2.0], [0.0, 1.0]]), 0.0)
        with pytest.raises(convexify.InputError, match="K must be symmetric"):
            gram.rate(s * np.array([[1.0, 2.0], [0.0, 1.0]]), 1e-3 / s)
    # Round-off asymmetry (relative 1e-12) is accepted and dropped.
    K = psd(np.random.default_rng(10), 5)
    E = np.zeros_like(K)
    E[0, 1] = 1e-12 * np.max(K)
    assert gram.spectrum(K + E).lambda_min == pytest.approx(gram.spectrum(K).lambda_min, rel=1e-9)


def test_certificate_is_scale_invariant():
    K = psd(np.random.default_rng(11), 8)
    lam = gram.spectrum(K).lambda_min
    taus = [-1e300, -1.0, 0.0, 0.5 * lam, 0.99 * lam, 1.01 * lam, 1e300]
    ref = [gram.certify_lambda_min(K, t) for t in taus]
    assert ref == [True, True, True, True, True, False, False]
    for s in SCALES + [1e308]:
        with np.errstate(over="ignore"):
            got = [gram.certify_lambda_min(s * K, s * t) if abs(s * t) < math.inf else None for t in taus]
        assert [g for g in got if g is not None] == [r for g, r in zip(got, ref) if g is not None], s
    assert gram.certify_lambda_min(1e308 * np.eye(3), 0.5e308)
    assert not gram.certify_lambda_min(1e-300 * np.eye(3), 1e300)


def test_rate_range_and_equivariance():
    # Before: rate(K, eta) beyond the stable range returned a negative "factor" (-4.0 for I and eta = 10).
    K = psd(np.random.default_rng(12), 6)
    sp = gram.spectrum(K)
    eta = 1.0 / sp.lambda_max
    r1 = gram.rate(K, eta)
    assert r1 == pytest.approx(1 - eta * sp.lambda_min / 2, rel=1e-15)
    for s in SCALES:
        assert gram.rate(s * K, eta / s) == pytest.approx(r1, rel=1e-14)
    with pytest.raises(convexify.InputError, match=r"eta must lie in the stable range .* 2 / lambda_max"):
        gram.rate(np.eye(3), 10.0)
    with pytest.raises(convexify.InputError, match="eta"):
        gram.rate(gram.spectrum(1e300 * np.eye(3)), 1e10)


def test_kernel_prediction_is_scale_equivariant():
    # Before: kernel_prediction(1e308 * I, ...) raised numpy's LinAlgError.
    K = psd(np.random.default_rng(13), 5)
    r0 = np.arange(1.0, 6.0)
    eta = 1.0 / gram.spectrum(K).lambda_max
    p1 = gram.kernel_prediction(K, eta, r0=r0, iters=20)
    for s in SCALES:
        p = gram.kernel_prediction(s * K, eta / s, r0=r0, iters=20)
        assert p.stable and p.kernel_factor == pytest.approx(p1.kernel_factor, rel=1e-13)
        assert p.theorem_factor == pytest.approx(p1.theorem_factor, rel=1e-13)
        np.testing.assert_allclose(p.curve, p1.curve, rtol=1e-11)
    p = gram.kernel_prediction(1e308 * np.eye(3), 1e-308, r0=np.ones(3), iters=3)
    assert p.stable and p.kernel_factor == pytest.approx(0.0, abs=1e-15)


def test_requirements_overflow_to_inf():
    # Before: a tiny lambda_min raised OverflowError from lambda**-4.
    K = psd(np.random.default_rng(14), 4)
    req1 = gram.requirements(K, 2)
    lam = req1.lambda_min
    s = 1e-100
    req = gram.requirements(s * K, 2)
    assert req.width_terms["n^4/lambda^4"] == math.inf  # (n / 1e-100 lambda)^4 > 1.8e308
    assert req.width_terms["n^2 log(Hn/delta)/lambda^2"] == pytest.approx(
        req1.width_terms["n^2 log(Hn/delta)/lambda^2"] / s**2, rel=1e-12
    )
    assert req.step_term == pytest.approx(s * req1.step_term, rel=1e-13)
    assert req.lambda_min == pytest.approx(s * lam, rel=1e-13)
    req = gram.requirements(1e-300 * K, 3, arch="resnet")
    assert all(v == math.inf for k, v in req.width_terms.items() if "lambda" in k)
    assert gram.requirements(np.zeros((3, 3)), 2).width_terms["n^4/lambda^4"] == math.inf


def test_empirical_gram_relu_scales_like_s_squared():
    X = unit_rows(np.random.default_rng(15), 5, 3)
    for block in ("last", "full"):
        G1 = gram.empirical_gram(X, 32, 3, block=block, seed=1)
        for s in (1e-150, 1e150):
            assert rel(gram.empirical_gram(s * X, 32, 3, block=block, seed=1) / s**2, G1) <= 1e-14
        for s in (2.0**-500, 2.0**500):
            assert np.array_equal(gram.empirical_gram(s * X, 32, 3, block=block, seed=1), s**2 * G1)


def test_train_wide_relu_is_scale_equivariant():
    X = unit_rows(np.random.default_rng(16), 5, 3)
    y = np.random.default_rng(17).standard_normal(5)
    r1 = gram.train_wide(X, y, 64, 2, iters=60, seed=2)
    for s in (1e-150, 1e150):
        r = gram.train_wide(s * X, s * y, 64, 2, iters=60, seed=2)
        assert r.eta * s**2 == pytest.approx(r1.eta, rel=1e-14)
        np.testing.assert_allclose(r.loss / s**2, r1.loss, rtol=1e-10)
        np.testing.assert_allclose(r.G0 / s**2, r1.G0, rtol=1e-13)
        assert r.empirical_factor == pytest.approx(r1.empirical_factor, rel=1e-12)
        assert r.kernel_factor == pytest.approx(r1.kernel_factor, rel=1e-13)
        assert r.theorem_factor == pytest.approx(r1.theorem_factor, rel=1e-13)
        assert r.bound_holds == r1.bound_holds
        assert r.laziness == pytest.approx(r1.laziness, rel=1e-9)
        np.testing.assert_allclose(r.drift_fro, r1.drift_fro, rtol=1e-10)
    with pytest.raises(convexify.InputError, match="initial loss"):
        gram.train_wide(1e150 * X, 1e160 * np.ones(5), 8, 2, iters=2)


BIG = [2**31, 2**63, 2**64 + 1]


@pytest.mark.parametrize("big", BIG)
def test_huge_integers_are_input_errors(big):
    # Before: depth=2**31 reached pybind11 ("incompatible function arguments" TypeError), iters=2**63 gave
    # numpy's ValueError (train_wide) or an empty curve (kernel_prediction), width=2**40 a MemoryError.
    X = unit_rows(np.random.default_rng(18), 4, 3)
    calls = [
        lambda: gram.gram_matrix(X, big),
        lambda: gram.gram_matrix(X, big, "tanh"),
        lambda: gram.gram_matrix(X, big, arch="resnet"),
        lambda: gram.ntk(X, big),
        lambda: gram.empirical_gram(X, 8, big),
        lambda: gram.train_wide(X, np.ones(4), 8, big),
        lambda: gram.requirements(np.eye(4), big),
        lambda: gram.gram_matrix(X, 2, "tanh", quadrature_order=big),
    ]
    for call in calls:
        with pytest.raises(convexify.InputError, match="depth|quadrature_order"):
            call()
    with pytest.raises(convexify.InputError, match="iters"):
        gram.train_wide(X, np.ones(4), 8, 2, iters=big)
    with pytest.raises(convexify.InputError, match="iters"):
        gram.kernel_prediction(np.eye(4), 0.1, r0=np.ones(4), iters=big)
    for w in (big, 2**40, 2**24):  # 2**24 is a C int, but its weights (2 TiB) fit in no memory here
        with pytest.raises(convexify.InputError, match="width"):
            gram.empirical_gram(X, w, 2)
        with pytest.raises(convexify.InputError, match="width"):
            gram.train_wide(X, np.ones(4), w, 2)
