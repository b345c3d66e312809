"""kernel_regression: the infinite-width prediction by Cholesky, CG and Nystrom-PCG (issue 17;
docs/gram.md#kernel-regression)."""

from __future__ import annotations

import numpy as np
import pytest

from convexify import ConvergenceWarning, InputError, InputTypeError
from convexify.gram import KernelRegression, TileKernel, kernel_regression, ntk

N, NT, D, RIDGE = 240, 40, 8, 1e-3


@pytest.fixture(scope="module")
def data():
    rng = np.random.default_rng(5)
    X, Xt = rng.standard_normal((N, D)), rng.standard_normal((NT, D))
    y = np.sin(2 * X[:, 0]) + X[:, 1] * X[:, 2]
    return X, y, Xt


def _reference(X, y, Xt, depth, kernel="gram", ridge=RIDGE):
    K = TileKernel(X, depth, normalize=True, kernel=kernel).block(0, len(X), 0, len(X))
    Kt = TileKernel(Xt, depth, normalize=True, kernel=kernel, X2=X).block(0, len(Xt), 0, len(X))
    return Kt @ np.linalg.solve(K + ridge * np.eye(len(X)), y)


def _rel(a, b):
    return float(np.linalg.norm(a - b) / np.linalg.norm(b))


@pytest.mark.parametrize("solver", ["cholesky", "cg", "nystrom-cg"])
def test_solvers_match_numpy(data, solver):
    X, y, Xt = data
    ref = _reference(X, y, Xt, 3)
    r = kernel_regression(
        X, y, Xt, 3, normalize=True, ridge=RIDGE, solver=solver, tol=1e-12, chunks=64, rank=60
    )
    assert isinstance(r, KernelRegression) and r.solver == solver
    assert r.prediction.shape == (NT,) and r.alpha.shape == (N,)
    assert _rel(r.prediction, ref) < 1e-8
    assert r.residual < 1e-10
    if solver == "cholesky":
        assert r.iterations == 0 and r.passes == 1
    else:
        assert r.iterations > 0 and r.passes >= r.iterations


def test_nystrom_preconditioner_cuts_iterations(data):
    X, y, Xt = data
    kw = dict(normalize=True, ridge=1e-4, tol=1e-10, chunks=64)
    plain = kernel_regression(X, y, Xt, 3, solver="cg", **kw)
    pre = kernel_regression(X, y, Xt, 3, solver="nystrom-cg", rank=120, **kw)
    assert pre.iterations < plain.iterations / 2
    assert _rel(pre.prediction, plain.prediction) < 1e-7


def test_several_targets_and_client(data, dask_client):
    X, y, Xt = data
    Y = np.c_[y, np.cos(X[:, 3])]
    r = kernel_regression(X, Y, Xt, 3, normalize=True, ridge=RIDGE, solver="cg", tol=1e-12, chunks=64)
    assert r.prediction.shape == (NT, 2)
    for k in range(2):
        assert _rel(r.prediction[:, k], _reference(X, Y[:, k], Xt, 3)) < 1e-8
    # The operator sums tiles in a fixed order: a client gives the same iterates bit for bit.
    kw = dict(normalize=True, ridge=RIDGE, solver="cg", tol=1e-12, chunks=100, maxiter=8)
    with pytest.warns(ConvergenceWarning):
        t = kernel_regression(X, y, Xt, 3, **kw)
    with pytest.warns(ConvergenceWarning):
        c = kernel_regression(X, y, Xt, 3, client=dask_client, **kw)
    assert np.array_equal(c.prediction, t.prediction) and c.iterations == t.iterations == 8


def test_interpolates_without_ridge(data):
    X, y, _ = data
    r = kernel_regression(X, y, X, 3, normalize=True, ridge=0.0)
    assert np.max(np.abs(r.prediction - y)) < 1e-8


@pytest.mark.parametrize("kernel", ["nngp", "ntk"])
def test_nngp_and_ntk(data, kernel):
    X, y, Xt = data
    res = ntk(np.vstack([X, Xt]), 2, normalize=True)
    M = getattr(res, kernel)
    K, Kt = M[:N, :N], M[N:, :N]
    ref = Kt @ np.linalg.solve(K + RIDGE * np.eye(N), y)
    for solver in ("cholesky", "nystrom-cg"):
        r = kernel_regression(
            X,
            y,
            Xt,
            2,
            normalize=True,
            kernel=kernel,
            ridge=RIDGE,
            solver=solver,
            tol=1e-12,
            chunks=64,
            rank=60,
        )
        assert _rel(r.prediction, ref) < 1e-8


def test_singular_kernel(data):
    X, y, Xt = data
    Xd = X.copy()
    Xd[3] = Xd[4]
    with pytest.raises(InputError, match="ridge"):
        kernel_regression(Xd, y, Xt, 3, normalize=True, ridge=0.0)
    with pytest.warns(ConvergenceWarning, match="ridge=0"):
        kernel_regression(Xd, y, Xt, 3, normalize=True, ridge=0.0, solver="cg", maxiter=20, chunks=64)


def test_bad_inputs(data):
    X, y, Xt = data
    with pytest.raises(InputError, match="ridge"):
        kernel_regression(X, y, Xt, 3, normalize=True, ridge=-1.0)
    with pytest.raises(InputError, match="solver"):
        kernel_regression(X, y, Xt, 3, normalize=True, solver="lu")
    with pytest.raises(InputError, match="y_train"):
        kernel_regression(X, y[:-1], Xt, 3, normalize=True)
    with pytest.raises(InputError, match="X_test"):
        kernel_regression(X, y, Xt[:, :-1], 3, normalize=True)
    with pytest.raises(InputError, match="rank"):
        kernel_regression(X, y, Xt, 3, normalize=True, solver="nystrom-cg", rank=N + 1)
    with pytest.raises(InputTypeError, match="rank"):
        kernel_regression(X, y, Xt, 3, normalize=True, solver="nystrom-cg", rank=1.5)
    with pytest.raises(InputError, match="tol"):
        kernel_regression(X, y, Xt, 3, normalize=True, tol=0.0)
    with pytest.raises(InputError, match="kernel"):
        kernel_regression(X, y, Xt, 3, normalize=True, kernel="rbf")
    with pytest.raises(InputError, match="X"):
        kernel_regression(X, y, Xt, 3)  # rows are not unit norm
