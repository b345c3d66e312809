"""Lens 3 convolutional ResNet recursion (docs/gram.md#cnn): patch operator, reduction to ResNet, width."""

from __future__ import annotations

import numpy as np
import pytest

from convexify import gram
from convexify.gram._cnn import patch_sum


def test_patch_sum_matches_loops(rng):
    K = rng.standard_normal((2, 5, 2, 5))
    D = patch_sum(K, 3)
    B = np.zeros_like(K)
    for i in range(2):
        for l in range(5):
            for j in range(2):
                for m in range(5):
                    B[i, l, j, m] = sum(K[i, (l + k) % 5, j, (m + k) % 5] for k in (-1, 0, 1))
    np.testing.assert_allclose(D, B, rtol=0, atol=1e-14)


@pytest.mark.parametrize("activation", ["relu", "softplus"])
def test_single_position_cnn_is_the_resnet(rng, activation):
    X = rng.standard_normal((7, 4))
    X /= np.linalg.norm(X, axis=1, keepdims=True)
    K_cnn = gram.gram_matrix(X[:, :, None], 3, activation, arch="cnn", patch_size=1)
    K_res = gram.gram_matrix(X, 3, activation, arch="resnet")
    np.testing.assert_allclose(K_cnn, K_res, rtol=1e-12, atol=1e-15)


def test_cnn_finite_width_converges(rng):
    X = rng.standard_normal((5, 2, 6))
    X /= np.linalg.norm(X.reshape(5, -1), axis=1)[:, None, None]
    K = gram.gram_matrix(X, 3, "tanh", arch="cnn", patch_size=3)
    assert np.allclose(K, K.T) and np.linalg.eigvalsh(K).min() > 0
    errs = []
    for m in (64, 1024):
        e = [np.linalg.norm(gram.empirical_gram(X, m, 3, "tanh", arch="cnn", seed=s) - K) for s in range(3)]
        errs.append(np.mean(e) / np.linalg.norm(K))
    assert errs[1] < 0.07 and errs[1] / errs[0] < 0.5
    Ks = gram.gram_matrix(X, 3, "tanh", arch="cnn", return_all=True)
    assert len(Ks) == 4 and Ks[1].shape == (5, 6, 5, 6)
    np.testing.assert_allclose(Ks[-1], K)


def test_cnn_bad_inputs(rng):
    X = rng.standard_normal((3, 2, 5))
    X /= np.linalg.norm(X.reshape(3, -1), axis=1)[:, None, None]
    with pytest.raises(ValueError, match="patch_size"):
        gram.gram_matrix(X, 2, arch="cnn", patch_size=2)
    with pytest.raises(ValueError, match="patch_size"):
        gram.gram_matrix(X, 2, arch="cnn", patch_size=7)
    with pytest.raises(ValueError, match="depth"):
        gram.gram_matrix(X, 1, arch="cnn")
    with pytest.raises(ValueError, match="X"):
        gram.gram_matrix(X[:, :, 0], 2, arch="cnn")
    with pytest.warns(UserWarning, match="unit norm"):
        gram.gram_matrix(2 * X, 2, arch="cnn")
    np.testing.assert_allclose(
        gram.gram_matrix(2 * X, 2, arch="cnn", normalize=True), gram.gram_matrix(X, 2, arch="cnn")
    )
