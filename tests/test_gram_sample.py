"""`sample_last_gram` (the pre-activations' Gaussian law) against the weight-space networks of
`empirical_gram`, and `train_wide(train="last")`'s pre-activation iteration against plain weight-space GD."""

from __future__ import annotations

import math

import numpy as np
import pytest

from convexify import gram
from convexify._errors import InputError, InputTypeError
from convexify.gram._network import _Net


def unit_rows(rng, n, d):
    X = rng.standard_normal((n, d))
    return X / np.linalg.norm(X, axis=1, keepdims=True)


@pytest.mark.parametrize(
    "arch, act, depth", [("fc", "relu", 3), ("resnet", "tanh", 3), ("fc", "softplus", 1), ("cnn", "relu", 3)]
)
def test_sample_last_gram_has_the_law_of_empirical_gram(arch, act, depth):
    # Same law: the entrywise means of 400 draws agree within 4 standard errors, the spreads within 15%.
    rng = np.random.default_rng(0)
    if arch == "cnn":
        X = rng.standard_normal((3, 2, 5))
        X /= np.linalg.norm(X.reshape(3, -1), axis=1)[:, None, None]
    else:
        X = unit_rows(rng, 6, 5)
    draws, m = 400, 16 if arch == "cnn" else 32
    A = gram.sample_last_gram(X, m, depth, act, arch=arch, draws=draws, seed=1)
    B = np.array([gram.empirical_gram(X, m, depth, act, arch=arch, seed=s) for s in range(draws)])
    assert A.shape == B.shape == (draws, len(X), len(X))
    assert np.array_equal(A, A.transpose(0, 2, 1))
    z = np.abs(A.mean(0) - B.mean(0)) / np.sqrt(A.var(0) / draws + B.var(0) / draws)
    assert z.max() < 4.0
    assert abs(np.median(A.std(0) / B.std(0)) - 1.0) < 0.15


def test_sample_last_gram_converges_to_the_kernel_like_inverse_sqrt_width():
    X = unit_rows(np.random.default_rng(3), 12, 6)
    K = gram.gram_matrix(X, 3, "relu")
    errs = [
        np.mean(np.linalg.norm(gram.sample_last_gram(X, m, 3, draws=64, seed=m) - K, axis=(1, 2)))
        / np.linalg.norm(K)
        for m in (256, 1024, 4096)
    ]
    slope = np.polyfit(np.log([256, 1024, 4096]), np.log(errs), 1)[0]
    assert -0.6 < slope < -0.4


def test_sample_last_gram_depth_one_is_the_two_layer_formula():
    # H = 1, FC: G_ij = (c_sigma/m) <x_i, x_j> sum_r a_r^2 sigma'(z_ir) sigma'(z_jr) with z = S Gamma,
    # S S^T = X X^T: rebuild it from the same random numbers.
    X = unit_rows(np.random.default_rng(4), 5, 3)
    m = 7
    (G,) = gram.sample_last_gram(X, m, 1, "tanh", draws=1, seed=9)
    rng = np.random.default_rng(9)
    w, V = np.linalg.eigh(X @ X.T)
    z = (V * np.sqrt(np.maximum(w, 0.0))) @ rng.standard_normal((5, m))
    a2 = rng.standard_normal(m) ** 2
    d = 1.0 - np.tanh(z) ** 2
    expected = (gram.c_sigma("tanh") / m) * (X @ X.T) * ((d * a2) @ d.T)
    np.testing.assert_allclose(G, expected, rtol=1e-13, atol=1e-15)


def test_sample_last_gram_bad_arguments():
    X = unit_rows(np.random.default_rng(0), 4, 3)
    with pytest.raises(InputError, match="width"):
        gram.sample_last_gram(X, 0, 2)
    with pytest.raises(InputError, match="draws"):
        gram.sample_last_gram(X, 8, 2, draws=0)
    with pytest.raises(InputError, match="arch"):
        gram.sample_last_gram(X, 8, 2, arch="rnn")
    with pytest.raises(InputTypeError, match="activation"):
        gram.sample_last_gram(X, 8, 2, activation=3)


@pytest.mark.parametrize(
    "act, arch, depth", [("tanh", "fc", 2), ("relu", "resnet", 3), ("softplus", "fc", 1)]
)
def test_train_wide_last_matches_weight_space_gd(act, arch, depth):
    # The reference: plain GD on W^(H) of the same network, with the weights updated in weight space.
    rng = np.random.default_rng(5)
    X = unit_rows(rng, 10, 4)
    y = rng.standard_normal(10)
    m, iters, eta = 64, 60, 0.05
    r = gram.train_wide(X, y, m, depth, eta=eta, iters=iters, activation=act, arch=arch, train="last")
    net = _Net(4, m, depth, act, arch, 1.0, 0)
    W0 = net.W[depth - 1].copy()
    loss = []
    for k in range(iters + 1):
        xs, zs, u = net.forward(X)
        res = u - y
        loss.append(0.5 * float(res @ res))
        if k < iters:
            dW, _, _ = net.backward(xs, zs, res)
            net.W[depth - 1] -= eta * dW[depth - 1]
    np.testing.assert_allclose(r.loss, loss, rtol=1e-11)
    disp = (net.W[depth - 1] - W0) / math.sqrt(m)
    assert r.drift_fro[depth - 1] == pytest.approx(np.linalg.norm(disp), rel=1e-10)
    assert r.drift_spec[depth - 1] == pytest.approx(np.linalg.norm(disp, 2), rel=1e-10)
    assert all(d == 0.0 for d in r.drift_fro[: depth - 1] + r.drift_spec[: depth - 1])
