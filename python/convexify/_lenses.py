"""The registry of lenses: the one list that the package, the report, the command line and the tests read.

Adding a lens means one entry here, a subpackage ``convexify.<name>``, a study ``convexify.reproduce.<name>``
and the core's functions prefixed ``<name>_`` (bound in ``cpp/bindings/<name>.cpp``); ``tests/test_layout.py``
fails when any of them disagrees with this list.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Tuple

__all__ = ["Lens", "LENSES", "LENS_NAMES", "lens"]


@dataclass(frozen=True)
class Lens:
    """One lens: its module name, what it studies, and the paper it implements."""

    name: str
    title: str
    paper: str


LENSES: Tuple[Lens, ...] = (
    Lens(
        "linear",
        "deep linear networks and their convex dual",
        "Zhang, Shao & Salakhutdinov 2019",
    ),
    Lens(
        "relu",
        "the shallow ReLU neuron and its convex relaxation",
        "Ergen & Pilanci 2019",
    ),
    Lens(
        "gram",
        "Gram matrices of wide networks",
        "Du, Lee, Li, Wang & Zhai 2019",
    ),
    Lens(
        "branches",
        "multi-branch networks and the duality gap",
        "Zhang, Shao & Salakhutdinov 2019",
    ),
    Lens(
        "convex_nn",
        "exact convex training of two-layer ReLU networks with a certificate",
        "Pilanci & Ergen 2020",
    ),
)

LENS_NAMES: Tuple[str, ...] = tuple(lens.name for lens in LENSES)


def lens(name: str) -> Lens:
    """The registered lens called ``name`` (``KeyError`` naming the known lenses otherwise)."""
    for entry in LENSES:
        if entry.name == name:
            return entry
    raise KeyError(f"unknown lens {name!r}; known: {list(LENS_NAMES)}")
