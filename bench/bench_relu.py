"""Lens 2 benchmarks: per-iteration time of batched GD (C++ core vs numpy reference vs torch CPU loop).

Sizes (n, d) = (1e4, 100), (1e5, 1000); B in {1, 16, 256}; float64 and float32; one thread everywhere.
One GD iteration is 4 n d B flops (two products with X); ``extra_info["gflops"]`` is the achieved rate and
the ``relu gemm-peak`` groups measure numpy's single-core GEMM peak in the same run.  With one weight row an
iteration is bound by reading X: ``extra_info["x_gbytes_per_s"]`` is X's size over the time of one iteration,
and the ``relu x-pass`` groups time numpy's one product ``X @ w`` (numpy's GD reads X twice per iteration,
the fused kernel once).

    OMP_NUM_THREADS=1 python -m pytest bench/bench_relu.py --benchmark-only --benchmark-json relu.json
    python bench/ratios.py relu.json
"""

from __future__ import annotations

import numpy as np
import pytest
from conftest import SMOKE, pick

from convexify import relu
from convexify.reference import relu as ref

SIZES = pick([(10_000, 100), (100_000, 1000)], [(300, 10)])
BATCHES = [1, 16, 256]
DTYPES = ["float64", "float32"]
_DATA = {}


def _data(n, d, dtype):
    key = (n, d, dtype)
    if key not in _DATA:
        _DATA.clear()  # keep one data set alive (the large one is 800 MB in float64)
        rng = np.random.default_rng(0)
        X = rng.standard_normal((n, d)).astype(dtype)
        w = rng.standard_normal(d) / np.sqrt(d)
        y = np.maximum(X @ w.astype(dtype), 0).astype(dtype)
        _DATA[key] = (X, y, 1.0 / (2.02 * relu.lambda_max(X)))
    return _DATA[key]


def _plan(n, B):
    """(iterations per call, rounds).  Enough iterations that the per-call costs of both sides (argument
    checks, the final recorded evaluation) are small next to the iterations being timed."""
    if SMOKE:
        return 2, 1
    if n <= 10_000:
        return (200, 5) if B < 256 else (20, 3)
    return {1: (20, 3), 16: (8, 3)}.get(B, (1, 2))


def _record(benchmark, impl, n, d, B, dtype, iters):
    benchmark.group = f"relu gd n={n} d={d} B={B} {dtype}"
    benchmark.extra_info.update(impl=impl, n=n, d=d, B=B, dtype=dtype, iters_per_call=iters)


def _finish(benchmark, n, d, B, iters, x_bytes):
    if benchmark.stats is not None and not SMOKE:
        per_iter = benchmark.stats.stats.median / iters
        benchmark.extra_info["seconds_per_iteration"] = per_iter
        benchmark.extra_info["gflops"] = 4.0 * n * d * B / per_iter / 1e9
        benchmark.extra_info["x_gbytes_per_s"] = x_bytes / per_iter / 1e9


params = [(n, d, B, dt) for (n, d) in SIZES for B in BATCHES for dt in DTYPES]
ids = [f"n{n}-d{d}-B{B}-{dt}" for (n, d, B, dt) in params]


@pytest.mark.parametrize("n, d, B, dtype", params, ids=ids)
def test_gd_cpp(benchmark, n, d, B, dtype):
    X, y, step = _data(n, d, dtype)
    W0 = (np.random.default_rng(1).standard_normal((B, d)) / np.sqrt(d)).astype(dtype)
    iters, rounds = _plan(n, B)
    _record(benchmark, "cpp", n, d, B, dtype, iters)
    res = benchmark.pedantic(
        relu.gd,
        args=(X, y, W0),
        kwargs=dict(step=step, iters=iters, record_every=iters, check=False, classify=False),
        rounds=rounds,
        iterations=1,
    )
    assert res.W.dtype == np.dtype(dtype) and not res.diverged.any()
    _finish(benchmark, n, d, B, iters, X.nbytes)


@pytest.mark.parametrize("n, d, B, dtype", params, ids=ids)
def test_gd_numpy(benchmark, n, d, B, dtype):
    X, y, step = _data(n, d, dtype)
    W0 = (np.random.default_rng(1).standard_normal((B, d)) / np.sqrt(d)).astype(dtype)
    iters, rounds = _plan(n, B)
    _record(benchmark, "numpy", n, d, B, dtype, iters)
    benchmark.pedantic(
        ref.gd, args=(X, y, W0, step, iters), kwargs=dict(record_every=iters), rounds=rounds, iterations=1
    )
    _finish(benchmark, n, d, B, iters, X.nbytes)


@pytest.mark.parametrize("n, d, B, dtype", params, ids=ids)
def test_gd_torch(benchmark, n, d, B, dtype):
    torch = pytest.importorskip("torch")
    torch.set_num_threads(1)
    X, y, step = _data(n, d, dtype)
    Xt, yt = torch.from_numpy(X), torch.from_numpy(y)[:, None]
    W0 = torch.from_numpy((np.random.default_rng(1).standard_normal((B, d)) / np.sqrt(d)).astype(dtype))
    iters, rounds = _plan(n, B)

    def loop():
        W = W0.clone()
        for _ in range(iters):
            Z = Xt @ W.T
            R = (torch.relu(Z) - yt) * (Z >= 0)
            W -= (2 * step) * (R.T @ Xt)
        return W

    _record(benchmark, "torch", n, d, B, dtype, iters)
    benchmark.pedantic(loop, rounds=rounds, iterations=1)
    _finish(benchmark, n, d, B, iters, X.nbytes)


@pytest.mark.parametrize("dtype", DTYPES)
def test_gemm_peak(benchmark, dtype):
    """numpy's single-core GEMM rate (the machine's practical peak) for the GFLOP/s comparison."""
    m = pick(1500, 64)
    rng = np.random.default_rng(2)
    A = rng.standard_normal((m, m)).astype(dtype)
    Bm = rng.standard_normal((m, m)).astype(dtype)
    benchmark.group = f"relu gemm-peak {dtype}"
    benchmark.extra_info.update(impl="numpy", m=m, dtype=dtype)
    benchmark.pedantic(np.matmul, args=(A, Bm), rounds=pick(5, 1), iterations=1)
    if benchmark.stats is not None and not SMOKE:
        benchmark.extra_info["gflops"] = 2.0 * m**3 / benchmark.stats.stats.median / 1e9


@pytest.mark.parametrize("n, d", SIZES)
@pytest.mark.parametrize("dtype", DTYPES)
def test_x_pass(benchmark, n, d, dtype):
    """numpy's one pass over X (``X @ w``, each half of a numpy GD iteration with one weight row): the rate at
    which it streams X, for the B = 1 rows (bound by reading X)."""
    X, _, _ = _data(n, d, dtype)
    w = np.random.default_rng(3).standard_normal(d).astype(dtype)
    benchmark.group = f"relu x-pass n={n} d={d} {dtype}"
    benchmark.extra_info.update(impl="numpy", n=n, d=d, dtype=dtype)
    benchmark.pedantic(np.matmul, args=(X, w), rounds=pick(10, 1), iterations=1)
    if benchmark.stats is not None and not SMOKE:
        benchmark.extra_info["x_gbytes_per_s"] = X.nbytes / benchmark.stats.stats.median / 1e9
