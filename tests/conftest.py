"""Shared test set-up: one thread for the core (results must not depend on it), seeded generators."""

from __future__ import annotations

import numpy as np
import pytest

import convexify


@pytest.fixture(autouse=True, scope="session")
def _one_thread():
    convexify.set_num_threads(1)
    yield


@pytest.fixture
def rng():
    return np.random.default_rng(20190601)


@pytest.fixture(scope="session")
def dask_client():
    """A real 2-worker ``distributed.LocalCluster`` of processes (one thread each), shared by the session.

    Process workers import convexify themselves, so a TileKernel shipped to them is rebuilt from its pickle.
    """
    distributed = pytest.importorskip("distributed")
    cluster = distributed.LocalCluster(
        n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None, host="127.0.0.1"
    )
    client = distributed.Client(cluster, set_as_default=False, timeout=30)
    yield client
    client.close()
    cluster.close()
