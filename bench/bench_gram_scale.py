"""Lens 3 at scale (issue 17; docs/gram.md#tiled .. docs/gram.md#beyond-one-machine): ReLU, depth 3, d = 100,
float64, one core thread.

Groups:
  "tiled n=<n>": tiled_matrix (chunks=4096, a lazy Dask array computed on the synchronous scheduler, and a
      zarr file written on local threads) against the dense gram_matrix ("cpp"); extra_info: tiles per second.
  "operator n=<n>": one GramOperator matvec; extra_info: the traced peak of Python/numpy allocations
      (tracemalloc; the core's own buffers are not traced) and the resident-set growth (getrusage).
  "regression n=<n>": kernel_regression by dense Cholesky, CG and Nystrom-CG; extra_info: test error,
      iterations, passes.
  "cross n=<n>": the NTK cross kernel K(X_test, X_train) against neural-tangents (skipped where it is not
      importable).
  "workers n=<n>": tiled_matrix to zarr on a LocalCluster of 1 and of 2 worker processes; extra_info: the CPU
      seconds of each worker (the work split) and their total.

The smoke run (CONVEXIFY_BENCH_SMOKE=1) uses tiny sizes.
"""

from __future__ import annotations

import resource
import time
import tracemalloc

import numpy as np
import pytest
from conftest import SMOKE, pick

from convexify import gram
from convexify.gram._tiled import tile_grid, tiled_matrix

D, DEPTH = 100, 3
CHUNKS = pick(4096, 48)
TILED_N = pick(16000, 150)
OPERATOR_N = pick([50000, 100000], [200])
REGRESSION_N = pick(20000, 160)
REGRESSION_TEST = pick(2000, 40)
# One CG iteration is one pass over K (~10 s at n = 20,000 on one core): the iterative solvers are capped and
# report the residual they reach.
REGRESSION_MAXITER = pick(20, 50)
CROSS_N = pick((2000, 20000), (30, 120))
WORKERS_N = pick(16000, 150)


def _data(n: int, seed: int = 0) -> np.ndarray:
    X = np.random.default_rng(seed).standard_normal((n, D))
    return X / np.linalg.norm(X, axis=1, keepdims=True)


def _info(benchmark, impl: str, n: int) -> None:
    benchmark.extra_info["impl"] = impl
    benchmark.extra_info["n"] = n


def _median(benchmark) -> float:
    return benchmark.stats.stats.median if benchmark.stats is not None else float("nan")


def _rss_mib() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0  # kilobytes on Linux


@pytest.mark.parametrize("impl", ["cpp", "tiled-dask", "tiled-zarr"])
def test_tiled_vs_dense(benchmark, impl, tmp_path):
    n = TILED_N
    X = _data(n)
    benchmark.group = f"tiled n={n}"
    _info(benchmark, impl, n)
    tk = gram.TileKernel(X, DEPTH)
    if impl == "cpp":
        K = benchmark.pedantic(gram.gram_matrix, args=(X, DEPTH), rounds=1, iterations=1)
    elif impl == "tiled-dask":
        K = benchmark.pedantic(lambda: tiled_matrix(tk, CHUNKS).compute(scheduler="sync"), rounds=1)
    else:
        paths = iter(range(10**6))

        def write():
            return tiled_matrix(tk, CHUNKS, out=tmp_path / f"K{next(paths)}.zarr", progress=False)

        K = benchmark.pedantic(write, rounds=1, iterations=1)
    assert K.shape == (n, n)
    tiles = len(tile_grid(tk, CHUNKS))
    benchmark.extra_info["tiles"] = tiles
    benchmark.extra_info["tiles_per_s"] = tiles / _median(benchmark)


@pytest.mark.parametrize("n", OPERATOR_N)
def test_operator_matvec(benchmark, n):
    X = _data(n)
    benchmark.group = f"operator n={n}"
    _info(benchmark, "cpp", n)
    op = gram.GramOperator(X, DEPTH, chunks=CHUNKS)
    v = np.random.default_rng(1).standard_normal(n)
    rss0 = _rss_mib()
    tracemalloc.start()
    y = benchmark.pedantic(op.matvec, args=(v,), rounds=1, iterations=1)
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    assert y.shape == (n,) and np.isfinite(y).all()
    benchmark.extra_info["traced_peak_mib"] = peak / 2**20
    benchmark.extra_info["rss_growth_mib"] = _rss_mib() - rss0
    benchmark.extra_info["dense_K_mib"] = 8.0 * n * n / 2**20


@pytest.mark.parametrize("solver", ["cholesky", "cg", "nystrom-cg"])
def test_regression(benchmark, solver):
    n, nt = REGRESSION_N, REGRESSION_TEST
    X, Xt = _data(n, 1), _data(nt, 2)
    w = np.random.default_rng(3).standard_normal(D)

    def target(Z):
        return np.sin(3.0 * Z @ w / np.linalg.norm(w))

    y, yt = target(X), target(Xt)
    benchmark.group = f"regression n={n}"
    _info(benchmark, solver, n)
    r = benchmark.pedantic(
        gram.kernel_regression,
        args=(X, y, Xt, DEPTH),
        kwargs=dict(
            ridge=1e-3,
            solver=solver,
            tol=1e-8,
            chunks=CHUNKS,
            rank=min(n, pick(1000, 60)),
            maxiter=None if solver == "cholesky" else REGRESSION_MAXITER,
        ),
        rounds=1,
        iterations=1,
    )
    benchmark.extra_info["test_rmse"] = float(np.sqrt(np.mean((r.prediction - yt) ** 2)))
    benchmark.extra_info["iterations"] = r.iterations
    benchmark.extra_info["passes"] = r.passes
    benchmark.extra_info["residual"] = r.residual


_CROSS = {}


@pytest.mark.parametrize("impl", ["cpp", "neural-tangents"])
def test_cross_kernel(benchmark, impl):
    """The NTK cross kernel Theta^(H)(X_test, X_train); neural-tangents in float64 with the mapping of
    docs/gram.md#ntk (inputs scaled by sqrt(d), first layer W_std = 1, the others sqrt(c_sigma) = sqrt(2)),
    run with XLA_FLAGS="--xla_cpu_multi_thread_eigen=false intra_op_parallelism_threads=1" for one thread.
    extra_info["max_abs_diff"]: the largest |difference| between the two (on the neural-tangents row)."""
    nt_, n = CROSS_N
    Xt, X = _data(nt_, 4), _data(n, 5)
    benchmark.group = f"cross n={nt_}x{n}"
    _info(benchmark, impl, n)
    if impl == "cpp":
        K = benchmark.pedantic(lambda: gram.ntk(Xt, DEPTH, X2=X).ntk, rounds=1, iterations=1)
        _CROSS["cpp"] = K
    else:
        nt = pytest.importorskip("neural_tangents")
        import jax  # noqa: PLC0415

        jax.config.update("jax_enable_x64", True)
        stax = nt.stax
        layers = [stax.Dense(512, W_std=1.0, parameterization="ntk"), stax.Relu()]
        for _ in range(DEPTH - 1):
            layers += [stax.Dense(512, W_std=np.sqrt(2.0), parameterization="ntk"), stax.Relu()]
        _, _, kernel_fn = stax.serial(*layers, stax.Dense(1, W_std=np.sqrt(2.0), parameterization="ntk"))
        s = np.sqrt(D)

        def run():
            return np.asarray(kernel_fn(s * Xt, s * X, "ntk"), dtype=np.float64)

        K = benchmark.pedantic(run, rounds=1, iterations=1)
        if "cpp" in _CROSS:
            benchmark.extra_info["max_abs_diff"] = float(np.max(np.abs(K - _CROSS["cpp"])))
    assert K.shape == (nt_, n)
    benchmark.extra_info["pairs"] = nt_ * n


@pytest.mark.parametrize("workers", [1, 2])
def test_local_workers(benchmark, workers, tmp_path):
    distributed = pytest.importorskip("distributed")
    n = WORKERS_N
    tk = gram.TileKernel(_data(n), DEPTH)
    benchmark.group = f"workers n={n}"
    _info(benchmark, f"{workers}-workers", n)
    with (
        distributed.LocalCluster(
            n_workers=workers, threads_per_worker=1, processes=True, dashboard_address=None, host="127.0.0.1"
        ) as cluster,
        distributed.Client(cluster, set_as_default=False) as client,
    ):
        client.run(lambda: __import__("convexify").set_num_threads(1))
        before = client.run(time.process_time)
        Z = benchmark.pedantic(
            tiled_matrix, args=(tk, CHUNKS, tmp_path / "K.zarr", client, False), rounds=1, iterations=1
        )
        after = client.run(time.process_time)
    cpu = {w: after[w] - before[w] for w in after}
    assert Z.shape == (n, n)
    benchmark.extra_info["worker_cpu_s"] = sorted(cpu.values())
    benchmark.extra_info["total_cpu_s"] = sum(cpu.values())
    benchmark.extra_info["tiles"] = len(tile_grid(tk, CHUNKS))
    if not SMOKE:
        benchmark.extra_info["tiles_per_s"] = len(tile_grid(tk, CHUNKS)) / _median(benchmark)
