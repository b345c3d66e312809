"""Concurrent calls from several Python threads give the same bits as the same calls made one after another.

The core keeps no mutable global state on the hot paths (thread counts and the SIMD level are process-wide
settings, read-only during a call), releases the GIL in its long loops, and its results do not depend on the
thread that runs them.  Objects that a call mutates (a ``branches.MultiBranchMLP`` being fitted) are not safe
to share between threads; each thread here has its own.
"""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

import numpy as np
import pytest

from convexify import branches, gram, linear, relu

N_THREADS = 4


def _linear(seed):
    rng = np.random.default_rng(seed)
    X, Y = rng.standard_normal((60, 8)), rng.standard_normal((60, 5))
    res = linear.solve(X, Y, depth=3, gamma=0.7, widths=[4, 4], tol=1e-9, max_iter=3000)
    return [res.primal_value, res.dual_value, *res.weights, res.Lambda]


def _relu_gd(seed):
    p = relu.planted(300, 12, noise=0.0, mean=1.0, seed=seed)
    W0 = 0.1 * np.random.default_rng(seed).standard_normal((16, 12))
    res = relu.gd(p.X, p.y, W0, iters=200, relaxed=bool(seed % 2), w_star=p.w_star)
    return [res.W, res.train_loss, res.recovery_error]


def _relu_newton(seed):
    p = relu.planted(400, 10, noise=0.0, mean=1.0, seed=seed)
    res = relu.newton(p.X, p.y)
    return [res.w, np.array([res.gradient_norm, res.dual_bound])]


def _gram(seed):
    X = np.random.default_rng(seed).standard_normal((300, 20))
    act = ("relu", "erf", "tanh", "gelu")[seed % 4]
    return [gram.gram_matrix(X, 3, activation=act, normalize=True)]


def _ntk(seed):
    X = np.random.default_rng(seed).standard_normal((200, 10))
    res = gram.ntk(X / np.linalg.norm(X, axis=1, keepdims=True), 3)
    return [res.nngp, res.ntk]


def _branches(seed):
    rng = np.random.default_rng(seed)
    X = np.hstack([rng.standard_normal((120, 4)), np.ones((120, 1))])
    y = np.sign(X[:, 0] + 0.2 * rng.standard_normal(120))
    net = branches.MultiBranchMLP(n_branches=4, width=2, d=5, seed=seed)
    net.fit(X, y, tau=1.0, K=4.0, restarts=1, steps=60)
    dirs = branches.slice_directions("filter", net, seed=seed)
    surf = branches.loss_surface(net, X, y, dirs, grid=11)
    return [net.U, net.a, *[np.asarray(s) for s in surf if isinstance(s, np.ndarray)]]


CASES = {
    "linear.solve": _linear,
    "relu.gd": _relu_gd,
    "relu.newton": _relu_newton,
    "gram.gram_matrix": _gram,
    "gram.ntk": _ntk,
    "branches.fit+loss_surface": _branches,
}


@pytest.mark.parametrize("name", sorted(CASES))
def test_concurrent_calls_equal_sequential_calls_bitwise(name):
    fn = CASES[name]
    seeds = list(range(2 * N_THREADS))
    sequential = [fn(s) for s in seeds]
    with ThreadPoolExecutor(max_workers=N_THREADS) as pool:
        concurrent = list(pool.map(fn, seeds))
    for s, (a, b) in enumerate(zip(sequential, concurrent)):
        assert len(a) == len(b)
        for x, y in zip(a, b):
            np.testing.assert_array_equal(np.asarray(x), np.asarray(y), err_msg=f"{name}, seed {s}")
