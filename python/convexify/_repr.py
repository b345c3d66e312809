"""One-screen reprs for result objects: arrays as shape and dtype, scalars to 6 significant digits."""

from __future__ import annotations

import dataclasses
from typing import Any

import numpy as np

__all__ = ["CompactRepr", "short_repr"]

_MAX_ITEMS = 4
_MAX_TEXT = 60
_ONE_LINE = 100


def short_repr(value: Any) -> str:
    """A short description of ``value``: what a person needs to recognise it, never its full contents."""
    if isinstance(value, CompactRepr):
        return f"{type(value).__name__}(...)"
    if isinstance(value, np.ndarray):
        if value.size <= _MAX_ITEMS and value.ndim <= 1:
            return "array([" + ", ".join(short_repr(v) for v in value.tolist()) + "])"
        return f"array<{value.dtype}, shape={value.shape}>"
    if isinstance(value, (bool, np.bool_)):
        return repr(bool(value))
    if isinstance(value, (float, np.floating)):
        text = f"{float(value):.6g}"
        return text + ".0" if text.lstrip("-").isdigit() else text
    if isinstance(value, (int, np.integer)):
        return repr(int(value))
    if isinstance(value, str):
        return repr(value) if len(value) <= _MAX_TEXT else repr(value[: _MAX_TEXT - 3] + "...")
    if isinstance(value, (list, tuple)):
        open_, close = ("[", "]") if isinstance(value, list) else ("(", ")")
        if len(value) > _MAX_ITEMS:
            kinds = sorted({type(v).__name__ for v in value})
            return f"{open_}{len(value)} items of {'/'.join(kinds)}{close}"
        trailing = "," if len(value) == 1 and close == ")" else ""
        return open_ + ", ".join(short_repr(v) for v in value) + trailing + close
    if isinstance(value, dict):
        if len(value) > _MAX_ITEMS:
            return "{" + f"{len(value)} keys: " + ", ".join(map(str, list(value)[:_MAX_ITEMS])) + ", ...}"
        return "{" + ", ".join(f"{k!r}: {short_repr(v)}" for k, v in value.items()) + "}"
    if value is None or callable(value):
        return repr(value) if value is None else getattr(value, "__name__", type(value).__name__)
    text = repr(value)
    return text if len(text) <= _MAX_TEXT else f"<{type(value).__name__}>"


class CompactRepr:
    """Mixin for result dataclasses (declared with ``repr=False``): a repr of one screen at most.

    Arrays print as ``array<dtype, shape=...>``, floats with 6 significant digits, long sequences and nested
    results by their length and type.  One line when it fits in 100 characters, else one field per line.
    """

    __slots__ = ()

    def __repr__(self) -> str:
        items = [
            f"{f.name}={short_repr(getattr(self, f.name))}"
            for f in dataclasses.fields(self)  # type: ignore[arg-type]
            if f.repr
        ]
        name = type(self).__name__
        line = f"{name}({', '.join(items)})"
        if len(line) <= _ONE_LINE:
            return line
        return name + "(\n" + "".join(f"    {item},\n" for item in items) + ")"
