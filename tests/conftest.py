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
