"""Lens 4: Ctrl-C stops the long core loops within a second, and the core releases the GIL while it runs.

Ctrl-C (docs/conventions.md#threads): each case runs in a child process that sends itself SIGINT after
``delay`` seconds while the call is busy, and reports the time from the signal to the KeyboardInterrupt (as
tests/test_interrupt.py does for the Gram lens).  The compiled loops poll between units of work: the surface
kernels per grid row and sample tile, the neuron oracle per ascent step, the fused loss/gradient pass every
256 samples; ``fit`` and ``gap_bracket`` loop in Python between short core calls.

GIL: a Python thread that ticks every 5 ms keeps ticking while the longest core calls run in the main thread.
"""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap
import threading
import time

import numpy as np
import pytest

from convexify import _core
from convexify import branches as br

SETUP = textwrap.dedent(
    """
    import numpy as np
    from convexify import branches as br

    def problem(n, d, seed=0):
        rng = np.random.default_rng(seed)
        X = np.column_stack([rng.standard_normal((n, d - 1)), np.ones(n)])
        y = np.where(rng.standard_normal(n) > 0, 1.0, -1.0)
        return X, y

    def surface_call(n, d, I, m, grid):
        X, y = problem(n, d)
        net = br.MultiBranchMLP(I, m, d, seed=1)
        plane = br.slice_directions("filter", net, seed=2)
        return lambda: br.loss_surface(net, X, y, plane, grid=grid)

    def multiclass_call(n, d, I, m, C, grid):
        rng = np.random.default_rng(3)
        X, _ = problem(n, d)
        labels = rng.integers(0, C, n)
        sols = [(rng.standard_normal((I, m, d)), rng.standard_normal((I, m, C))) for _ in range(3)]
        plane = br.slice_directions("three_minima", solutions=sols)
        return lambda: br.multiclass_loss_surface(X, labels, plane, grid=grid)

    def oracle_call(n, d, starts, iterations):
        X, y = problem(n, d)
        c = np.random.default_rng(4).standard_normal(n)
        rng = np.random.default_rng(5)
        return lambda: br.m_plus_heuristic(X, c, rng, n_random=starts, iterations=iterations)

    def gradient_call(n, d, I, m):
        X, y = problem(n, d)
        net = br.MultiBranchMLP(I, m, d, seed=6)
        return lambda: net.gradient(X, y, tau=1e3)

    def fit_call(n, d, steps):
        X, y = problem(n, d)
        return lambda: br.MultiBranchMLP(4, 8, d).fit(X, y, 1.0, 4.0, restarts=1, steps=steps)

    def gap_call(n, d):
        X, y = problem(n, d)
        return lambda: br.gap_bracket(X, y, 1.0, 4.0, [2, 4], width=8, steps=3000, rounds=50, certify="none")
    """
)

CHILD = SETUP + textwrap.dedent(
    """
    import json, os, signal, sys, threading, time
    # A child of a background job inherits SIGINT ignored (POSIX shells): make Ctrl-C raise again.
    signal.signal(signal.SIGINT, signal.default_int_handler)
    import convexify
    convexify.set_num_threads(1)
    case, delay = sys.argv[1], float(sys.argv[2])
    calls = {
        "loss_surface": lambda: surface_call(20000, 10, 4, 16, 201),
        "multiclass_loss_surface": lambda: multiclass_call(20000, 10, 4, 16, 3, 201),
        "m_plus_heuristic": lambda: oracle_call(200000, 20, 4096, 1000),
        "gradient": lambda: gradient_call(100000, 50, 64, 64),
        "fit": lambda: fit_call(20000, 10, 10**6),
        "gap_bracket": lambda: gap_call(4000, 6),
    }
    call = calls[case]()
    sent = {}
    def fire():
        sent["t"] = time.perf_counter()
        os.kill(os.getpid(), signal.SIGINT)
    threading.Timer(delay, fire).start()
    t0 = time.perf_counter()
    try:
        call()
        print(json.dumps({"finished": time.perf_counter() - t0}))
    except KeyboardInterrupt:
        print(json.dumps({"latency": time.perf_counter() - sent["t"]}))
    sys.stdout.flush()
    os._exit(0)
    """
)

CASES = ["loss_surface", "multiclass_loss_surface", "m_plus_heuristic", "gradient", "fit", "gap_bracket"]


@pytest.mark.parametrize("case", CASES)
@pytest.mark.parametrize("delay", [0.05, 1.0])
def test_ctrl_c_stops_the_branches_core_quickly(case, delay):
    out = subprocess.run(
        [sys.executable, "-c", CHILD, case, str(delay)], capture_output=True, text=True, timeout=300
    )
    assert out.returncode == 0, out.stderr[-2000:]
    result = json.loads(out.stdout.strip().splitlines()[-1])
    assert "latency" in result, f"{case} finished before the interrupt was seen: {result}"
    assert result["latency"] < 1.0, result  # the promise: within ~1 s, also on a busy machine


def _core_call(case):
    """A core call of about half a second on one thread, with its arguments prepared beforehand."""
    rng = np.random.default_rng(7)
    n, d, P = 4000, 10, 64
    X = np.column_stack([rng.standard_normal((n, d - 1)), np.ones(n)])
    y = np.where(rng.standard_normal(n) > 0, 1.0, -1.0)
    U = [rng.standard_normal((P, d)) for _ in range(3)]
    a = [rng.standard_normal(P) for _ in range(3)]
    grid = np.linspace(-1.0, 1.0, 41)
    if case == "surface":
        return lambda: _core.branches_surface(
            X, y, U[0], a[0], U[1], a[1], U[2], a[2], grid, grid, 4, 1.0, "hinge"
        )
    if case == "surface_multimargin":
        A = [rng.standard_normal((P, 3)) for _ in range(3)]
        labels = rng.integers(0, 3, n).astype(float)
        g = grid[::2]
        return lambda: _core.branches_surface_multimargin(
            X, labels, U[0], A[0], U[1], A[1], U[2], A[2], g, g, 4
        )
    if case == "neuron_oracle":
        c = rng.standard_normal(n)
        starts = rng.standard_normal((256, d))
        return lambda: _core.branches_neuron_oracle(X, c, starts, 400)
    assert case == "loss_gradient"
    Xb = np.column_stack([rng.standard_normal((40000, 49)), np.ones(40000)])
    yb = np.where(rng.standard_normal(40000) > 0, 1.0, -1.0)
    Ub, ab = rng.standard_normal((1024, 50)), rng.standard_normal(1024)
    return lambda: _core.branches_loss_gradient(Xb, yb, Ub, ab, 16, 1e3, "hinge")


GIL_CALLS = ["surface", "surface_multimargin", "neuron_oracle", "loss_gradient"]


@pytest.mark.parametrize("case", GIL_CALLS)
def test_core_calls_release_the_gil(case):
    """A 5 ms ticker keeps ticking while the core call runs: it gets at least a quarter of its ticks."""
    call = _core_call(case)
    ticks: list = []
    done = threading.Event()

    def ticker():
        while not done.is_set():
            ticks.append(time.perf_counter())
            time.sleep(0.005)

    th = threading.Thread(target=ticker)
    th.start()
    time.sleep(0.05)
    t0 = time.perf_counter()
    calls = 0
    while time.perf_counter() - t0 < 0.3:  # repeated on a fast machine: at least 0.3 s inside the core
        call()
        calls += 1
    t1 = time.perf_counter()
    done.set()
    th.join()
    inside = sum(t0 < t < t1 for t in ticks)
    duration = t1 - t0
    # a call holding the GIL would let the ticker in only between calls (about `calls` ticks)
    assert inside >= max(0.25 * duration / 0.005, 4 * calls), (case, inside, calls, duration)


def test_ticker_stalls_when_the_gil_is_held():
    """The GIL test's control: a call that holds the GIL (``sum`` over a range, one C call without a bytecode
    boundary) leaves the ticker far below its quota, so the threshold above does detect a held GIL."""
    ticks: list = []
    done = threading.Event()

    def ticker():
        while not done.is_set():
            ticks.append(time.perf_counter())
            time.sleep(0.005)

    th = threading.Thread(target=ticker)
    th.start()
    time.sleep(0.05)
    t0 = time.perf_counter()
    sum(range(10_000_000))
    t1 = time.perf_counter()
    done.set()
    th.join()
    inside = sum(t0 < t < t1 for t in ticks)
    assert t1 - t0 > 0.1
    assert inside < 0.25 * (t1 - t0) / 0.005


def test_instances_may_be_evaluated_from_several_threads(rng):
    """Evaluation only reads the parameters: concurrent loss calls agree with the serial value."""
    X = np.column_stack([rng.standard_normal((500, 4)), np.ones(500)])
    y = np.where(X[:, 0] > 0, 1.0, -1.0)
    net = br.MultiBranchMLP(3, 4, 5, seed=0)
    want = net.loss(X, y, tau=0.5, loss="squared_hinge")
    got: list = []

    def work():
        for _ in range(20):
            got.append(net.loss(X, y, tau=0.5, loss="squared_hinge"))

    threads = [threading.Thread(target=work) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert got == [want] * 80
