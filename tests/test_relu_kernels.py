"""Lens 2 kernel paths (docs/relu.md#performance) against float64 numbers.

The float32 single-row path and the BLAS GEMM pair.
"""

from __future__ import annotations

import numpy as np
import pytest

import convexify
from convexify import relu
from convexify.reference import relu as ref


@pytest.mark.parametrize("relaxed, strict", [(False, False), (False, True), (True, False)])
def test_float32_single_row_matches_float64(rng, relaxed, strict):
    # d = 16*9 + 8 + 4 + 3: every step of the float32 single-row dot product and axpy (two k-tiles of 128,
    # the 8-, 4- and scalar tails); n = 4*k + 3 leaves a scalar tail of samples too.
    n, d = 1203, 159
    X = rng.standard_normal((n, d)).astype(np.float32)
    w = (rng.standard_normal(d) / np.sqrt(d)).astype(np.float32)
    y = np.maximum(X @ (rng.standard_normal(d).astype(np.float32) / np.sqrt(d)), 0).astype(np.float32)
    X64, y64, w64 = X.astype(np.float64), y.astype(np.float64), w.astype(np.float64)
    G = relu.gradient(w, X, y, relaxed=relaxed, strict=strict)
    G_ref = ref.gradient(w64[None], X64, y64, relaxed=relaxed, strict=strict)[0]
    # Float partial sums over <= 128 terms (dot products) or <= 512 samples (gradient), float64 beyond.
    np.testing.assert_allclose(G, G_ref, rtol=1e-5, atol=1e-5 * np.abs(G_ref).max())
    L, Lr = relu.loss(w, X, y), relu.relaxed_loss(w, X, y)
    assert L == pytest.approx(float(ref.loss(w64[None], X64, y64)[0]), rel=1e-5)
    assert Lr == pytest.approx(float(ref.relaxed_loss(w64[None], X64, y64)[0]), rel=1e-5)


def test_float32_large_batch_uses_gemm_pair_with_same_numbers(rng):
    X = rng.standard_normal((700, 37)).astype(np.float32)
    y = np.maximum(X @ (rng.standard_normal(37).astype(np.float32) / 6), 0).astype(np.float32)
    W0 = (rng.standard_normal((70, 37)) / 6).astype(np.float32)
    kw = dict(step=1e-4, iters=30, record_every=10, check=False, classify=False)
    auto = relu.gd(X, y, W0, kernel="gemm", **kw)
    fused = relu.gd(X, y, W0, kernel="fused", **kw)
    assert auto.kernel == "gemm" and fused.kernel == "fused"
    # "auto": the GEMM pair for float32 with B >= 64 below the AVX-512 level (measured), else fused
    want = "fused" if convexify.get_simd_level() == "avx512" else "gemm"
    assert relu.gd(X, y, W0, **kw).kernel == want
    assert relu.gd(X, y, W0[:63], **kw).kernel == "fused"
    assert relu.gd(X.astype(np.float64), y.astype(np.float64), W0.astype(np.float64), **kw).kernel == "fused"
    np.testing.assert_allclose(auto.W, fused.W, rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(auto.train_loss, fused.train_loss, rtol=1e-5)
    ref_run = ref.gd(
        X.astype(np.float64), y.astype(np.float64), W0.astype(np.float64), 1e-4, 30, record_every=10
    )
    np.testing.assert_allclose(auto.W, ref_run["W"], rtol=1e-4, atol=1e-5)


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("bad", [np.nan, np.inf, -np.inf])
def test_core_finiteness_check_sees_every_entry(rng, dtype, bad):
    X = rng.standard_normal((13, 7)).astype(dtype)  # 91 entries: 8-lane body and a tail of 3
    y = np.abs(rng.standard_normal(13)).astype(dtype)
    for i, j in [(0, 0), (6, 3), (12, 6)]:
        Xb = X.copy()
        Xb[i, j] = bad
        with pytest.raises(ValueError, match="X contains NaN or Inf"):
            relu.gd(Xb, y, np.zeros(7), step=1e-3, iters=1)
    yb = y.copy()
    yb[-1] = bad
    with pytest.raises(ValueError, match="y contains NaN or Inf"):
        relu.gd(X, yb, np.zeros(7), step=1e-3, iters=1)
