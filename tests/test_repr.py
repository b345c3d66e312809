"""Result objects print on one screen: shapes and key scalars, never array contents."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest

from convexify import branches, convex_nn, gram, linear, relu
from convexify._repr import CompactRepr, short_repr


def _public_result_classes():
    for mod in (linear, relu, gram, branches, convex_nn):
        for name in mod.__all__:
            obj = getattr(mod, name)
            if isinstance(obj, type) and dataclasses.is_dataclass(obj):
                yield obj


@pytest.mark.parametrize("cls", sorted(set(_public_result_classes()), key=lambda c: c.__qualname__))
def test_every_public_result_class_uses_the_compact_repr(cls):
    assert issubclass(cls, CompactRepr)
    assert cls.__repr__ is CompactRepr.__repr__, "declare the dataclass with repr=False"


def _assert_one_screen(text: str, max_lines: int = 40) -> None:
    assert "array([[" not in text and "\n       [" not in text
    assert len(text.splitlines()) <= max_lines
    assert max(len(line) for line in text.splitlines()) <= 120


def test_linear_solution_repr_shows_shapes_and_scalars():
    rng = np.random.default_rng(0)
    X, Y = rng.standard_normal((200, 30)), rng.standard_normal((200, 12))
    res = linear.solve(X, Y, depth=3, gamma=1.0)
    text = repr(res)
    _assert_one_screen(text)
    assert f"gap={res.gap:.6g}" in text and "certified=True" in text
    assert "Lambda=array<float64, shape=(200, 12)>" in text
    assert "LinearHistory(...)" in text


def test_gd_result_and_spectrum_reprs():
    rng = np.random.default_rng(1)
    X = rng.standard_normal((300, 10))
    y = np.maximum(X @ rng.standard_normal(10), 0.0)
    W0 = rng.standard_normal((8, 10))
    _assert_one_screen(repr(relu.gd(X, y, W0, iters=50)))
    Xn = X / np.linalg.norm(X, axis=1, keepdims=True)
    spec = gram.spectrum(gram.gram_matrix(Xn, 2))
    assert repr(spec).startswith("Spectrum(") and f"lambda_min={spec.lambda_min:.6g}" in repr(spec)


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (np.zeros((3, 4)), "array<float64, shape=(3, 4)>"),
        (np.array([1.5, 2.0]), "array([1.5, 2.0])"),
        (1.0, "1.0"),
        (1 / 3, "0.333333"),
        (-2.0, "-2.0"),
        ((3,), "(3,)"),
        ([1, 2, 3, 4, 5], "[5 items of int]"),
        ("x" * 100, repr("x" * 57 + "...")),
        (True, "True"),
        (np.int64(7), "7"),
        (None, "None"),
    ],
)
def test_short_repr(value, expected):
    assert short_repr(value) == expected
