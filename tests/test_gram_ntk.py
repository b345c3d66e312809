"""Lens 3 NNGP / NTK in the core, the bound results of _core, and the lens's independence of the reference."""

from __future__ import annotations

import math
import subprocess
import sys

import numpy as np
import pytest

from convexify import _core, gram
from convexify.reference import gram as ref


def unit_rows(rng, n, d):
    X = rng.standard_normal((n, d))
    return X / np.linalg.norm(X, axis=1, keepdims=True)


def rel(A, B):
    return np.abs(A - B).max() / np.abs(B).max()


@pytest.mark.parametrize("activation", gram.ACTIVATIONS)
@pytest.mark.parametrize("depth", [1, 2, 4])
def test_ntk_matches_reference(activation, depth):
    rng = np.random.default_rng(21)
    X = unit_rows(rng, 13, 4)
    res = gram.ntk(X, depth, activation)
    sigma, theta, k = ref.nngp_ntk(X, depth, activation)
    assert rel(res.nngp, sigma) < 1e-12
    assert rel(res.ntk, theta) < 1e-12
    assert rel(res.K, k) < 1e-12
    for a in (res.nngp, res.ntk, res.K):
        np.testing.assert_array_equal(a, a.T)
        assert a.flags.writeable


def _relu_ntk_mp(angle, depth):
    mp = pytest.importorskip("mpmath")
    mp.mp.dps = 60
    t = mp.mpf(angle)
    sigma = mp.cos(t)
    theta = sigma
    k_last = None
    for _ in range(depth):
        sdot = (mp.pi - t) / mp.pi
        k_last = sigma * sdot
        sigma = (mp.sin(t) + (mp.pi - t) * mp.cos(t)) / mp.pi
        t = mp.acos(sigma)
        theta = sigma + sdot * theta
    return float(sigma), float(theta), float(k_last)


@pytest.mark.parametrize("angle", [1e-8, 1e-6, 1e-4, 1e-2, 0.5, 3.0])
def test_relu_ntk_angle_form_accurate_near_parallel(angle):
    X = np.array([[1.0, 0.0, 0.0], [math.cos(angle), math.sin(angle), 0.0]])
    res = gram.ntk(X, 3)
    exact = _relu_ntk_mp(angle, 3)
    for got, want in zip((res.nngp[0, 1], res.ntk[0, 1], res.K[0, 1]), exact):
        assert abs(got - want) <= 8e-16 * abs(want)
    # The layer below agrees with gram_matrix's angle form bit for bit in K and to round-off in nngp.
    Ks = gram.gram_matrix(X, 4, return_all=True)
    assert abs(res.nngp[0, 1] - Ks[3][0, 1]) <= 4e-16
    assert abs(res.K[0, 1] - gram.gram_matrix(X, 3)[0, 1]) <= 4e-16


def test_ntk_user_pair_matches_builtin():
    X = unit_rows(np.random.default_rng(22), 8, 3)
    for name in ("tanh", "gelu"):
        pair = ref.activation_pair(name)
        a = gram.ntk(X, 3, name, quadrature_order=32)
        b = gram.ntk(X, 3, pair, quadrature_order=32)
        assert rel(b.nngp, a.nngp) < 1e-12 and rel(b.ntk, a.ntk) < 1e-12 and rel(b.K, a.K) < 1e-12


def test_core_ntk_result_and_bad_inputs():
    X = unit_rows(np.random.default_rng(23), 5, 3)
    res = _core.gram_ntk(X, 2, "erf", 64)
    assert type(res).__name__ == "GramNtkResult"
    assert res.nngp.shape == res.ntk.shape == res.K.shape == (5, 5)
    with pytest.raises(ValueError, match="activation"):
        _core.gram_ntk(X, 2, "swish", 64)
    with pytest.raises(ValueError, match="depth"):
        _core.gram_ntk(X, 0, "relu", 64)


def test_core_gram_result_fields_and_output_buffer():
    rng = np.random.default_rng(24)
    X = unit_rows(rng, 40, 6) * rng.uniform(0.5, 1.5, size=(40, 1))
    res = _core.gram_matrix(X, 3, "softplus", "resnet", 1.0, 64, True, "direct")
    assert type(res).__name__ == "GramMatrixResult"
    assert res.K.shape == (4, 40, 40) and res.threads >= 1
    # K^(0) from the BLAS dsyrk (or the Eigen fallback) is X X^T, exactly symmetric.
    np.testing.assert_allclose(res.K[0], X @ X.T, rtol=0, atol=1e-14)
    np.testing.assert_array_equal(res.K[0], res.K[0].T)
    for h in range(4):
        np.testing.assert_array_equal(np.diag(res.K[h]), res.diag[h])
    assert len(res.b) == 3 and res.b[0] == [] and len(res.b[2]) == 40
    assert res.table_errors == [] and res.table_evaluations == 0
    out = np.full((40, 40), np.nan)
    again = _core.gram_matrix(X, 3, "softplus", "resnet", 1.0, 64, False, "direct", out)
    assert np.shares_memory(again.K, out)
    np.testing.assert_array_equal(out, res.K[3])
    with pytest.raises(ValueError, match="out"):
        _core.gram_matrix(X, 3, "relu", "fc", 1.0, 64, False, "auto", np.zeros((40, 40), np.float32))
    with pytest.raises(ValueError, match="arch"):
        _core.gram_matrix(X, 3, "relu", "cnn", 1.0, 64, False)


def test_wide_train_result_alias():
    assert gram.TrainResult is gram.WideTrainResult
    assert "WideTrainResult" in gram.__all__ and "TrainResult" in gram.__all__
    X = unit_rows(np.random.default_rng(25), 6, 3)
    r = gram.train_wide(X, np.ones(6), 64, 2, iters=3, eta=0.01)
    assert isinstance(r, gram.WideTrainResult) and r.loss.shape == (4,)


def test_product_code_does_not_import_the_reference():
    code = (
        "import sys, numpy as np\n"
        "from convexify import gram\n"
        "rng = np.random.default_rng(0)\n"
        "X = rng.standard_normal((6, 3)); X /= np.linalg.norm(X, axis=1)[:, None]\n"
        "pair = (np.tanh, lambda x: 1 - np.tanh(x) ** 2)\n"
        "gram.ntk(X, 2); gram.ntk(X, 2, pair, quadrature_order=8); gram.c_sigma(pair)\n"
        "gram.gram_matrix(X, 2, pair, quadrature_order=8); gram.gram_matrix(X, 2, pair, arch='resnet')\n"
        "Xc = rng.standard_normal((3, 2, 4))\n"
        "Xc /= np.linalg.norm(Xc.reshape(3, -1), axis=1)[:, None, None]\n"
        "gram.gram_matrix(Xc, 2, 'tanh', arch='cnn'); gram.empirical_gram(Xc, 8, 2, arch='cnn')\n"
        "gram.empirical_gram(X, 8, 2); gram.train_wide(X, np.ones(6), 8, 2, iters=2, eta=0.01)\n"
        "print(sorted(m for m in sys.modules if m.startswith('convexify.reference')))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "[]"
