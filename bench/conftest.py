"""Benchmark set-up (pytest-benchmark).

Run:   python -m pytest bench --benchmark-only --benchmark-json bench.json
       python bench/ratios.py bench.json
Smoke: CONVEXIFY_BENCH_SMOKE=1 python -m pytest bench --benchmark-disable   (tiny sizes, used by CI)
Levels: python bench/ratios.py --levels -- bench/bench_relu.py --benchmark-only   (a column per
       instruction-set level of the core this CPU runs, each forced with CONVEXIFY_ISA in its own process)

Every benchmark pins one thread for the core, numpy's BLAS and the peers, so ratios are comparable; each test
records ``benchmark.extra_info["impl"]`` ("cpp", "numpy", a peer's name) and groups by problem size, so that
``bench/ratios.py`` reports time(impl) / time(cpp) within each group of the same run.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

import pytest

import convexify

# The test peers (cvxpy formulations) live with the tests, outside the wheel.
sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))

SMOKE = os.environ.get("CONVEXIFY_BENCH_SMOKE") == "1"


def pick(full, smoke):
    """Full benchmark sizes normally, tiny ones in CI's smoke run."""
    return smoke if SMOKE else full


def pytest_benchmark_update_machine_info(config, machine_info):
    """The core's instruction-set level (and why), its flags and the CPU's name, in every JSON file."""
    info = convexify.build_info()
    machine_info["convexify_isa"] = info["simd_level"]
    machine_info["convexify_isa_reason"] = info["simd_reason"]
    machine_info["convexify_march"] = info["march"]
    machine_info["convexify_eigen_simd"] = info["eigen_simd"]
    machine_info["convexify_cpu"] = info["cpu"]
    machine_info["convexify_cpu_levels"] = info["simd_cpu"]


@pytest.fixture(autouse=True, scope="session")
def _one_thread():
    convexify.set_num_threads(1)
    try:
        from threadpoolctl import threadpool_limits
    except ImportError:  # pragma: no cover
        yield
        return
    with threadpool_limits(limits=1):
        yield
