"""lambda_min at scale: dense, LOBPCG on the operator, a Cholesky certificate (issue 17;
docs/gram.md#lambda-min)."""

from __future__ import annotations

import math
import warnings

import numpy as np
import pytest

from convexify import ConvergenceWarning, InputError, InputTypeError
from convexify.gram import LambdaMin, gram_matrix, lambda_min

N, D = 300, 10


@pytest.fixture(scope="module")
def X():
    return np.random.default_rng(0).standard_normal((N, D))


@pytest.fixture(scope="module")
def K(X):
    return gram_matrix(X, 3, normalize=True)


@pytest.fixture(scope="module")
def true_min(K):
    return float(np.linalg.eigvalsh(K)[0])


def test_dense(X, K, true_min):
    r = lambda_min(X, 3, normalize=True)
    assert isinstance(r, LambdaMin) and r.method == "dense" and not r.certified
    assert abs(r.estimate - true_min) < 1e-12
    assert r.lower <= true_min <= r.upper
    assert r.passes == 1 and r.iterations == 0 and r.residual < 1e-12
    given = lambda_min(K)
    assert given.estimate == r.estimate and given.passes == 0
    assert "LambdaMin(" in repr(r)


def test_lanczos_on_the_operator(X, K, true_min):
    r = lambda_min(X, 3, normalize=True, method="lanczos", chunks=64, tol=1e-8, block_size=8, seed=0)
    assert r.method == "lanczos" and not r.certified and math.isnan(r.lower)
    assert abs(r.estimate - true_min) <= 1e-8 * np.linalg.norm(K, 2)
    assert r.upper >= true_min - 1e-14  # a Rayleigh quotient bounds lambda_min from above
    assert r.iterations > 0 and r.passes >= r.iterations
    # Krylov-Bogoliubov: some eigenvalue lies within the residual of the estimate.
    w = np.linalg.eigvalsh(K)
    assert np.min(np.abs(w - r.estimate)) <= r.residual + 1e-14


def test_lanczos_is_deterministic_and_threads_equal_client(X, dask_client):
    kw = dict(normalize=True, method="lanczos", chunks=100, maxiter=30, seed=3)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        a = lambda_min(X, 3, **kw)
        b = lambda_min(X, 3, client=dask_client, **kw)
        c = lambda_min(X, 3, client="serial", **kw)
    assert a.estimate == b.estimate == c.estimate and a.passes == b.passes


def test_lanczos_warns_when_short_of_iterations(X):
    with pytest.warns(ConvergenceWarning, match="maxiter"):
        lambda_min(X, 3, normalize=True, method="lanczos", chunks=100, maxiter=5)


def test_cholesky_certifies(X, K, true_min):
    r = lambda_min(X, 3, normalize=True, method="cholesky")
    assert r.method == "cholesky" and r.certified
    assert r.lower <= true_min <= r.upper
    assert true_min - r.lower < 1e-6 * true_min  # the bisection tightens the threshold
    assert r.iterations >= 2


def test_duplicated_row_is_singular(X):
    Xd = X.copy()
    Xd[5] = Xd[7]
    d = lambda_min(Xd, 3, normalize=True)
    assert abs(d.estimate) < 1e-10
    c = lambda_min(Xd, 3, normalize=True, method="cholesky")
    assert not c.certified or c.lower <= 0.0  # no positive threshold is ever certified
    assert abs(c.estimate) < 1e-10


def test_nngp_and_ntk(X):
    from convexify.gram import ntk

    r = ntk(X, 2, normalize=True)
    assert abs(lambda_min(X, 2, normalize=True, kernel="ntk").estimate - np.linalg.eigvalsh(r.ntk)[0]) < 1e-12
    assert (
        abs(lambda_min(X, 2, normalize=True, kernel="nngp").estimate - np.linalg.eigvalsh(r.nngp)[0]) < 1e-12
    )


def test_bad_inputs(X, K):
    with pytest.raises(InputError, match="method"):
        lambda_min(K, method="arnoldi")
    with pytest.raises(InputError, match="tol"):
        lambda_min(K, tol=0.0)
    with pytest.raises(InputError, match="block_size"):
        lambda_min(K, method="lanczos", block_size=100)
    with pytest.raises(InputTypeError, match="block_size"):
        lambda_min(K, block_size=2.0)
    with pytest.raises(InputError, match="X_or_K"):
        lambda_min(X)  # not square and no depth
    A = K.copy()
    A[0, 1] += 1.0
    with pytest.raises(InputError, match="symmetric"):
        lambda_min(A)
    with pytest.raises(InputError, match="maxiter"):
        lambda_min(K, method="lanczos", maxiter=0)


def test_tiled_K_stays_out_of_memory(X, K, tmp_path):
    pytest.importorskip("zarr")
    Xs = X[:120]  # 120 = 3 * 32 + 24: a ragged last tile, padded for dask's Cholesky
    true_min = float(np.linalg.eigvalsh(gram_matrix(Xs, 3, normalize=True))[0])
    on_disk = gram_matrix(Xs, 3, normalize=True, chunks=32, out=tmp_path / "K.zarr", progress=False)
    r = lambda_min(on_disk, method="cholesky", tol=1e-9, block_size=12)
    assert r.certified and r.method == "cholesky"
    assert r.lower <= true_min <= r.upper
    assert true_min - r.lower < 1e-6 * true_min
    assert abs(r.estimate - true_min) < 1e-12
    assert r.passes > r.iterations  # the check, the LOBPCG products and one pass per factorisation
    lazy = gram_matrix(X, 3, normalize=True, chunks=64)
    assert lambda_min(lazy).estimate == lambda_min(K).estimate  # "dense" reads it into memory


def test_blocked_certificate_answers_both_ways(K, true_min):
    da = pytest.importorskip("dask.array")
    from convexify.gram._blocked import BlockedKernel

    op = BlockedKernel(da.from_array(K, chunks=70))  # ragged: 300 = 4 * 70 + 20
    assert op.certify(true_min * (1 - 1e-6)) == (True, True)
    assert op.certify(true_min * (1 + 1e-6)) == (False, True)
    assert op.certify(-1e300) == (True, False) and op.certify(1e300) == (False, False)
    Kd = K.copy()
    Kd[[5, 7]] = Kd[[7, 5]]  # rows swapped: not symmetric
    with pytest.raises(InputError, match="X_or_K.*symmetric"):
        lambda_min(da.from_array(Kd, chunks=64), method="cholesky")
    Kn = K.copy()
    Kn[3, 3] = np.nan
    with pytest.raises(InputError, match="NaN"):
        lambda_min(da.from_array(Kn, chunks=64), method="lanczos")
    with pytest.raises(InputError, match="square"):
        lambda_min(da.from_array(K[:, :50], chunks=25), method="cholesky")
