"""Lens 4 benchmarks: loss surface on a 41 x 41 grid and one training epoch (loss + gradient), C++ vs numpy.

Data: scikit-learn's digits (n = 1797, PCA to 20 dims + bias), networks with I m in {16, 512} units.
"""

from __future__ import annotations

import numpy as np
import pytest
from conftest import SMOKE, pick

from convexify import _core
from convexify import branches as br
from convexify.branches._data import digits_binary
from convexify.reference import branches as ref

SHAPES = pick([(4, 4), (8, 64)], [(2, 2)])  # (I, m): I m = 16 and 512
GRID = pick(41, 5)


@pytest.fixture(scope="module")
def digits():
    return digits_binary(20, max_samples=200 if SMOKE else None)


def _plane(X, I, m):
    net = br.MultiBranchMLP(I, m, X.shape[1], seed=0)
    return net, br.slice_directions("filter", net, seed=1)


@pytest.mark.parametrize("shape", SHAPES, ids=lambda s: f"I{s[0]}m{s[1]}")
@pytest.mark.parametrize("impl", ["cpp", "numpy"])
def test_surface(benchmark, digits, shape, impl):
    X, y = digits
    I, m = shape
    net, plane = _plane(X, I, m)
    benchmark.group = f"branches surface {GRID}x{GRID} n={X.shape[0]} Im={I * m}"
    benchmark.extra_info["impl"] = impl
    if impl == "cpp":
        S = benchmark(br.loss_surface, net, X, y, plane, grid=GRID)
        assert S.values.shape == (GRID, GRID)
    else:
        g = np.linspace(-1, 1, GRID)
        args = (X, y, plane.centre, plane.d1, plane.d2, g, g, 1.0)
        S = benchmark.pedantic(ref.surface, args=args, rounds=pick(3, 1), iterations=1)
        assert S.shape == (GRID, GRID)


@pytest.mark.parametrize("shape", SHAPES, ids=lambda s: f"I{s[0]}m{s[1]}")
@pytest.mark.parametrize("impl", ["cpp", "numpy"])
def test_epoch(benchmark, digits, shape, impl):
    """One full-batch epoch = one loss + gradient evaluation."""
    X, y = digits
    I, m = shape
    net = br.MultiBranchMLP(I, m, X.shape[1], seed=0)
    benchmark.group = f"branches epoch n={X.shape[0]} Im={I * m}"
    benchmark.extra_info["impl"] = impl
    if impl == "cpp":
        U, a = net.units()
        out = benchmark(_core.branches_loss_gradient, X, y, U, a, I, 1.0, "hinge").loss
    else:
        out = benchmark(ref.loss_gradient, X, y, net.U, net.a, 1.0)[0]
    assert 0.0 < out < 10.0
