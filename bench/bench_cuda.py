"""GPU benchmarks (skipped without a CUDA build and a visible GPU): Gram recursion and batched ReLU GD,
GPU against the CPU path on the same machine, plus the device-memory floor of writing the n x n result.

Run on a GPU machine with `.ci/gpu-check` (it writes the JSON and the ratio table).
"""

from __future__ import annotations

import numpy as np
import pytest
from conftest import pick

import convexify
from convexify import gram, relu

pytestmark = pytest.mark.skipif(not convexify.cuda_available(), reason="no CUDA build or no visible GPU")


def _unit_rows(n, d, seed=0):
    X = np.random.default_rng(seed).standard_normal((n, d))
    return X / np.linalg.norm(X, axis=1, keepdims=True)


@pytest.mark.parametrize("n", pick([4000, 32000], [256]))
@pytest.mark.parametrize("impl", ["cpp", "cuda"])
def test_gram_relu_fc(benchmark, n, impl):
    X = _unit_rows(n, 100)
    benchmark.group = f"gram-gpu relu fc depth 3 n={n}"
    benchmark.extra_info["impl"] = impl
    device = "cpu" if impl == "cpp" else "cuda"
    K = benchmark.pedantic(gram.gram_matrix, args=(X, 3), kwargs={"device": device}, rounds=3, iterations=1)
    benchmark.extra_info["bytes_written"] = K.nbytes
    benchmark.extra_info["pairs"] = n * (n + 1) // 2


@pytest.mark.parametrize("impl", ["cpp", "cuda"])
def test_relu_gd(benchmark, impl):
    n, d, B = pick((100_000, 1000, 256), (512, 16, 4))
    rng = np.random.default_rng(1)
    X = rng.standard_normal((n, d))
    w = rng.standard_normal(d)
    y = np.maximum(X @ (w / np.linalg.norm(w)), 0.0)
    W0 = rng.standard_normal((B, d)) / np.sqrt(d)
    iters = pick(20, 2)
    benchmark.group = f"relu-gd-gpu n={n} d={d} B={B}"
    benchmark.extra_info["impl"] = impl
    benchmark.extra_info["flops_per_iter"] = 4 * n * d * B
    device = "cpu" if impl == "cpp" else "cuda"
    benchmark.pedantic(
        relu.gd,
        args=(X, y, W0),
        kwargs=dict(step=1e-6, iters=iters, record_every=iters, classify=False, check=False, device=device),
        rounds=3,
        iterations=1,
    )
