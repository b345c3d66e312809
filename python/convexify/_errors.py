"""Exception types of convexify (SPEC 1.3)."""

from __future__ import annotations

__all__ = ["InputError", "InputTypeError", "DivergenceError"]


class InputError(ValueError):
    """An invalid value, shape or combination of arguments; the message names the argument."""


class InputTypeError(InputError, TypeError):
    """A wrong Python type or dtype (complex array, bool where an integer is required, ...).

    It subclasses both ``ValueError`` and ``TypeError`` so that callers catching either see it.
    """


class DivergenceError(FloatingPointError):
    """An iterative method produced a non-finite iterate; the message names the iteration."""
