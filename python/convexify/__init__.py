"""convexify: convex lenses on neural networks, computed fast and checked against the theory.

Lenses (one subpackage each, listed in ``convexify._lenses``):

* :mod:`convexify.linear` -- deep linear networks and their convex dual (Zhang, Shao & Salakhutdinov 2019).
* :mod:`convexify.relu` -- the shallow ReLU neuron and its convex relaxation (Ergen & Pilanci 2019).
* :mod:`convexify.gram` -- Gram matrices of wide networks (Du, Lee, Li, Wang & Zhai 2019).
* :mod:`convexify.branches` -- multi-branch networks and the duality gap (Zhang et al. 2019).

Conventions (docs/conventions.md): samples are rows, ``X`` has shape ``(n, d)``; weights are stored
``(out_features, in_features)`` like ``torch.nn.Linear.weight``; float64 by default.
"""

from __future__ import annotations

from importlib import import_module
from typing import Any

from . import _loader

# The compiled core: the module of the widest instruction-set level this CPU runs, as convexify._core.
_loader.install()

from ._dask import sweep  # noqa: E402
from ._errors import (  # noqa: E402
    ConvergenceWarning,
    ConvexifyWarning,
    DivergenceError,
    DivergenceWarning,
    InputError,
    InputTypeError,
    RelaxationWarning,
)
from ._info import build_info, cuda_available  # noqa: E402
from ._lenses import LENS_NAMES  # noqa: E402
from ._simd import get_simd_level, set_simd_level, simd_supported  # noqa: E402
from ._threads import get_num_threads, set_num_threads, threads  # noqa: E402

__version__ = "0.1.0"

__all__ = [
    "InputError",
    "InputTypeError",
    "DivergenceError",
    "ConvexifyWarning",
    "ConvergenceWarning",
    "DivergenceWarning",
    "RelaxationWarning",
    "set_num_threads",
    "get_num_threads",
    "threads",
    "set_simd_level",
    "get_simd_level",
    "simd_supported",
    "build_info",
    "cuda_available",
    "sweep",
    "__version__",
]


def __getattr__(name: str) -> Any:
    # Lens modules are imported lazily so that `import convexify` stays cheap.
    if name in LENS_NAMES:
        module = import_module(f"{__name__}.{name}")
        globals()[name] = module
        return module
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
