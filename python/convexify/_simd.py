"""SIMD level of the core's hand-vectorised kernels (the fused ReLU gradient kernel of lens 2)."""

from __future__ import annotations

from . import _core
from ._errors import InputError, InputTypeError

__all__ = ["SIMD_LEVELS", "get_simd_level", "set_simd_level", "simd_supported"]

SIMD_LEVELS = ("generic", "avx2", "avx512")


def simd_supported() -> str:
    """The widest level this CPU supports: ``"avx512"``, ``"avx2"`` or ``"generic"``."""
    return str(_core.simd_supported())


def get_simd_level() -> str:
    """The level in use (default: :func:`simd_supported`)."""
    return str(_core.simd_level())


def set_simd_level(level: str) -> None:
    """Use ``level`` (one of :data:`SIMD_LEVELS`, at most :func:`simd_supported`) from now on.

    The package is built with portable flags; the kernels that gain from wide vectors are compiled for every
    level and the widest the CPU supports is used.  Lowering the level is for comparisons and tests: every
    level computes the same quantities, with round-off level differences (summation orders follow the
    vector width).
    """
    if not isinstance(level, str):
        raise InputTypeError(f"level must be a string, got {type(level).__name__}")
    if level not in SIMD_LEVELS:
        raise InputError(f"level must be one of {SIMD_LEVELS}, got {level!r}")
    if SIMD_LEVELS.index(level) > SIMD_LEVELS.index(simd_supported()):
        raise InputError(f"level {level!r} is not supported by this CPU (widest: {simd_supported()!r})")
    _core.set_simd_level(level)
