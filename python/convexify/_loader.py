"""Import of the compiled core: one extension module per instruction-set level, the widest the CPU supports.

The build compiles the whole C++ core once per x86-64 level into ``convexify._core_baseline`` (x86-64, SSE2),
``convexify._core_avx2`` (x86-64-v3: AVX2, FMA, BMI2) and ``convexify._core_avx512`` (x86-64-v4: AVX-512
F/BW/CD/DQ/VL); other architectures get ``_core_baseline`` alone.  At ``import convexify`` this module picks
one (the same pattern as faiss's ``loader.py``):

1. ``CONVEXIFY_ISA=baseline|avx2|avx512|native`` in the environment, when that module is built and the CPU
   runs it (``native`` is a ``-march=native`` build, made only on request, for benchmarks);
2. else the widest level the CPU supports (read from ``/proc/cpuinfo`` on Linux, else from numpy's
   ``__cpu_features__``) among the modules built.

It is registered as ``convexify._core``: a module object whose attributes are the chosen module's, so
``from convexify import _core`` works as it always has.  :func:`use` swaps them in place (the same object),
which is the in-process way to run a lower level (``convexify.set_simd_level``, for tests and comparisons).
:data:`choice` records the level loaded and why (``convexify info``).  Docs: docs/performance.md.
"""

from __future__ import annotations

import importlib
import importlib.machinery
import importlib.util
import os
import platform
import sys
import types
import warnings
from typing import Dict, FrozenSet, Optional, Tuple

__all__ = ["LEVELS", "ENV", "cpu_levels", "built_levels", "choose", "install", "use", "module", "choice"]

#: The automatic levels, narrowest first.
LEVELS = ("baseline", "avx2", "avx512")
#: Levels that exist as modules but are never picked automatically.
EXTRA_LEVELS = ("native",)
#: The environment variable that overrides the automatic choice.
ENV = "CONVEXIFY_ISA"

_PACKAGE = __name__.rpartition(".")[0]
_CORE = f"{_PACKAGE}._core"

# CPU flags (as /proc/cpuinfo spells them) each level's code may use: x86-64-v2 and v3 for "avx2", v4 for
# "avx512" (the psABI's micro-architecture levels, which GCC's and Clang's -march=x86-64-v3/v4 target).
_V2 = {"cx16", "lahf_lm", "popcnt", "sse4_1", "sse4_2", "ssse3"}
_V3 = _V2 | {"avx", "avx2", "bmi1", "bmi2", "f16c", "fma", "abm", "movbe", "xsave"}
_V4 = _V3 | {"avx512f", "avx512bw", "avx512cd", "avx512dq", "avx512vl"}
# The same in numpy's feature names (numpy cannot see BMI, LZCNT or MOVBE; CPUs with AVX2 and FMA have them).
_NP_V3 = {"AVX", "AVX2", "FMA3", "F16C", "POPCNT", "SSE42"}
_NP_V4 = _NP_V3 | {"AVX512F", "AVX512CD", "AVX512_SKX"}

#: (level, reason) of the module loaded as ``convexify._core``; set by :func:`install`.
choice: Tuple[str, str] = ("", "not loaded yet")
_modules: Dict[str, types.ModuleType] = {}
_proxy: Optional[types.ModuleType] = None


def _is_x86_64() -> bool:
    return platform.machine().lower() in ("x86_64", "amd64")


def _cpuinfo_flags() -> Optional[FrozenSet[str]]:
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("flags"):
                    return frozenset(line.partition(":")[2].split())
    except OSError:
        pass
    return None


def _numpy_features() -> FrozenSet[str]:
    try:
        try:
            from numpy._core._multiarray_umath import __cpu_features__ as feats
        except ImportError:  # numpy < 2
            from numpy.core._multiarray_umath import __cpu_features__ as feats
    except ImportError:
        return frozenset()
    return frozenset(k for k, v in feats.items() if v)


def cpu_levels() -> Tuple[str, ...]:
    """The levels this CPU (and operating system) runs, narrowest first; ``("baseline",)`` off x86-64."""
    if not _is_x86_64():
        return ("baseline",)
    flags = _cpuinfo_flags()
    if flags is not None:
        v3, v4 = _V3 <= flags, _V4 <= flags
    else:
        feats = _numpy_features()
        v3, v4 = _NP_V3 <= feats, _NP_V4 <= feats
    return LEVELS[: 1 + int(v3) + int(v3 and v4)]


def built_levels() -> Tuple[str, ...]:
    """The levels whose modules this installation has (automatic levels first, then ``native``)."""
    return tuple(
        lv for lv in LEVELS + EXTRA_LEVELS if importlib.util.find_spec(f"{_PACKAGE}._core_{lv}") is not None
    )


def choose(requested: Optional[str] = None) -> Tuple[str, str]:
    """(level, reason): the module to load for ``requested`` (default: the environment's CONVEXIFY_ISA)."""
    if requested is None:
        requested = os.environ.get(ENV, "")
    requested = requested.strip().lower()
    if requested == "generic":  # the name of the baseline level before 0.2
        requested = "baseline"
    cpu = cpu_levels()
    built = built_levels()
    usable = [lv for lv in LEVELS if lv in cpu and lv in built]
    if not usable:
        raise ImportError(
            f"convexify: no compiled core this CPU can run (built: {', '.join(built) or 'none'}; CPU: "
            f"{', '.join(cpu)}). Reinstall convexify (pip install .) on this machine."
        )
    best = usable[-1]
    auto = f"widest level this CPU supports ({', '.join(cpu)}) among those built ({', '.join(built)})"
    if requested in ("", "auto"):
        return best, auto
    if requested == "native":
        if "native" in built:
            return "native", f"{ENV}=native (a -march=native build of this machine)"
        problem = "no native module was built (CONVEXIFY_ISA_LEVELS)"
    elif requested not in LEVELS:
        problem = f"unknown level (one of {', '.join(LEVELS + EXTRA_LEVELS)})"
    elif requested not in built:
        problem = "that module was not built (CONVEXIFY_ISA_LEVELS)"
    elif requested not in cpu:
        problem = "this CPU does not support it"
    else:
        return requested, f"{ENV}={requested}"
    warnings.warn(f"convexify: ignoring {ENV}={requested!r}: {problem}; using {best!r}", RuntimeWarning, 2)
    return best, f"{ENV}={requested!r} ignored ({problem}); {auto}"


def module(level: str) -> types.ModuleType:
    """The extension module of ``level`` (imported on first use; several levels may share a process)."""
    mod = _modules.get(level)
    if mod is None:
        mod = importlib.import_module(f"{_PACKAGE}._core_{level}")
        _modules[level] = mod
    return mod


def _fill(proxy: types.ModuleType, mod: types.ModuleType) -> None:
    keep = {"__name__", "__spec__", "__loader__", "__package__"}
    for key in [k for k in proxy.__dict__ if k not in keep]:
        del proxy.__dict__[key]
    proxy.__dict__.update({k: v for k, v in mod.__dict__.items() if k not in keep})
    proxy.__spec__ = importlib.machinery.ModuleSpec(_CORE, None, origin=getattr(mod, "__file__", None))


def use(level: str, reason: str) -> None:
    """Make ``convexify._core`` the module of ``level``, in place (``from convexify import _core`` sees it).

    The thread setting of the core carries over.  Results made before keep the classes of their own module.
    """
    global choice
    assert _proxy is not None, "install() first"
    old = _modules.get(choice[0])
    mod = module(level)
    if old is not None and old is not mod and old.num_threads() != mod.num_threads():
        mod.set_num_threads(old.num_threads())
    choice = (level, reason)
    _fill(_proxy, mod)


def install() -> types.ModuleType:
    """Load the chosen level and register it as ``convexify._core`` (once; later calls return it)."""
    global _proxy
    if _proxy is not None:
        return _proxy
    level, reason = choose()
    proxy = types.ModuleType(
        _CORE, "convexify's compiled core at one instruction-set level (see _loader.py)."
    )
    proxy.__package__ = _PACKAGE
    _proxy = proxy
    try:
        use(level, reason)
    except BaseException:
        _proxy = None
        raise
    sys.modules[_CORE] = proxy
    sys.modules[_PACKAGE]._core = proxy
    return proxy
