"""convexify.sweep on a real 2-worker distributed.LocalCluster and serially (issue 17, item 7)."""

from __future__ import annotations

import numpy as np
import pytest

import convexify
from convexify import InputError, InputTypeError

distributed = pytest.importorskip("distributed")


def _solve(seed):
    rng = np.random.default_rng(seed)
    A = rng.standard_normal((20, 20))
    return float(np.linalg.eigvalsh(A @ A.T + np.eye(20))[0])


def _fails_at_three(p):
    if p == 3:
        raise ValueError("boom")
    return p * p


@pytest.fixture(scope="module")
def client():
    # In-process workers measure this (pytest) process's memory: with a memory limit they pause, and every
    # future waits forever, once the test session has grown past 80% of it.  Hence memory_limit=0.
    cluster = distributed.LocalCluster(
        n_workers=2, threads_per_worker=1, processes=False, dashboard_address=None, memory_limit=0
    )
    c = distributed.Client(cluster, set_as_default=False, timeout=30)
    yield c
    c.close()
    cluster.close()


def test_sweep_equals_plain_loop(client):
    grid = list(range(12))
    expected = [_solve(s) for s in grid]
    got = convexify.sweep(_solve, grid, client=client)
    assert got == expected  # bit for bit, grid order
    assert convexify.sweep(_solve, grid, client="serial") == expected
    assert len(client.scheduler_info()["workers"]) == 2


def test_sweep_reuses_current_client(client):
    with client.as_current():
        assert convexify.sweep(_fails_at_three, [0, 1, 2], client=None) == [0, 1, 4]


def test_sweep_error_names_grid_point(client):
    for c in (client, "serial"):
        with pytest.raises(RuntimeError, match=r"grid point 3 \(3\)") as info:
            convexify.sweep(_fails_at_three, range(6), client=c)
        assert "boom" in str(info.value)


def test_sweep_bad_input(client):
    with pytest.raises(InputTypeError, match="fn"):
        convexify.sweep(3, [1], client="serial")
    with pytest.raises(InputTypeError, match="grid"):
        convexify.sweep(_solve, 5, client="serial")
    with pytest.raises(InputError, match="client"):
        convexify.sweep(_solve, [1], client="threads")
    with pytest.raises(InputTypeError, match="client"):
        convexify.sweep(_solve, [1], client=object())
    assert convexify.sweep(_solve, [], client=client) == []


def test_sweep_closed_client():
    cluster = distributed.LocalCluster(n_workers=1, processes=False, dashboard_address=None, memory_limit=0)
    c = distributed.Client(cluster, set_as_default=False)
    c.close()
    cluster.close()
    with pytest.raises(InputError, match="client is not running"):
        convexify.sweep(_solve, [1], client=c)


def test_sweep_default_local_cluster():
    # No current client: sweep starts the process-wide loopback LocalCluster (processes), then reuses it.
    import math

    from convexify import _dask

    try:
        assert convexify.sweep(math.sqrt, [1.0, 4.0, 9.0]) == [1.0, 2.0, 3.0]
        first = _dask._DEFAULT["client"]
        assert convexify.sweep(math.sqrt, [16.0]) == [4.0]
        assert _dask._DEFAULT["client"] is first
        assert first.scheduler.address.startswith("tcp://127.0.0.1")
    finally:
        _dask._close_default()
