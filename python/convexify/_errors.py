"""Exceptions and warnings of convexify, one family for every lens (see docs/conventions.md#errors)."""

from __future__ import annotations

__all__ = [
    "InputError",
    "InputTypeError",
    "DivergenceError",
    "ConvexifyWarning",
    "ConvergenceWarning",
    "DivergenceWarning",
    "RelaxationWarning",
    "ON_DIVERGENCE",
]

#: The values every ``on_divergence`` argument accepts, in every lens: ``"raise"`` a
#: :class:`DivergenceError`, ``"warn"`` with a :class:`DivergenceWarning` and return the flagged result, or
#: ``"flag"``: return the flagged result silently.
ON_DIVERGENCE = ("raise", "warn", "flag")


class InputError(ValueError):
    """An invalid value, shape or combination of arguments; the message names the argument."""


class InputTypeError(InputError, TypeError):
    """A wrong Python type or dtype (complex array, bool where an integer is required, ...).

    It subclasses both ``ValueError`` and ``TypeError`` so that callers catching either see it.
    """


class DivergenceError(FloatingPointError):
    """An iterative method produced a non-finite iterate; the message names the iteration."""


class ConvexifyWarning(UserWarning):
    """Base class of convexify's warnings."""


class ConvergenceWarning(ConvexifyWarning):
    """An iterative solver stopped at its iteration cap before meeting its tolerance."""


class DivergenceWarning(ConvexifyWarning, RuntimeWarning):
    """Some runs diverged (non-finite or blown-up iterates) and ``on_divergence="warn"`` was asked for."""


class RelaxationWarning(ConvexifyWarning):
    """A guard of lens 2 fired: the relaxation's exactness theorem does not apply, or the minimiser is not
    unique (see docs/relu.md#guards)."""
