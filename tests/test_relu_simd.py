"""Lens 2 fused kernel at every instruction-set level the CPU supports, against the numpy reference.

Each level is its own build of the core (docs/performance.md); convexify.set_simd_level swaps the module in
this process, so every test below runs the register tiles, Eigen and compiler output of that level.

The performance model behind the paths is docs/relu.md#performance.

The sizes reach every path of the block loops: d below, at and above one vector (tails that overlap the
previous vector), d above one k-tile (128) and above 512 (the long-row float32 tiles), a lone weight row
(B = 1 and the last of B = 17 / 33), groups of 4, 8 and 16 (zero padded), and sample counts that leave a
remainder after the groups of 4 / 8.
"""

from __future__ import annotations

import subprocess
import sys

import numpy as np
import pytest

import convexify
from convexify import relu
from convexify.reference import relu as ref

_ALL = convexify._simd.SIMD_LEVELS
LEVELS = list(_ALL[: _ALL.index(convexify.simd_supported()) + 1])


@pytest.fixture
def level_restored():
    before = convexify.get_simd_level()
    yield
    convexify.set_simd_level(before)


def _problem(rng, n, d, B, dtype, labels_per_run=False):
    X = rng.standard_normal((n, d))
    w = rng.standard_normal(d) / np.sqrt(d)
    y = np.maximum(X @ w, 0.0) + 0.1 * np.abs(rng.standard_normal(n))
    if labels_per_run:
        y = np.maximum(X @ (rng.standard_normal((d, B)) / np.sqrt(d)), 0.0)
    W = rng.standard_normal((B, d)) / np.sqrt(d)
    return X.astype(dtype), y.astype(dtype), W.astype(dtype)


@pytest.mark.parametrize("level", LEVELS)
@pytest.mark.parametrize("dtype, rtol", [(np.float64, 1e-12), (np.float32, 2e-5)])
@pytest.mark.parametrize("n, d", [(203, 3), (203, 8), (211, 21), (64, 16), (307, 150), (90, 257), (45, 603)])
@pytest.mark.parametrize("B", [1, 3, 8, 13, 16, 17, 33])
def test_every_level_matches_reference(rng, level_restored, level, dtype, rtol, n, d, B):
    convexify.set_simd_level(level)
    assert convexify.get_simd_level() == level
    X, y, W = _problem(rng, n, d, B, dtype)
    X64, y64, W64 = X.astype(np.float64), y.astype(np.float64), W.astype(np.float64)
    for relaxed, strict in [(False, False), (True, False), (False, True)]:
        G = relu.gradient(W, X, y, relaxed=relaxed, strict=strict)  # float64 (documented)
        G_ref = ref.gradient(W64, X64, y64, relaxed=relaxed, strict=strict)
        np.testing.assert_allclose(G, G_ref, rtol=rtol, atol=rtol * np.abs(G_ref).max())
    np.testing.assert_allclose(relu.loss(W, X, y), ref.loss(W64, X64, y64), rtol=rtol)
    np.testing.assert_allclose(relu.relaxed_loss(W, X, y), ref.relaxed_loss(W64, X64, y64), rtol=rtol)


@pytest.mark.parametrize("level", LEVELS)
def test_every_level_gd_with_labels_per_run(rng, level_restored, level):
    convexify.set_simd_level(level)
    X, Y, W0 = _problem(rng, 517, 37, 13, np.float64, labels_per_run=True)
    step = relu.default_step(X)
    res = relu.gd(X, Y, W0, step=step, iters=40, record_every=10, check=False, classify=False)
    want = ref.gd(X, Y, W0, step, 40, record_every=10)
    np.testing.assert_allclose(res.W, want["W"], rtol=1e-11, atol=1e-13)
    np.testing.assert_allclose(res.train_loss, want["train_loss"], rtol=1e-11)


def test_levels_agree_to_round_off(rng, level_restored):
    X, y, W = _problem(rng, 1001, 100, 16, np.float64)
    out = {}
    for level in LEVELS:
        convexify.set_simd_level(level)
        out[level] = relu.gradient(W, X, y)
    base = out[LEVELS[0]]
    for level in LEVELS:
        np.testing.assert_allclose(out[level], base, rtol=1e-13, atol=1e-13 * np.abs(base).max())


def test_set_simd_level_rejects_bad_levels(level_restored):
    with pytest.raises(ValueError, match="level must be one of"):
        convexify.set_simd_level("sse9")
    with pytest.raises(TypeError, match="level must be a string"):
        convexify.set_simd_level(2)
    if convexify.simd_supported() != "avx512":
        with pytest.raises(ValueError, match="not supported by this CPU"):
            convexify.set_simd_level("avx512")
    info = convexify.build_info()
    assert info["simd_level"] == convexify.get_simd_level()
    assert info["simd_supported"] == convexify.simd_supported()


@pytest.mark.parametrize(
    "kernel, B, dtype", [("fused", 1, np.float64), ("fused", 16, np.float32), ("gemm", 70, np.float32)]
)
@pytest.mark.parametrize("where", [(0, 0), (4500, 17), (8999, 29)])
def test_kernel_checks_every_block_of_x_in_its_first_pass(rng, kernel, B, dtype, where):
    # n = 9000: three sample chunks of several cache blocks each; X is checked block by block inside the
    # kernel's first pass (docs/conventions.md#linalg: bad input raises, it never becomes a silent NaN
    # result).
    X, y, W = _problem(rng, 9000, 30, B, dtype)
    Xb = X.copy()
    Xb[where] = np.inf
    with pytest.raises(ValueError, match="X contains NaN or Inf"):
        relu.gd(Xb, y, W, step=1e-4, iters=3, kernel=kernel, check=False, classify=False)
    with pytest.raises(ValueError, match="X contains NaN or Inf"):
        relu.gradient(W, Xb, y)
    with pytest.raises(ValueError, match="X_test contains NaN or Inf"):
        relu.gd(X, y, W, step=1e-4, iters=3, X_test=Xb, y_test=y, kernel=kernel, check=False, classify=False)
    ok = relu.gd(X, y, W, step=1e-4, iters=3, kernel=kernel, check=False, classify=False)
    assert np.isfinite(ok.W).all()


def test_auto_kernel_follows_the_level(rng, level_restored):
    X, y, W = _problem(rng, 500, 20, 70, np.float32)
    kw = dict(step=1e-4, iters=2, check=False, classify=False)
    for level in LEVELS:
        convexify.set_simd_level(level)
        want = "fused" if level == "avx512" else "gemm"  # measured choice for float32, B >= 64
        assert relu.gd(X, y, W, **kw).kernel == want
        assert (
            relu.gd(X.astype(np.float64), y.astype(np.float64), W.astype(np.float64), **kw).kernel == "fused"
        )


@pytest.mark.parametrize("dtype, rtol", [(np.float64, 1e-11), (np.float32, 2e-5)])
@pytest.mark.parametrize("d", [3, 8, 21, 150])
def test_lone_row_gd_on_padded_copy_matches_reference(rng, dtype, rtol, d):
    # B = 1 on small X runs on a 64-byte aligned copy with zero-padded rows (relu_gd.cpp): same numbers.
    X, y, W = _problem(rng, 333, d, 1, dtype)
    Xt, yt, _ = _problem(rng, 50, d, 1, dtype)
    step = relu.default_step(X)
    res = relu.gd(X, y, W, step=step, iters=30, X_test=Xt, y_test=yt, record_every=10, classify=False)
    X64, y64 = X.astype(np.float64), y.astype(np.float64)
    want = ref.gd(
        X64,
        y64,
        W.astype(np.float64),
        step,
        30,
        X_test=Xt.astype(np.float64),
        y_test=yt.astype(np.float64),
        record_every=10,
    )
    np.testing.assert_allclose(res.W, want["W"], rtol=rtol, atol=rtol * np.abs(want["W"]).max())
    np.testing.assert_allclose(res.train_loss, want["train_loss"], rtol=10 * rtol)
    np.testing.assert_allclose(res.test_loss, want["test_loss"], rtol=10 * rtol)
    Xb = X.copy()
    Xb[-1, -1] = np.nan
    with pytest.raises(ValueError, match="X contains NaN or Inf"):
        relu.gd(Xb, y, W, step=step, iters=3, classify=False)


@pytest.mark.parametrize("level", LEVELS)
@pytest.mark.parametrize(
    "dtype, d, rtol", [(np.float64, 16, 1e-12), (np.float64, 72, 1e-12), (np.float32, 32, 2e-5)]
)
def test_lone_row_at_every_alignment_of_x(rng, level_restored, level, dtype, d, rtol):
    # The lone-row kernel's vector loads, overlapping tails and prefetches at every offset of X within a
    # cache line (rows of a multiple of 64 bytes keep that offset on every row).
    convexify.set_simd_level(level)
    n = 61
    X0, y, W = _problem(rng, n, d, 1, dtype)
    per_line = 64 // np.dtype(dtype).itemsize
    buf = np.empty(n * d + 2 * per_line, dtype=dtype)
    base = (-(buf.ctypes.data // np.dtype(dtype).itemsize)) % per_line
    G_ref = ref.gradient(W.astype(np.float64), X0.astype(np.float64), y.astype(np.float64))
    for shift in range(per_line):
        X = buf[base + shift : base + shift + n * d].reshape(n, d)
        X[...] = X0
        assert (X.ctypes.data % 64) // np.dtype(dtype).itemsize == shift
        for relaxed in (False, True):
            G = relu.gradient(W, X, y, relaxed=relaxed)
            want = (
                G_ref
                if not relaxed
                else ref.gradient(
                    W.astype(np.float64), X0.astype(np.float64), y.astype(np.float64), relaxed=True
                )
            )
            np.testing.assert_allclose(G, want, rtol=rtol, atol=rtol * np.abs(want).max())
        np.testing.assert_allclose(
            relu.loss(W, X, y),
            ref.loss(W.astype(np.float64), X0.astype(np.float64), y.astype(np.float64)),
            rtol=rtol,
        )


@pytest.mark.parametrize("level", LEVELS)
@pytest.mark.parametrize("dtype, rtol", [(np.float64, 1e-12), (np.float32, 2e-5)])
@pytest.mark.parametrize("n", [5, 13, 300, 1203])
@pytest.mark.parametrize("d", [16, 32, 48, 64, 112, 128])
def test_short_rows_match_reference(rng, level_restored, level, dtype, rtol, n, d):
    # Lone rows of at most 8 whole registers (relu_blocks.hpp, short_block): fewer rows than one group or
    # two, a remainder after the groups, several cache blocks; a lone row alone and after a group of 16.
    convexify.set_simd_level(level)
    for B in (1, 17):
        X, y, W = _problem(rng, n, d, B, dtype)
        X64, y64, W64 = X.astype(np.float64), y.astype(np.float64), W.astype(np.float64)
        for relaxed, strict in [(False, False), (True, False), (False, True)]:
            G = relu.gradient(W, X, y, relaxed=relaxed, strict=strict)
            G_ref = ref.gradient(W64, X64, y64, relaxed=relaxed, strict=strict)
            np.testing.assert_allclose(G, G_ref, rtol=rtol, atol=rtol * np.abs(G_ref).max())
        np.testing.assert_allclose(relu.loss(W, X, y), ref.loss(W64, X64, y64), rtol=rtol)
        np.testing.assert_allclose(relu.relaxed_loss(W, X, y), ref.relaxed_loss(W64, X64, y64), rtol=rtol)


@pytest.mark.parametrize("level", LEVELS)
@pytest.mark.parametrize("dtype, rtol", [(np.float64, 1e-11), (np.float32, 2e-5)])
@pytest.mark.parametrize("d", [9, 13, 21, 30, 37, 50, 67, 100, 113, 126])
def test_lone_row_gd_on_packed_copy_matches_reference(rng, level_restored, level, dtype, rtol, d):
    # B = 1: gd copies X into groups of samples packed for short_block (AVX2 / AVX-512 and d not a whole
    # number of registers: every count of remainder vectors), the last n mod 8 samples as plain rows.
    convexify.set_simd_level(level)
    for n in (5, 21, 1003):
        X, y, W = _problem(rng, n, d, 1, dtype)
        step = relu.default_step(X)
        res = relu.gd(X, y, W, step=step, iters=4, record_every=2, check=False, classify=False)
        X64, y64, W64 = X.astype(np.float64), y.astype(np.float64), W.astype(np.float64)
        want = ref.gd(X64, y64, W64, step, 4, record_every=2)
        np.testing.assert_allclose(res.W, want["W"], rtol=rtol, atol=rtol * np.abs(want["W"]).max())
        np.testing.assert_allclose(res.train_loss, want["train_loss"], rtol=10 * rtol)


def test_scipy_blas_is_looked_up_only_where_the_gemm_kernel_can_run():
    # Importing SciPy for its GEMM takes ~0.15 s: gd with the fused kernel does not pay it.
    code = (
        "import sys, numpy as np\n"
        "from convexify import relu\n"
        "X = np.random.default_rng(0).standard_normal((50, 4)); y = np.maximum(X[:, 0], 0)\n"
        "kw = dict(step=1e-3, iters=2, check=False, classify=False)\n"
        "relu.gd(X, y, np.zeros((1, 4)), kernel='fused', **kw)\n"
        "print('scipy.linalg.cython_blas' in sys.modules)\n"
        "relu.gd(X, y, np.zeros((3, 4)), kernel='gemm', **kw)\n"
        "print('scipy.linalg.cython_blas' in sys.modules)\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.split() == ["False", "True"]
