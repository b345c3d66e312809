"""Lens 4 raises only convexify's exceptions, naming the argument (docs/conventions.md#errors).

Regressions of an outside probe: ArpackError from ``curvature`` on dead networks, AttributeError /
IndexError / numpy broadcasting errors from the exported neuron oracles, pybind11's "incompatible function
arguments" TypeError and MemoryError (or endless loops) for integers beyond C int / long.
"""

from __future__ import annotations

import numpy as np
import pytest

from convexify import InputError, InputTypeError
from convexify import branches as br


@pytest.fixture
def problem(rng):
    X = np.column_stack([rng.standard_normal((30, 2)), np.ones(30)])
    y = np.where(np.abs(X[:, 0]) < 0.7, 1.0, -1.0)
    return X, y


def _dense_hessian(net, X, y, tau, loss):
    I, m, d = net.n_branches, net.width, net.d
    N = I * m * (d + 1)
    cols = []
    for e in np.eye(N):
        hu, ha = br.hessian_vector_product(
            net, X, y, tau, e[: I * m * d].reshape(I, m, d), e[I * m * d :].reshape(I, m), loss
        )
        cols.append(np.concatenate([hu.ravel(), ha.ravel()]))
    return np.column_stack(cols)


@pytest.mark.parametrize("loss", ["squared_hinge", "hinge"])
def test_curvature_of_a_dead_network_is_zero(problem, loss):
    """All ReLUs off (u . x_j < 0 for every unit and sample): the a.e. Hessian is 0, so are its extremes
    (before: scipy's ArpackError "Starting vector is zero")."""
    X, y = problem
    net = br.MultiBranchMLP(2, 3, 3, seed=0)
    U = np.zeros((2, 3, 3))
    U[..., 2] = -1.0  # u . x_j = -1 on the bias column
    net.set_params(U=U)
    np.testing.assert_array_equal(_dense_hessian(net, X, y, 1.0, loss), 0.0)
    c = br.curvature(net, X, y, 1.0, loss=loss)
    assert (c.lambda_min, c.lambda_max) == (0.0, 0.0)
    assert "no unit is active" in c.note
    assert c.informative == (loss == "squared_hinge")


def test_curvature_where_the_loss_is_flat_is_zero(problem):
    """Every margin >= 1 (a huge correct network, tiny tau): hinge' = hinge'' = 0, the Hessian is 0."""
    X, y = problem
    net = br.MultiBranchMLP(1, 2, 3, seed=0)
    U = np.zeros((1, 2, 3))
    U[0, 0] = [1.0, 0.0, 0.0]
    U[0, 1] = [-1.0, 0.0, 0.0]
    net.set_params(U=U, a=np.array([[1.0, 1.0]]))  # f = |x_0| > 0: only correct where y = +1 ...
    Xp, yp = X[np.abs(X[:, 0]) > 0.1], np.ones(int(np.sum(np.abs(X[:, 0]) > 0.1)))
    c = br.curvature(net, Xp, yp, 1e-6)  # ... so with y = +1 every margin |x_0| / 1e-6 >= 1
    assert (c.lambda_min, c.lambda_max) == (0.0, 0.0)
    assert "flat" in c.note


def test_curvature_partly_dead_large_network_matches_dense(rng):
    """Above 512 parameters Lanczos runs (restarted from a random vector if the first start is degenerate);
    half the units dead: its extremes match the dense Hessian's eigenvalues."""
    n, d = 60, 5
    X = np.column_stack([rng.standard_normal((n, d - 1)), np.ones(n)])
    y = np.where(X[:, 0] > 0, 1.0, -1.0)
    net = br.MultiBranchMLP(4, 24, d, seed=1)  # N = 96 * 6 = 576 > 512
    U = net.U
    U[:, ::2, :] = 0.0
    U[:, ::2, -1] = -1.0  # every other unit dead
    net.set_params(U=U)
    H = _dense_hessian(net, X, y, 0.5, "squared_hinge")
    ev = np.linalg.eigvalsh(0.5 * (H + H.T))
    c = br.curvature(net, X, y, 0.5)
    assert c.lambda_min == pytest.approx(ev[0], rel=1e-5, abs=1e-9)
    assert c.lambda_max == pytest.approx(ev[-1], rel=1e-5, abs=1e-9)


def test_neuron_oracles_validate_their_arguments(problem):
    X, y = problem
    rng = np.random.default_rng(0)
    # lists are arrays like everywhere else (before: AttributeError 'list' object has no attribute 'shape')
    v, u = br.m_plus_exact(X.tolist(), y.tolist())
    assert v == pytest.approx(br.m_plus_exact(X, y)[0], rel=1e-15) and u.shape == (3,)
    assert br.m_plus_heuristic(X.tolist(), list(y), rng)[0] > 0
    for f in (br.m_plus_exact, br.m_plus_upper):
        with pytest.raises(InputError, match="c must have the same number of rows"):
            f(X, y[:-1])  # before: numpy broadcasting ValueError / IndexError
        with pytest.raises(InputError, match="X contains NaN"):
            f(np.where(X > 1, np.nan, X), y)
        with pytest.raises(InputError, match="c must be 1-D"):
            f(X, y[:, None])
        with pytest.raises(InputTypeError, match="c must be real"):
            f(X, y.astype(complex))
    with pytest.raises(InputError, match="X must have d <= 3 columns"):
        br.m_plus_exact(np.ones((5, 4)), np.ones(5))
    with pytest.raises(InputError, match="chunk must be >= 1"):
        br.m_plus_exact(X, y, chunk=0)
    with pytest.raises(InputTypeError, match="rng must be a numpy.random.Generator"):
        br.m_plus_heuristic(X, y, 0)
    with pytest.raises(InputError, match="iterations must be <= 2147483647"):
        br.m_plus_heuristic(X, y, rng, iterations=2**40)  # before: pybind11 "incompatible function arguments"
    with pytest.raises(InputError, match="n_random must be <="):
        br.m_plus_heuristic(X, y, rng, n_random=2**63)
    with pytest.raises(InputTypeError, match="polish_starts must be an integer"):
        br.m_plus_heuristic(X, y, rng, polish_starts=1.5)
    with pytest.raises(InputError, match="extra must have d = 3 columns"):
        br.m_plus_heuristic(X, y, rng, extra=np.ones((2, 4)))
    with pytest.raises(InputError, match="u_hint must have d = 3 entries"):
        br.m_plus_sdp(X, y, np.ones(2))
    # no start at all (c = 0, no random starts): the value of u = 0
    value, u, starts = br.m_plus_heuristic(X, np.zeros(30), rng, n_random=0)
    assert value == 0.0 and not u.any() and starts.shape == (0, 3)


@pytest.mark.parametrize("big", [2**31, 2**40, 2**63, 2**100])
def test_huge_integers_are_bounded_before_the_core(problem, big):
    """Counts beyond C int / long (or beyond memory) are InputErrors naming the argument (before: MemoryError
    for n_branches = 2**40 and grid = 2**40, an endless loop for steps = 2**63)."""
    X, y = problem
    net = br.MultiBranchMLP(2, 2, 3, seed=0)
    plane = br.slice_directions("filter", net)
    with pytest.raises(InputError, match="n_branches must be <= 2147483647"):
        br.MultiBranchMLP(big, 1, 3)
    with pytest.raises(InputError, match="width must be <= 2147483647"):
        br.MultiBranchMLP(1, big, 3)
    with pytest.raises(InputError, match="steps must be <= 100000000"):
        net.fit(X, y, 1.0, 1.0, steps=big)
    with pytest.raises(InputError, match="restarts must be <= 1000000"):
        net.fit(X, y, 1.0, 1.0, restarts=big)
    with pytest.raises(InputError, match="branch_counts must be <= 2147483647"):
        br.gap_bracket(X, y, 1.0, 1.0, [big])
    with pytest.raises(InputError, match="rounds must be <= 10000"):
        br.gap_bracket(X, y, 1.0, 1.0, [1], rounds=big)
    with pytest.raises(InputError, match="n_random_units must be <="):
        br.gap_bracket(X, y, 1.0, 1.0, [1], n_random_units=big)
    with pytest.raises(InputError, match="grid must be <= 10000"):
        br.loss_surface(net, X, y, plane, grid=big)
    with pytest.raises(InputError, match="points must be <= 10000000"):
        br.interpolation_barrier(net, net, net, X, y, points=big)
    with pytest.raises(InputError, match="I must be <= 9007199254740992"):
        br.exact_separable_benchmark(0.5, 2**1100 if big == 2**100 else 2**53 + 1)


def test_network_size_is_bounded(problem):
    X, y = problem
    with pytest.raises(InputError, match=r"n_branches \* width \* \(d \+ 1\) must be <= 2147483647"):
        br.MultiBranchMLP(2**16, 2**16, 3)
    with pytest.raises(InputError, match=r"n_branches \* width \* \(d \+ 1\)"):
        br.gap_bracket(X, y, 1.0, 1.0, [2**20], width=2**12)
