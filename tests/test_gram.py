"""Lens 3 kernels: C++ core vs the numpy reference, closed forms, quadrature, Monte Carlo, high precision."""

from __future__ import annotations

import math

import numpy as np
import pytest

import convexify
from convexify import _core, gram
from convexify.reference import gram as ref

SMOOTH = ("tanh", "softplus", "sigmoid", "gelu")


def unit_rows(rng, n, d):
    X = rng.standard_normal((n, d))
    return X / np.linalg.norm(X, axis=1, keepdims=True)


def rel_upper(A, B):
    iu = np.triu_indices(A.shape[0])
    return np.abs(A[iu] - B[iu]).max() / np.abs(B[iu]).max()


@pytest.mark.parametrize("activation", gram.ACTIVATIONS)
@pytest.mark.parametrize("arch,depth", [("fc", 1), ("fc", 3), ("resnet", 2), ("resnet", 4)])
def test_core_matches_reference_all_layers(rng, activation, arch, depth):
    X = unit_rows(rng, 17, 4)
    Ks = gram.gram_matrix(X, depth, activation, arch=arch, return_all=True)
    if arch == "fc":
        Rs = ref.gram_fc(X, depth, activation, return_all=True)
    else:
        Rs, _ = ref.gram_resnet(X, depth, activation, return_all=True)
    assert len(Ks) == depth + 1
    for K, R in zip(Ks, Rs):
        assert rel_upper(K, R) < 1e-12
    np.testing.assert_array_equal(Ks[-1], gram.gram_matrix(X, depth, activation, arch=arch))


@pytest.mark.parametrize("activation", ["relu", "erf", "softplus", "gelu"])
def test_resnet_non_unit_norms_pairs_b_with_other_mu(rng, activation):
    # With unequal norms b_i != b_j and mu_i != mu_j, so the cross term's pairing is visible
    # (docs/gram.md#resnet).
    X = unit_rows(rng, 15, 4) * rng.uniform(0.5, 1.5, size=(15, 1))
    Ks = gram.gram_matrix(X, 4, activation, arch="resnet", c_res=1.7, unit_norm="ignore", return_all=True)
    Rs, _ = ref.gram_resnet(X, 4, activation, c_res=1.7, quadrature_order=64, return_all=True)
    for K, R in zip(Ks, Rs):
        assert rel_upper(K, R) < 1e-10
    if activation in ("relu", "softplus"):
        # A mispaired cross term (b_i mu_i + b_j mu_j) would change K^(2) by far more than round-off.
        K1 = Rs[1]
        b = math.sqrt(gram.c_sigma(activation)) * ref.mean_activation(activation, np.diag(Rs[0]))
        mu = ref.mean_activation(activation, np.diag(K1))
        right = np.outer(b, mu) + np.outer(mu, b)
        wrong = (b * mu)[:, None] + (b * mu)[None, :]
        assert np.abs(right - wrong).max() > 1e-3


def test_symmetry_exact_and_relu_diagonal_constant(rng):
    X = unit_rows(rng, 300, 7)
    for act in ("relu", "erf", "tanh"):
        Ks = gram.gram_matrix(X, 3, act, return_all=True, quadrature_order=16)
        for K in Ks:
            np.testing.assert_array_equal(K, K.T)
    K = gram.gram_matrix(X, 5, "relu", return_all=True)
    for h in range(6):
        np.testing.assert_array_equal(np.diag(K[h]), np.diag(K[0]))  # ||x_i||^2 exactly, every layer
    np.testing.assert_allclose(np.diag(K[0]), 1.0, rtol=0, atol=1e-15)


def test_relu_positive_homogeneity(rng):
    X = unit_rows(rng, 12, 5)
    scales = rng.uniform(0.3, 3.0, size=12)
    K = gram.gram_matrix(X, 3)
    Ks = gram.gram_matrix(X * scales[:, None], 3, unit_norm="ignore")
    np.testing.assert_allclose(Ks, K * np.outer(scales, scales), rtol=1e-14, atol=0)
    Kr = gram.gram_matrix(X, 3, arch="resnet")
    Krs = gram.gram_matrix(X * 2.5, 3, arch="resnet", unit_norm="ignore")
    np.testing.assert_allclose(Krs, 2.5**2 * Kr, rtol=1e-14)


def test_lower_layers_equal_nngp_and_ntk_relation(rng):
    X = unit_rows(rng, 10, 3)
    Ks = gram.gram_matrix(X, 4, "tanh", return_all=True)
    for h in range(1, 4):
        res = gram.ntk(X, h, "tanh")
        assert rel_upper(res.nngp, Ks[h]) < 1e-12
        Kh = gram.gram_matrix(X, h, "tanh")
        assert rel_upper(res.K, Kh) < 1e-12
        # Theta^(H) >= K^(H) in the Loewner order: every block of the NTK is PSD.
        assert np.linalg.eigvalsh(res.ntk - res.K).min() > -1e-12
    # The two-layer H^inf of Du, Zhai, Poczos & Singh is K^(1)/2 for ReLU (docs/gram.md#ntk).
    K1 = gram.gram_matrix(X, 1)
    C = np.clip(X @ X.T, -1, 1)
    np.testing.assert_allclose(K1 / 2, C * (np.pi - np.arccos(C)) / (2 * np.pi), atol=1e-15)


def test_resnet_depth_two_proportional_to_fc(rng):
    # H = 2: K^(1) is the same, and K^(2) = r^2 K^(1) o E[sigma'] vs c_sigma K^(1) o E[sigma'].
    X = unit_rows(rng, 14, 4) * rng.uniform(0.5, 2.0, size=(14, 1))
    for act in ("relu", "erf", "softplus"):
        fc = gram.gram_matrix(X, 2, act, unit_norm="ignore")
        rn = gram.gram_matrix(X, 2, act, arch="resnet", c_res=1.3, unit_norm="ignore")
        np.testing.assert_allclose(rn, (1.3 / 2) ** 2 / gram.c_sigma(act) * fc, rtol=1e-13, atol=1e-16)


@pytest.mark.parametrize("activation,arch", [("relu", "fc"), ("tanh", "fc"), ("gelu", "resnet")])
def test_tables_agree_with_direct_evaluation(rng, activation, arch):
    X = unit_rows(rng, 60, 5)
    X[1] = X[0] + 1e-3 * X[2]  # one nearly parallel pair: the direct angle path inside the table mode
    X[1] /= np.linalg.norm(X[1])
    direct = gram.gram_matrix(X, 3, activation, arch=arch, return_all=True, method="direct")
    table = gram.gram_matrix(X, 3, activation, arch=arch, return_all=True, method="table")
    tol = 4e-15 if activation == "relu" else 2e-13
    for a, b in zip(direct, table):
        assert np.abs(a - b).max() <= tol * np.abs(a).max()
    info = _core.gram_matrix(X, 3, activation, arch, 1.0, 64, False, "table")
    assert len(info.table_errors) == 3
    # Non-constant diagonals (non-unit rows) cannot use the dual-activation tables.
    Xs = X * np.linspace(0.5, 1.5, 60)[:, None]
    info = _core.gram_matrix(Xs, 3, "tanh", "fc", 1.0, 16, False, "table")
    assert info.table_errors == []


def test_gauss_hermite_rule_matches_numpy_and_is_exact():
    from numpy.polynomial.hermite_e import hermegauss

    for q in (8, 64, 200):
        t, w = _core.gram_gauss_hermite(q)
        t2, w2 = hermegauss(q)
        np.testing.assert_allclose(t, t2, atol=1e-13)
        np.testing.assert_allclose(w, w2 / w2.sum(), rtol=1e-12, atol=0)
    t, w = _core.gram_gauss_hermite(400)  # beyond numpy's range: still exact on moments
    for k, mom in ((0, 1.0), (2, 1.0), (4, 3.0), (10, 945.0)):
        assert abs(w @ t**k - mom) < 1e-12 * mom


def test_c_sigma_values():
    assert gram.c_sigma("relu") == 2.0
    assert gram.c_sigma("erf") == pytest.approx(1 / (2 / np.pi * np.arcsin(2 / 3)), rel=1e-15)
    t, w = np.polynomial.hermite_e.hermegauss(200)
    w = w / w.sum()
    assert gram.c_sigma("tanh") == pytest.approx(1 / (w @ np.tanh(t) ** 2), rel=1e-13)
    assert gram.c_sigma((np.tanh, lambda x: 1 - np.tanh(x) ** 2)) == pytest.approx(gram.c_sigma("tanh"))


def test_closed_forms_vs_quadrature():
    # erf closed forms against the quadrature path (a user pair), and quadrature convergence with the order.
    from scipy.special import erf

    pair = (erf, lambda x: 2 / np.sqrt(np.pi) * np.exp(-x * x))
    X = unit_rows(np.random.default_rng(3), 9, 3)
    for depth in (1, 3):
        closed = gram.gram_matrix(X, depth, "erf")
        quad = gram.gram_matrix(X, depth, pair, quadrature_order=128)
        np.testing.assert_allclose(quad, closed, rtol=0, atol=1e-10)
    errs = [
        np.abs(gram.gram_matrix(X, 2, pair, quadrature_order=q) - gram.gram_matrix(X, 2, "erf")).max()
        for q in (8, 16, 32)
    ]
    assert errs[0] > errs[1] > errs[2]
    # ReLU must use closed forms: 2-D quadrature of the step kernel converges only like q^-1/2.
    relu_pair = (lambda x: np.maximum(x, 0), lambda x: (x > 0).astype(float))
    err = np.abs(gram.gram_matrix(X, 1, relu_pair, quadrature_order=64) - gram.gram_matrix(X, 1)).max()
    assert 1e-6 < err < 0.1


def test_quadrature_order_accuracy(rng):
    # docs/gram.md#quadrature: order 64 gives about 1e-7 on the tanh derivative kernel, 128 about 1e-11;
    # smooth-and-tame activations reach round-off at 64.  Reference: order 256.
    X = unit_rows(rng, 12, 5)
    for act, tol64, tol128 in (("tanh", 1e-6, 1e-9), ("softplus", 1e-13, 1e-13), ("gelu", 1e-12, 1e-12)):
        exact = gram.gram_matrix(X, 2, act, quadrature_order=256, method="direct")
        err = {
            q: np.abs(gram.gram_matrix(X, 2, act, quadrature_order=q, method="direct") - exact).max()
            for q in (16, 64, 128)
        }
        assert err[64] < tol64 and err[128] < tol128 and err[16] > err[64]


def test_builtin_quadrature_matches_user_pair(rng):
    X = unit_rows(rng, 8, 3)
    for name in SMOOTH:
        sigma, dsigma = ref.activation_pair(name)
        K = gram.gram_matrix(X, 3, name, quadrature_order=32)
        U = gram.gram_matrix(X, 3, (sigma, dsigma), quadrature_order=32)
        assert rel_upper(K, U) < 1e-12


@pytest.mark.parametrize("activation", ["relu", "erf", "tanh", "gelu"])
def test_pair_expectations_vs_monte_carlo(activation):
    rng = np.random.default_rng(11)
    a, b, c = 1.3, 0.7, -0.5
    L = np.linalg.cholesky(np.array([[a, c], [c, b]]))
    z = rng.standard_normal((400_000, 2)) @ L.T
    sigma, dsigma = ref.activation_pair(activation)
    for deriv, g in ((False, sigma), (True, dsigma)):
        samples = g(z[:, 0]) * g(z[:, 1])
        se = samples.std() / math.sqrt(samples.size)
        exact = float(ref.pair_expectations(activation, a, b, c, q=128, deriv=deriv))
        assert abs(samples.mean() - exact) < 5 * se


def test_depth_one_kernel_vs_monte_carlo():
    # K^(1)_ij = c_sigma <x_i, x_j> E[sigma'(u) sigma'(v)] with (u, v) the pre-activations of x_i, x_j.
    rng = np.random.default_rng(5)
    X = unit_rows(rng, 3, 4)
    for act in ("relu", "tanh"):
        K = gram.gram_matrix(X, 1, act)
        _, dsigma = ref.activation_pair(act)
        W = rng.standard_normal((300_000, 4))
        S = dsigma(W @ X.T)
        for i, j in ((0, 1), (0, 2), (1, 1)):
            samples = gram.c_sigma(act) * (X[i] @ X[j]) * S[:, i] * S[:, j]
            se = samples.std() / math.sqrt(samples.size)
            assert abs(samples.mean() - K[i, j]) < 5 * se + 1e-15


def _relu_fc_mp(angle, depth):
    mp = pytest.importorskip("mpmath")
    mp.mp.dps = 60
    t = mp.mpf(angle)
    k = mp.cos(t)
    for _ in range(1, depth):
        k = (mp.sin(t) + (mp.pi - t) * mp.cos(t)) / mp.pi
        t = mp.acos(k)
    return k * (mp.pi - t) / mp.pi, t


@pytest.mark.parametrize("angle", [1e-8, 1e-6, 1e-4, 1e-2, 0.5, 3.0])
def test_near_parallel_inputs_angle_form_accurate(angle):
    # Pairs at tiny angles: the angle form keeps K^(H) (a sigma'-kernel) accurate to round-off, where a
    # rho-form would lose about half the digits (docs/gram.md#closed-forms).
    X = np.array([[1.0, 0.0, 0.0], [math.cos(angle), math.sin(angle), 0.0]])
    exact = float(_relu_fc_mp(angle, 3)[0])
    K = gram.gram_matrix(X, 3)
    assert abs(K[0, 1] - exact) <= 8e-16 * abs(exact)
    rho_form = ref.gram_fc(X, 3)
    if angle <= 1e-6:
        assert abs(rho_form[0, 1] - exact) > 100 * abs(K[0, 1] - exact)


def test_duplicates_singular_and_odd_activation_antipodes(rng):
    X = unit_rows(rng, 8, 5)
    Xd = np.vstack([X, X[:1]])
    for act in ("relu", "tanh"):
        s = gram.spectrum(gram.gram_matrix(Xd, 2, act))
        assert s.singular and abs(s.lambda_min) <= 10 * s.error_bound + 1e-14
        assert s.condition == math.inf or s.condition > 1e10
    Xa = np.vstack([X, -X[:1]])
    for act in ("tanh", "erf"):
        s = gram.spectrum(gram.gram_matrix(Xa, 3, act))
        assert s.singular
    s = gram.spectrum(gram.gram_matrix(Xa, 3, "relu"))
    assert not s.singular and s.lambda_min > 1e-3


def test_spectrum_and_certificate_consistent(rng):
    X = unit_rows(rng, 60, 6)
    K = gram.gram_matrix(X, 3)
    s = gram.spectrum(K)
    ev = np.linalg.eigvalsh(K)
    assert s.lambda_min == pytest.approx(ev[0], abs=s.error_bound)
    assert s.lambda_max == pytest.approx(ev[-1], abs=s.error_bound)
    assert s.condition == pytest.approx(ev[-1] / ev[0], rel=1e-10)
    assert not s.singular
    assert gram.certify_lambda_min(K, 0.9 * s.lambda_min)
    assert not gram.certify_lambda_min(K, 1.1 * s.lambda_min)
    assert not gram.certify_lambda_min(K, s.lambda_min)  # the margin makes it conservative
    assert gram.certify_lambda_min(K, -1.0)


def test_rate_prediction_requirements(rng):
    X = unit_rows(rng, 20, 4)
    K = gram.gram_matrix(X, 2)
    s = gram.spectrum(K)
    eta = 1.0 / s.lambda_max
    assert gram.rate(K, eta) == pytest.approx(1 - eta * s.lambda_min / 2)
    p = gram.kernel_prediction(K, eta, r0=np.ones(20), iters=5)
    assert p.stable and p.kernel_factor == pytest.approx((1 - eta * s.lambda_min) ** 2)
    assert p.curve[0] == pytest.approx(10.0) and np.all(np.diff(p.curve) < 0)
    assert not gram.kernel_prediction(K, 3.0 / s.lambda_max).stable
    req = gram.requirements(K, 2, delta=0.1)
    assert "unspecified constants" in req.label
    assert req.width_terms["n^4/lambda^4"] == pytest.approx(20**4 / s.lambda_min**4)
    assert req.step_term == pytest.approx(s.lambda_min / 400)
    rr = gram.requirements(gram.gram_matrix(X, 3, arch="resnet"), 3, arch="resnet")
    assert set(rr.width_terms) == {
        "n^4/(lambda^4 H^6)",
        "n^2/(lambda^2 H^2)",
        "n/delta",
        "n^2 log(Hn/delta)/lambda^2",
    }


def test_thread_count_does_not_change_bits(rng):
    X = unit_rows(rng, 400, 5)
    convexify.set_num_threads(1)
    a = gram.gram_matrix(X, 3, "erf", arch="resnet")
    b1 = gram.gram_matrix(X, 3)
    try:
        convexify.set_num_threads(2)
        b = gram.gram_matrix(X, 3, "erf", arch="resnet")
        b2 = gram.gram_matrix(X, 3)
    finally:
        convexify.set_num_threads(1)
    np.testing.assert_array_equal(a, b)
    np.testing.assert_array_equal(b1, b2)


def test_normalize_equals_prenormalised(rng):
    Z = rng.standard_normal((10, 4)) * 3
    X = Z / np.linalg.norm(Z, axis=1, keepdims=True)
    np.testing.assert_array_equal(gram.gram_matrix(Z, 2, normalize=True), gram.gram_matrix(X, 2))
    np.testing.assert_array_equal(gram.gram_matrix(Z, 2, unit_norm="normalize"), gram.gram_matrix(X, 2))


def test_neural_tangents_agreement(rng):
    nt = pytest.importorskip("neural_tangents")
    stax = nt.stax
    X = unit_rows(rng, 6, 3)
    H, d0 = 3, 3
    layers = [stax.Dense(512, W_std=1.0), stax.Relu()]
    for _ in range(H - 1):
        layers += [stax.Dense(512, W_std=math.sqrt(2.0)), stax.Relu()]
    layers += [stax.Dense(1, W_std=math.sqrt(2.0))]
    _, _, kernel_fn = stax.serial(*layers)
    k = kernel_fn(math.sqrt(d0) * X, None, ("nngp", "ntk"))
    res = gram.ntk(X, H)
    np.testing.assert_allclose(np.asarray(k.nngp), res.nngp, rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(np.asarray(k.ntk), res.ntk, rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize(
    "kwargs,exc,match",
    [
        (dict(X=np.array([[1.0, np.nan]])), ValueError, "X"),
        (dict(X=np.array([[1.0, 0.0], [0.0, 0.0]]), normalize=True), ValueError, "zero row"),
        (dict(X=np.array([[2.0, 0.0]])), ValueError, "unit norm"),
        (dict(depth=0), ValueError, "depth"),
        (dict(depth=1, arch="resnet"), ValueError, "depth"),
        (dict(arch="resnet", c_res=0.0), ValueError, "c_res"),
        (dict(arch="resnet", c_res=float("inf")), ValueError, "c_res"),
        (dict(activation="swish"), ValueError, "activation"),
        (dict(activation="tanh", quadrature_order=7), ValueError, "quadrature_order"),
        (dict(activation="tanh", quadrature_order=257), ValueError, "quadrature_order"),
        (dict(depth=2.5), TypeError, "depth"),
        (dict(arch="cnnx"), ValueError, "arch"),
        (dict(method="fast"), ValueError, "method"),
        (dict(X=np.ones(3)), ValueError, "X"),
        (dict(X=np.array([[1.0 + 0j, 0.0]])), TypeError, "X"),
    ],
)
def test_bad_inputs(kwargs, exc, match):
    args = dict(X=np.array([[1.0, 0.0], [0.6, 0.8]]), depth=2)
    args.update(kwargs)
    with pytest.raises(exc, match=match):
        gram.gram_matrix(**args)


def test_core_rechecks_inputs():
    X = np.array([[1.0, 0.0], [0.0, 0.0]])
    with pytest.raises(ValueError, match="zero row"):
        _core.gram_matrix(X, 2, "relu", "fc", 1.0, 64, False)
    with pytest.raises(ValueError, match="depth"):
        _core.gram_matrix(np.eye(2), 1, "relu", "resnet", 1.0, 64, False)
    with pytest.raises(ValueError, match="c_res"):
        _core.gram_matrix(np.eye(2), 2, "relu", "resnet", -1.0, 64, False)
    with pytest.raises(ValueError, match="activation"):
        _core.gram_matrix(np.eye(2), 2, "swish", "fc", 1.0, 64, False)
    with pytest.raises(ValueError, match="X"):
        _core.gram_matrix(np.array([[np.inf, 1.0]]), 2, "relu", "fc", 1.0, 64, False)
    with pytest.raises(ValueError, match="out"):
        _core.gram_matrix(np.eye(2), 2, "relu", "fc", 1.0, 64, False, "auto", np.zeros((3, 3)))
    with pytest.raises(ValueError, match="out"):
        _core.gram_matrix(np.eye(2), 2, "relu", "fc", 1.0, 64, True, "auto", np.zeros((2, 2)))
    with pytest.raises(ValueError, match="method"):
        _core.gram_matrix(np.eye(2), 2, "relu", "fc", 1.0, 64, False, "fast")


def test_spectrum_certificate_rate_bad_inputs():
    with pytest.raises(ValueError, match="square"):
        gram.spectrum(np.ones((2, 3)))
    with pytest.raises(ValueError, match="tau"):
        gram.certify_lambda_min(np.eye(2), float("nan"))
    with pytest.raises(ValueError, match="eta"):
        gram.rate(np.eye(2), 0.0)
    with pytest.raises(ValueError, match="delta"):
        gram.requirements(np.eye(2), 2, delta=0.0)
