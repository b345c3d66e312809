"""The package itself: build info, CLI, errors, validation helpers, threads."""

from __future__ import annotations

import subprocess
import sys

import numpy as np
import pytest

import convexify
from convexify import InputError, InputTypeError
from convexify._validate import as_array, as_choice, as_int, as_real, same_rows


def test_build_info_fields():
    info = convexify.build_info()
    for key in ("version", "compiler", "cxx_flags", "eigen_version", "eigen_simd", "openmp", "threads"):
        assert key in info
    assert info["version"] == convexify.__version__
    assert info["eigen_version"].startswith("3.")
    assert "-ffast-math" not in info["cxx_flags"]
    assert isinstance(convexify.cuda_available(), bool)


def test_cli_info_runs():
    out = subprocess.run(
        [sys.executable, "-m", "convexify", "info"], capture_output=True, text=True, check=True
    )
    assert "eigen_version" in out.stdout and convexify.__version__ in out.stdout


def test_cli_reproduce_rejects_unknown_lens(tmp_path):
    out = subprocess.run(
        [sys.executable, "-m", "convexify", "reproduce", "--out", str(tmp_path), "--only", "nope"],
        capture_output=True,
        text=True,
    )
    assert out.returncode == 2
    assert "unknown lens" in out.stderr


def test_threads_roundtrip():
    before = convexify.get_num_threads()
    convexify.set_num_threads(2)
    assert convexify.get_num_threads() == 2
    convexify.set_num_threads(before)
    assert convexify.get_num_threads() == before
    with pytest.raises(InputError, match="n"):
        convexify.set_num_threads(0)
    with pytest.raises(TypeError):
        convexify.set_num_threads(1.5)


def test_error_hierarchy():
    assert issubclass(InputError, ValueError)
    assert issubclass(InputTypeError, ValueError) and issubclass(InputTypeError, TypeError)
    assert issubclass(convexify.DivergenceError, FloatingPointError)


def test_core_errors_arrive_as_input_error():
    # std::invalid_argument thrown by the core crosses pybind11 as convexify.InputError.
    with pytest.raises(InputError, match="number of threads"):
        convexify._core.set_num_threads(-3)


def test_as_array_conversions_and_rejections():
    a = as_array([[1, 2], [3, 4]], "X")
    assert a.dtype == np.float64 and a.flags.c_contiguous
    f = np.ones((2, 2), dtype=np.float32)
    assert as_array(f, "X").dtype == np.float64
    assert as_array(f, "X", allow_float32=True).dtype == np.float32
    assert as_array(np.asfortranarray(np.ones((3, 2))), "X").flags.c_contiguous
    raw = np.zeros(6 * 8 + 1, dtype=np.uint8)
    odd = np.frombuffer(raw[1:].data, dtype=np.float64).reshape(3, 2)  # contiguous, one byte off
    assert odd.flags.c_contiguous and not odd.flags.aligned
    assert as_array(odd, "X").flags.aligned
    with pytest.raises(InputTypeError, match="X"):
        as_array(np.ones((2, 2), dtype=complex), "X")
    with pytest.raises(InputTypeError, match="X"):
        as_array(np.ones((2, 2), dtype=bool), "X")
    with pytest.raises(InputTypeError, match="X"):
        as_array("abc", "X")
    with pytest.raises(InputError, match="X must be 2-D"):
        as_array(np.ones(3), "X")
    with pytest.raises(InputError, match="non-empty"):
        as_array(np.ones((0, 3)), "X")
    with pytest.raises(InputError, match="NaN or Inf"):
        as_array([[1.0, np.nan]], "X")
    with pytest.raises(InputError, match="NaN or Inf"):
        as_array([[1.0, np.inf]], "X")


def test_scalar_checks():
    assert as_int(3, "depth", minimum=2) == 3
    assert as_int(np.int64(4), "depth") == 4
    for bad in (True, 2.5, "3", None):
        with pytest.raises(InputTypeError, match="depth"):
            as_int(bad, "depth")
    with pytest.raises(InputError, match="depth must be >= 2"):
        as_int(1, "depth", minimum=2)
    assert as_real(0.5, "gamma", minimum=0.0) == 0.5
    with pytest.raises(InputError, match="gamma"):
        as_real(-1.0, "gamma", minimum=0.0)
    with pytest.raises(InputError, match="gamma"):
        as_real(float("nan"), "gamma")
    with pytest.raises(InputError, match="gamma"):
        as_real(float("inf"), "gamma")
    with pytest.raises(InputError, match="step"):
        as_real(0.0, "step", minimum=0.0, strict_min=True)
    with pytest.raises(InputTypeError, match="gamma"):
        as_real("1", "gamma")
    assert as_choice("dr", "method", ["dr", "closed"]) == "dr"
    with pytest.raises(InputError, match="method"):
        as_choice("x", "method", ["dr", "closed"])
    with pytest.raises(InputError, match="Y must have the same number of rows"):
        same_rows(("X", np.ones((3, 2))), ("Y", np.ones((4, 1))))
