"""The one way results cross the C++ boundary: bound result classes turned into the public dataclasses."""

from __future__ import annotations

import dataclasses
from types import SimpleNamespace
from typing import List

import numpy as np
import pytest

from convexify._boundary import from_core


@dataclasses.dataclass(frozen=True)
class _Result:
    value: float
    array: np.ndarray
    arrays: List[np.ndarray]
    echoed: str
    optional: int = 7


def _core_like():
    a = np.arange(3.0)
    a.flags.writeable = False  # as def_readonly hands out Eigen members
    b = np.ones(2)
    b.flags.writeable = False
    return SimpleNamespace(value=1.5, array=a, arrays=[b], extra="not a field")


def test_fields_come_from_attributes_of_the_same_name_and_overrides():
    core = _core_like()
    r = from_core(_Result, core, echoed="setting")
    assert r.value == 1.5 and r.echoed == "setting" and r.optional == 7
    np.testing.assert_array_equal(r.array, [0.0, 1.0, 2.0])
    # read-only views are copied: the caller owns writable arrays, the core object is untouched
    assert r.array.flags.writeable and r.arrays[0].flags.writeable
    r.array[0] = 9.0
    assert core.array[0] == 0.0


def test_override_wins_over_attribute():
    assert from_core(_Result, _core_like(), value=2.5, echoed="x").value == 2.5


def test_missing_field_is_named():
    with pytest.raises(AttributeError, match=r"_Result\.echoed"):
        from_core(_Result, _core_like())
