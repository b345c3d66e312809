"""Embedded data for lens 4: scikit-learn's handwritten digits as a binary, low-dimensional problem."""

from __future__ import annotations

from typing import Tuple

import numpy as np

__all__ = ["digits_binary"]


def digits_binary(n_components: int = 20, max_samples: int | None = None) -> Tuple[np.ndarray, np.ndarray]:
    """``load_digits`` (1797 8x8 images, ships with scikit-learn) as (X, y): digits 0-4 -> +1, 5-9 -> -1.

    Pixels are standardised, projected on the first ``n_components`` principal components, scaled so that the
    mean squared row norm is 1, and a constant-1 bias column is appended: X has shape (n, n_components + 1).
    ``max_samples`` keeps the first rows (the file's order, deterministic).
    """
    from sklearn.datasets import load_digits
    from sklearn.decomposition import PCA

    pixels, digit = load_digits(return_X_y=True)
    if max_samples is not None:
        pixels, digit = pixels[:max_samples], digit[:max_samples]
    std = pixels.std(axis=0)
    Xs = (pixels - pixels.mean(axis=0)) / np.where(std > 0, std, 1.0)
    Z = PCA(n_components=n_components, svd_solver="full").fit_transform(Xs)
    Z /= np.sqrt(np.mean(np.sum(Z**2, axis=1)))
    X = np.ascontiguousarray(np.column_stack([Z, np.ones(Z.shape[0])]))
    y = np.where(digit < 5, 1.0, -1.0)
    return X, y
