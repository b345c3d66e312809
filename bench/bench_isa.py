"""The level-dependent "auto" choices, measured at the level the core was loaded at (docs/performance.md).

Run once per instruction-set level with ``python bench/ratios.py --levels -- bench/bench_isa.py
--benchmark-only``.  Each group times one GD iteration with ``kernel="auto"`` (impl ``cpp``) and with each
kernel forced (``fused``, ``gemm``): a ratio below 1 for a forced kernel means "auto" picked the slower one at
that level and the choice in relu_kernel_cpu.cpp (make_cpu_kernel, may_choose_gemm) needs revisiting.
"""

from __future__ import annotations

import numpy as np
import pytest
from conftest import SMOKE, pick

import convexify
from convexify import relu

SIZES = pick([(10_000, 100), (20_000, 500)], [(300, 10)])
BATCHES = pick([16, 64, 256], [16])
DTYPES = ["float64", "float32"]


def _iters(n, d, B):
    return 2 if SMOKE else max(2, int(4e9 / (4 * n * d * B)))


@pytest.mark.parametrize("kernel", ["auto", "fused", "gemm"])
@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("B", BATCHES)
@pytest.mark.parametrize("n, d", SIZES)
def test_relu_kernel_choice(benchmark, n, d, B, dtype, kernel):
    rng = np.random.default_rng(0)
    X = rng.standard_normal((n, d)).astype(dtype)
    y = np.maximum(X @ (rng.standard_normal(d) / np.sqrt(d)).astype(dtype), 0).astype(dtype)
    W0 = (rng.standard_normal((B, d)) / np.sqrt(d)).astype(dtype)
    step = 1.0 / (2.02 * relu.lambda_max(X))
    iters = _iters(n, d, B)
    level = convexify.get_simd_level()
    benchmark.group = f"relu kernel n={n} d={d} B={B} {dtype}"
    benchmark.extra_info.update(impl="cpp" if kernel == "auto" else kernel, level=level, iters_per_call=iters)
    res = benchmark.pedantic(
        relu.gd,
        args=(X, y, W0),
        kwargs=dict(step=step, iters=iters, record_every=iters, check=False, classify=False, kernel=kernel),
        rounds=pick(3, 1),
        iterations=1,
    )
    benchmark.extra_info["kernel_used"] = res.kernel
