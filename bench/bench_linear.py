"""Lens 1 benchmarks: convexify.linear.solve (C++ Douglas-Rachford, reduced form) against the numpy reference
DR, the numpy reduced-form DR a user would write ("numpy-reduced", reference.linear.solve_dr_reduced), the
closed form, the C++ diagonal form and cvxpy (SCS) on the reduced dual.

Every impl solves the same problem end to end from (X, Y): range basis of X, the dual, weight recovery and
the certificates.  Data: X ~ N(0, 1), Y = X B / sqrt(d0) + noise; gamma = the median singular value of Ytilde
(between sigma_min and s_1, so DR runs its linear phase, 17 iterations at t = 1).  The numpy reference uses
the survey's full form (n x dH iterates) up to n = 20000 and the reduced form (r x dH) at n = 100000, where
the full form needs three 100000 x 300 SVDs per iteration.  cvxpy runs only where it finishes in
reasonable time.
"""

from __future__ import annotations

import numpy as np
import pytest
from conftest import SMOKE, pick

from convexify import linear
from convexify.reference import linear as ref

SIZES = pick([(1000, 50, 20), (20000, 200, 100), (100000, 500, 300)], [(60, 6, 3), (200, 10, 5)])
HEAVY = 100000  # n from which every impl runs a single round
CVXPY_MAX_N = 20000
NUMPY_FULL_MAX_N = 20000

_cache: dict = {}


def problem(size):
    if size not in _cache:
        _cache.clear()  # keep at most one large problem in memory
        n, d0, dH = size
        rng = np.random.default_rng(20190601)
        X = rng.standard_normal((n, d0))
        Y = X @ rng.standard_normal((d0, dH)) / np.sqrt(d0) + rng.standard_normal((n, dH))
        s = linear.solve(X, Y, 2, 0.0, method="closed").s
        _cache[size] = (X, Y, float(np.median(s)))
    return _cache[size]


def run(benchmark, size, impl, fn):
    n, d0, dH = size
    benchmark.group = f"linear n={n} d0={d0} dH={dH}"
    benchmark.extra_info["impl"] = impl
    if SMOKE:
        return benchmark.pedantic(fn, rounds=1, iterations=1, warmup_rounds=0)
    # the machine is shared: many rounds where they are cheap, a single one at n = 100000
    rounds = 1 if n >= HEAVY else (3 if n >= 20000 else 25)
    return benchmark.pedantic(fn, rounds=rounds, iterations=1, warmup_rounds=1 if rounds > 1 else 0)


@pytest.mark.parametrize("size", SIZES, ids=lambda s: "x".join(map(str, s)))
def test_cpp_dr(benchmark, size):
    X, Y, g = problem(size)
    res = run(benchmark, size, "cpp", lambda: linear.solve(X, Y, 2, g))
    assert res.converged
    benchmark.extra_info["iterations"] = res.iterations
    benchmark.extra_info["relative_gap"] = res.gap / res.optimal_value


@pytest.mark.parametrize("size", SIZES, ids=lambda s: "x".join(map(str, s)))
def test_cpp_dr_diagonal(benchmark, size):
    X, Y, g = problem(size)
    res = run(benchmark, size, "cpp-diagonal", lambda: linear.solve(X, Y, 2, g, form="diagonal"))
    assert res.converged


@pytest.mark.parametrize("size", SIZES, ids=lambda s: "x".join(map(str, s)))
def test_cpp_closed(benchmark, size):
    X, Y, g = problem(size)
    res = run(benchmark, size, "cpp-closed", lambda: linear.solve(X, Y, 2, g, method="closed"))
    assert res.converged


@pytest.mark.parametrize("size", SIZES, ids=lambda s: "x".join(map(str, s)))
def test_numpy_dr(benchmark, size):
    X, Y, g = problem(size)
    form = "full" if size[0] <= NUMPY_FULL_MAX_N else "reduced"
    benchmark.extra_info["form"] = form
    res = run(benchmark, size, "numpy", lambda: ref.solve(X, Y, 2, g, form=form))
    assert res["converged"]
    benchmark.extra_info["relative_gap"] = (res["primal_value"] - res["dual_value"]) / res["optimal_value"]


@pytest.mark.parametrize("size", SIZES, ids=lambda s: "x".join(map(str, s)))
def test_numpy_reduced_dr(benchmark, size):
    # the baseline a user would write: reduced-form DR with numpy SVDs, same stopping rule, end to end
    X, Y, g = problem(size)
    res = run(benchmark, size, "numpy-reduced", lambda: ref.solve_dr_reduced(X, Y, 2, g))
    assert res["converged"]
    benchmark.extra_info["iterations"] = res["iterations"]
    benchmark.extra_info["relative_gap"] = res["gap"]


@pytest.mark.parametrize("size", SIZES, ids=lambda s: "x".join(map(str, s)))
def test_cvxpy_reduced_dual(benchmark, size):
    pytest.importorskip("cvxpy")
    if size[0] > CVXPY_MAX_N:
        pytest.skip("cvxpy (SCS) on the 500 x 300 reduced dual does not finish in reasonable time")
    from peers import linear_cvxpy as peer

    X, Y, g = problem(size)
    k = min(size)
    res = run(benchmark, size, "cvxpy-scs", lambda: peer.reduced_dual(X, Y, g, k, solver="SCS"))
    assert res["status"] in ("optimal", "optimal_inaccurate")
    pstar = linear.solve(X, Y, 2, g, method="closed").optimal_value
    benchmark.extra_info["relative_error"] = (res["value"] - pstar) / pstar
