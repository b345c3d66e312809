"""Build and runtime information (`convexify info`)."""

from __future__ import annotations

import os
import platform
from typing import Any, Dict

from . import _core, _loader
from ._simd import simd_supported

__all__ = ["build_info", "cuda_available", "info_text"]


def cuda_available() -> bool:
    """True when the CUDA kernels were compiled in and at least one GPU is visible."""
    fn = getattr(_core, "cuda_device_count", None)
    return bool(_core.build_info.get("cuda_compiled", False)) and fn is not None and fn() > 0


def _cpu_name() -> str:
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    return line.partition(":")[2].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def build_info() -> Dict[str, Any]:
    """Version, compiler, flags, Eigen version and SIMD, OpenMP, threads, CUDA status, and the instruction-set
    level of the core: ``isa``/``simd_level`` the module loaded, ``simd_reason`` why, ``simd_supported`` the
    widest level this CPU runs among those installed, ``simd_cpu`` the levels this CPU runs, ``simd_built``
    the levels installed, ``cpu`` the CPU's name."""
    info = dict(_core.build_info)
    info["threads"] = int(_core.num_threads())
    info["OMP_NUM_THREADS"] = os.environ.get("OMP_NUM_THREADS")
    info["simd_level"] = _loader.choice[0]
    info["simd_reason"] = _loader.choice[1]
    info["simd_supported"] = simd_supported()
    info["simd_cpu"] = ", ".join(_loader.cpu_levels())
    info["simd_built"] = ", ".join(_loader.built_levels())
    info["core_module"] = os.path.basename(getattr(_core, "__file__", "") or "")
    info["cpu"] = _cpu_name()
    info["python"] = platform.python_version()
    info["machine"] = platform.machine()
    fn = getattr(_core, "cuda_device_count", None)
    info["cuda_devices"] = int(fn()) if (info.get("cuda_compiled") and fn is not None) else 0
    names = getattr(_core, "cuda_device_names", None)
    info["cuda_device_names"] = list(names()) if (info["cuda_devices"] and names is not None) else []
    from ._cuda import cuda_reason

    info["cuda_status"] = cuda_reason() or "usable"
    if not info.get("march"):
        info["march"] = "(the compiler's default flags)"
    return info


def info_text() -> str:
    info = build_info()
    width = max(len(k) for k in info)
    return "\n".join(f"{k:<{width}}  {v}" for k, v in info.items())
