"""Instruction-set level of the compiled core (docs/performance.md#instruction-set-levels).

The whole core is compiled once per x86-64 level into its own extension module, and ``import convexify`` loads
the widest one the CPU supports (``CONVEXIFY_ISA`` overrides it; see ``convexify/_loader.py``).  These
functions report the level and lower it in-process, for comparisons and tests.
"""

from __future__ import annotations

from . import _loader
from ._errors import InputError, InputTypeError

__all__ = ["SIMD_LEVELS", "get_simd_level", "set_simd_level", "simd_supported"]

SIMD_LEVELS = _loader.LEVELS


def simd_supported() -> str:
    """The widest level this CPU runs and this installation has: ``"avx512"``, ``"avx2"``, ``"baseline"``."""
    built = _loader.built_levels()
    return [lv for lv in _loader.cpu_levels() if lv in built][-1]


def get_simd_level() -> str:
    """The level of the core in use (``"native"``: a ``-march=native`` module chosen with CONVEXIFY_ISA)."""
    return _loader.choice[0]


def set_simd_level(level: str) -> None:
    """Use the core compiled for ``level`` (one of :data:`SIMD_LEVELS`, at most :func:`simd_supported`).

    Every level is the same source compiled for other instructions: the hand-vectorised kernels size their
    tiles for the level, the compiler vectorises for it, Eigen uses its instructions.  Switching is for
    comparisons and tests: every level computes the same quantities, with round-off level differences
    (summation orders follow the vector width).  The switch is process-wide; results made before keep their
    classes.  To pick the level for a whole run, set ``CONVEXIFY_ISA`` before ``import convexify``.
    ``"generic"`` (the name before 0.2) is ``"baseline"``.
    """
    if not isinstance(level, str):
        raise InputTypeError(f"level must be a string, got {type(level).__name__}")
    if level == "generic":
        level = "baseline"
    if level not in SIMD_LEVELS:
        raise InputError(f"level must be one of {SIMD_LEVELS}, got {level!r}")
    widest = simd_supported()
    if SIMD_LEVELS.index(level) > SIMD_LEVELS.index(widest):
        raise InputError(f"level {level!r} is not supported by this CPU and build (widest: {widest!r})")
    if level not in _loader.built_levels():
        raise InputError(
            f"level {level!r} was not built (CONVEXIFY_ISA_LEVELS); built: {_loader.built_levels()}"
        )
    if level != get_simd_level():
        _loader.use(level, f"convexify.set_simd_level({level!r})")
