"""Device selection for the optional CUDA kernels (``device="auto" | "cpu" | "cuda"``)."""

from __future__ import annotations

from . import _core
from ._validate import as_choice

__all__ = ["DEVICES", "resolve_device", "cuda_reason"]

DEVICES = ("auto", "cpu", "cuda")


def cuda_reason() -> str:
    """Why the CUDA path is unusable ("" when it is usable)."""
    if not _core.build_info.get("cuda_compiled", False):
        return (
            "convexify was built without CUDA (rebuild with nvcc on PATH, or "
            "pip install . -C cmake.define.CONVEXIFY_CUDA=ON)"
        )
    if _core.cuda_device_count() <= 0:
        return f"no usable GPU: {_core.cuda_unavailable_reason()}"
    return ""


def resolve_device(device: str, supported: bool = True, what: str = "this computation") -> str:
    """Return "cpu" or "cuda" for the requested ``device``.

    ``"cuda"`` without a usable GPU (or for a case the kernels do not cover, ``supported=False``) raises
    ``RuntimeError`` saying why; ``"auto"`` falls back to the CPU.
    """
    device = as_choice(device, "device", DEVICES)
    if device == "cpu":
        return "cpu"
    reason = cuda_reason()
    if device == "cuda":
        if reason:
            raise RuntimeError(f"device='cuda': {reason}")
        if not supported:
            raise RuntimeError(f"device='cuda': the CUDA kernels do not cover {what}; use device='cpu'")
        return "cuda"
    return "cuda" if (not reason and supported) else "cpu"
