"""Lens 3 benchmarks: Du et al. Gram matrix K^(H), d = 100, depth 3, float64, one thread.

Groups "gram <activation> n=<n>": the C++ core (tables on, the default "auto"), the C++ core without tables
("cpp-direct"), the numpy reference (layer-by-layer full matrices; only where it finishes in reasonable
time and memory) and the memory floor "floor-write": allocating and filling one n x n float64 array (the
output must be written at least once).  extra_info records ns per pair per layer.
"""

from __future__ import annotations

import numpy as np
import pytest
from conftest import SMOKE, pick

from convexify import gram
from convexify.reference import gram as ref

D, DEPTH = 100, 3
SIZES = pick([1000, 4000, 16000], [120])
# The numpy reference needs ~10 n x n temporaries (and 3 q^2 passes for tanh): keep it to sizes it finishes.
REF_MAX = {"relu": pick(4000, 120), "tanh": pick(1000, 120)}
DIRECT_MAX = {"relu": pick(16000, 120), "tanh": pick(1000, 120)}


def _data(n: int) -> np.ndarray:
    X = np.random.default_rng(0).standard_normal((n, D))
    return X / np.linalg.norm(X, axis=1, keepdims=True)


def _rounds(n: int) -> int:
    return 1 if (SMOKE or n >= 16000) else 3


def _info(benchmark, impl: str, n: int) -> None:
    benchmark.extra_info["impl"] = impl
    benchmark.extra_info["n"] = n
    benchmark.extra_info["pairs_x_layers"] = n * (n + 1) // 2 * DEPTH


def _ns_per_pair_layer(benchmark, n: int) -> None:
    if benchmark.stats is not None:
        t = benchmark.stats.stats.median
        benchmark.extra_info["ns_per_pair_layer"] = t / (n * (n + 1) / 2 * DEPTH) * 1e9


@pytest.mark.parametrize("activation", ["relu", "tanh"])
@pytest.mark.parametrize("n", SIZES)
def test_gram_cpp(benchmark, n, activation):
    X = _data(n)
    benchmark.group = f"gram {activation} n={n}"
    _info(benchmark, "cpp", n)
    K = benchmark.pedantic(gram.gram_matrix, args=(X, DEPTH, activation), rounds=_rounds(n), iterations=1)
    assert K.shape == (n, n)
    _ns_per_pair_layer(benchmark, n)


@pytest.mark.parametrize("activation", ["relu", "tanh"])
@pytest.mark.parametrize("n", SIZES)
def test_gram_cpp_direct(benchmark, n, activation):
    if n > DIRECT_MAX[activation]:
        pytest.skip("direct 2-D quadrature per pair is too slow at this size")
    X = _data(n)
    benchmark.group = f"gram {activation} n={n}"
    _info(benchmark, "cpp-direct", n)
    kw = dict(method="direct")
    K = benchmark.pedantic(gram.gram_matrix, args=(X, DEPTH, activation), kwargs=kw, rounds=1, iterations=1)
    assert K.shape == (n, n)
    _ns_per_pair_layer(benchmark, n)


@pytest.mark.parametrize("activation", ["relu", "tanh"])
@pytest.mark.parametrize("n", SIZES)
def test_gram_numpy_reference(benchmark, n, activation):
    if n > REF_MAX[activation]:
        pytest.skip("the numpy reference does not finish in reasonable time/memory at this size")
    X = _data(n)
    benchmark.group = f"gram {activation} n={n}"
    _info(benchmark, "numpy", n)
    K = benchmark.pedantic(ref.gram_fc, args=(X, DEPTH, activation), rounds=1, iterations=1)
    assert K.shape == (n, n)
    _ns_per_pair_layer(benchmark, n)


def _fill(n: int) -> np.ndarray:
    A = np.empty((n, n))
    A.fill(1.0)
    return A


@pytest.mark.parametrize("activation", ["relu", "tanh"])
@pytest.mark.parametrize("n", SIZES)
def test_gram_memory_floor(benchmark, n, activation):
    benchmark.group = f"gram {activation} n={n}"
    _info(benchmark, "floor-write", n)
    A = benchmark.pedantic(_fill, args=(n,), rounds=_rounds(n), iterations=1)
    assert A.shape == (n, n)
    _ns_per_pair_layer(benchmark, n)
