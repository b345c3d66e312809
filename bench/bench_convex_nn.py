"""Lens 5 benchmarks: the gated and ReLU convex programs on scikit-learn's breast_cancer data (455 rows,
d = 31 with the bias column, 100 Gaussian gates, lam = 1e-3, squared loss on labels +-1), one thread.

Gated: convexify (FISTA + Newton-CG finish, stopped at a certified relative gap of 1e-6), the numpy FISTA a
user would write (reference.convex_nn.fista_gated, same stopping rule), cvxpy + Clarabel, and pyscnn's R-FISTA
at tol 1e-10 (skipped when pyscnn is absent).  ReLU: convexify (ADMM, 10000 iterations at most, then the
active-set finish) and cvxpy + Clarabel.  Each records its objective and the relative distance to Clarabel's
in extra_info.
"""

from __future__ import annotations

import numpy as np
import pytest
from conftest import pick

from convexify.convex_nn._patterns import masks_from_gates
from convexify.convex_nn._solve import solve_masks
from convexify.reference import convex_nn as ref

LAM = 1e-3
_cache: dict = {}


def problem():
    if "p" not in _cache:
        from sklearn.datasets import load_breast_cancer
        from sklearn.preprocessing import StandardScaler

        X, y = load_breast_cancer(return_X_y=True)
        n, gates = pick((455, 100), (60, 10))
        X = StandardScaler().fit_transform(X)[:n]
        X = np.ascontiguousarray(np.hstack([X, np.ones((n, 1))]))
        y = np.where(y[:n] > 0, 1.0, -1.0)
        M, G = masks_from_gates(X, np.random.default_rng(0).standard_normal((gates, X.shape[1])))
        _cache["p"] = (X, y, M, G)
    return _cache["p"]


def _clarabel(kind):
    key = f"clarabel-{kind}"
    if key not in _cache:
        X, y, M, _ = problem()
        _cache[key] = ref.gated(X, y, M, LAM)[0] if kind == "gated" else ref.relu(X, y, M, LAM)
    return _cache[key]


def _pyscnn_gated(X, y, G):
    from scnn.metrics import Metrics
    from scnn.models import ConvexGatedReLU
    from scnn.optimize import optimize_model
    from scnn.regularizers import NeuronGL1
    from scnn.solvers import RFISTA

    model = ConvexGatedReLU(np.array(G.T))  # a copy: the model may change its gates
    model, _ = optimize_model(
        model,
        RFISTA(model, max_iters=100000, tol=1e-10),
        Metrics(),
        X,
        y,
        regularizer=NeuronGL1(LAM),
        return_convex=True,
        unitize_data=False,
        dtype="float64",
    )
    U = np.asarray(model.parameters[0])[0]  # (p, d) of the convex model; its objective on our convention
    yhat = np.asarray(model(X)).ravel()
    return 0.5 * np.mean((yhat - y) ** 2) + LAM * np.linalg.norm(U, axis=1).sum()


@pytest.mark.parametrize("impl", ["cpp", "numpy", "cvxpy-clarabel", "pyscnn"])
def test_gated(benchmark, impl):
    X, y, M, G = problem()
    benchmark.group = f"convex_nn gated n={X.shape[0]} d={X.shape[1]} P={M.shape[1]}"
    benchmark.extra_info["impl"] = impl
    if impl == "cpp":
        r = benchmark.pedantic(
            solve_masks, args=(X, y, M, LAM, "squared", 1e-6, 100000), rounds=pick(3, 1), iterations=1
        )
        obj = r.certificate.primal
        benchmark.extra_info["rel_gap"] = r.certificate.gap / r.certificate.primal
    elif impl == "numpy":
        _, obj, dual, _ = benchmark.pedantic(ref.fista_gated, args=(X, y, M, LAM), rounds=1, iterations=1)
        benchmark.extra_info["rel_gap"] = (obj - dual) / obj
    elif impl == "cvxpy-clarabel":
        obj = benchmark.pedantic(lambda: ref.gated(X, y, M, LAM)[0], rounds=1, iterations=1)
    else:
        pytest.importorskip("scnn")
        obj = benchmark.pedantic(_pyscnn_gated, args=(X, y, G), rounds=1, iterations=1)
    benchmark.extra_info["objective"] = obj
    benchmark.extra_info["rel_to_clarabel"] = (obj - _clarabel("gated")) / _clarabel("gated")


@pytest.mark.parametrize("impl", ["cpp", "cvxpy-clarabel"])
def test_relu(benchmark, impl):
    X, y, M, G = problem()
    benchmark.group = f"convex_nn relu n={X.shape[0]} d={X.shape[1]} P={M.shape[1]}"
    benchmark.extra_info["impl"] = impl
    if impl == "cpp":
        import warnings

        from convexify import ConvergenceWarning

        with warnings.catch_warnings():
            warnings.simplefilter("ignore", ConvergenceWarning)
            r = benchmark.pedantic(
                solve_masks,
                args=(X, y, M, LAM, "squared", 1e-6, pick(10000, 500)),
                kwargs={"formulation": "relu"},
                rounds=1,
                iterations=1,
            )
        obj = r.certificate.primal
        benchmark.extra_info["rel_gap"] = r.certificate.gap / r.certificate.primal
        benchmark.extra_info["cone_violation"] = r.cone_violation
    else:
        obj = benchmark.pedantic(lambda: ref.relu(X, y, M, LAM), rounds=1, iterations=1)
    benchmark.extra_info["objective"] = obj
    benchmark.extra_info["rel_to_clarabel"] = (obj - _clarabel("relu")) / _clarabel("relu")
