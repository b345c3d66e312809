"""The one way results cross the C++ boundary.

The bindings expose each result struct of the core as a read-only class (``py::class_`` with
``def_readonly``, one attribute per field, named as in the C++ struct).  :func:`from_core` turns such an
object into the lens's public frozen dataclass by reading, for every dataclass field, the attribute of the
same name; fields the core does not compute (settings echoed back, values derived in Python) are passed as
keyword overrides.  A field missing on both sides is an error, so the C++ struct, its binding and the
dataclass cannot drift apart silently (``tests/test_boundary.py``).
"""

from __future__ import annotations

import dataclasses
from typing import Any, Type, TypeVar

import numpy as np

__all__ = ["from_core", "core_fields"]

T = TypeVar("T")


def core_fields(result: Any) -> list:
    """The public attribute names of a bound core result."""
    return [k for k in dir(result) if not k.startswith("_")]


def _owned(value: Any) -> Any:
    # def_readonly returns read-only views into the C++ object; hand out writable arrays the caller owns.
    if isinstance(value, np.ndarray) and not value.flags.writeable:
        return value.copy()
    if isinstance(value, list):
        return [_owned(v) for v in value]
    return value


def from_core(cls: Type[T], result: Any, **overrides: Any) -> T:
    """Build the dataclass ``cls`` from the bound core result ``result``.

    Every field of ``cls`` is taken from ``overrides`` when given there, else from ``result``'s attribute of
    the same name; a field found in neither raises ``AttributeError`` naming it.
    """
    values = {}
    for f in dataclasses.fields(cls):
        if f.name in overrides:
            values[f.name] = overrides[f.name]
        elif hasattr(result, f.name):
            values[f.name] = _owned(getattr(result, f.name))
        elif f.default is not dataclasses.MISSING or f.default_factory is not dataclasses.MISSING:
            continue
        else:
            raise AttributeError(f"{cls.__name__}.{f.name}: not computed by the core and not given")
    return cls(**values)
