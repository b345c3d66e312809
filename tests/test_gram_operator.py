"""GramOperator: K @ V tile by tile, never storing K (issue 17; docs/gram.md#operator)."""

from __future__ import annotations

import numpy as np
import pytest
from scipy.sparse.linalg import LinearOperator, aslinearoperator

from convexify import InputError, InputTypeError
from convexify.gram import GramOperator, TileKernel, gram_matrix, ntk

N, D, B = 230, 6, 64


@pytest.fixture(scope="module")
def X():
    return np.random.default_rng(23).standard_normal((N, D))


@pytest.fixture(scope="module")
def K(X):
    return gram_matrix(X, 3, normalize=True)


def _rel(a, b):
    return float(np.max(np.abs(a - b)) / np.max(np.abs(b)))


def test_matvec_matmat_match_dense(X, K):
    op = GramOperator(X, 3, normalize=True, chunks=B)
    assert isinstance(op, LinearOperator) and op.shape == (N, N) and op.dtype == np.float64
    rng = np.random.default_rng(0)
    v, V = rng.standard_normal(N), rng.standard_normal((N, 5))
    assert _rel(op @ v, K @ v) < 1e-13
    assert _rel(op.matvec(v), K @ v) < 1e-13
    assert _rel(op @ V, K @ V) < 1e-13
    assert _rel(op.rmatvec(v), K @ v) < 1e-13
    assert _rel(op.H @ V, K @ V) < 1e-13
    assert op.passes == 5  # one pass per product, whatever V's width


def test_deterministic_across_schedulers(X, dask_client):
    V = np.random.default_rng(1).standard_normal((N, 3))
    results = [
        GramOperator(X, 3, normalize=True, chunks=B, client=c) @ V for c in (None, "serial", dask_client)
    ]
    assert np.array_equal(results[0], results[1]) and np.array_equal(results[0], results[2])
    again = GramOperator(X, 3, normalize=True, chunks=B) @ V
    assert np.array_equal(again, results[0])


def test_one_tile_and_many(X, K):
    v = np.random.default_rng(2).standard_normal(N)
    for chunks in (1000, 100, 7):
        assert _rel(GramOperator(X, 3, normalize=True, chunks=chunks) @ v, K @ v) < 1e-13


def test_diag_columns_and_tile_kernel(X, K):
    op = GramOperator(X, 3, normalize=True, chunks=B)
    assert isinstance(op.tile_kernel, TileKernel)
    assert np.array_equal(op.diag(), np.diag(K))
    idx = [0, 5, 229]
    assert np.array_equal(op.columns(idx), op.tile_kernel.block(0, N, 0, N)[:, idx])
    assert op.passes == 0


def test_ntk_operator(X):
    op = GramOperator(X, 2, normalize=True, chunks=B, kernel="ntk")
    v = np.random.default_rng(3).standard_normal(N)
    assert _rel(op @ v, ntk(X, 2, normalize=True).ntk @ v) < 1e-13


def test_works_with_scipy_solvers(X, K):
    from scipy.sparse.linalg import eigsh

    op = GramOperator(X, 3, normalize=True, chunks=B)
    top = eigsh(op, k=1, which="LA", v0=np.ones(N))[0][0]
    assert abs(top - np.linalg.eigvalsh(K)[-1]) < 1e-10 * top
    assert _rel((aslinearoperator(op) * 2.0) @ np.ones(N), 2.0 * K @ np.ones(N)) < 1e-13


def test_bad_inputs(X):
    with pytest.raises(InputError, match="chunks"):
        GramOperator(X, 3, normalize=True, chunks=0)
    with pytest.raises(InputTypeError, match="chunks"):
        GramOperator(X, 3, normalize=True, chunks=1.5)
    with pytest.raises(InputError, match="client"):
        GramOperator(X, 3, normalize=True, client="threads")
    with pytest.raises(InputError, match="X"):
        GramOperator(TileKernel(X, 3, normalize=True, X2=X[:10]), 3)
    with pytest.raises(InputError, match="depth"):
        GramOperator(X, 0, normalize=True)
    op = GramOperator(X, 3, normalize=True, chunks=B)
    with pytest.raises(ValueError):
        op @ np.ones(N + 1)
    with pytest.raises(InputError, match="V"):
        op @ np.full(N, np.nan)
