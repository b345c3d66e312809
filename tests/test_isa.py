"""The per-instruction-set-level core modules and their loader (convexify/_loader.py, docs/performance.md).

Every level this CPU runs is imported in this process (convexify.set_simd_level) and must compute what the
others compute; the loader's choice, its environment override and its fallbacks are checked in subprocesses
and, for CPUs and builds this machine is not, with the CPU's and the build's levels replaced.
"""

from __future__ import annotations

import os
import subprocess
import sys

import numpy as np
import pytest

import convexify
from convexify import _core, _loader

LEVELS = [lv for lv in _loader.LEVELS if lv in _loader.cpu_levels() and lv in _loader.built_levels()]


@pytest.fixture
def level_restored():
    before = convexify.get_simd_level()
    yield
    if before in _loader.LEVELS:
        convexify.set_simd_level(before)


def _run(code: str, **env: str) -> subprocess.CompletedProcess:
    full = {k: v for k, v in os.environ.items() if k != _loader.ENV}
    full.update(env)
    return subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=full, check=True)


def test_the_loaded_core_is_the_widest_level_the_cpu_runs():
    assert os.environ.get(_loader.ENV, "") in ("", "auto") or pytest.skip("CONVEXIFY_ISA is set")
    assert convexify.get_simd_level() == LEVELS[-1] == convexify.simd_supported()
    assert _core.build_info["isa"] == LEVELS[-1]
    assert _core.simd_level() == LEVELS[-1]
    assert "widest level" in convexify.build_info()["simd_reason"]


def test_import_loads_one_level_only():
    out = _run(
        "import sys, convexify\n"
        "print(sorted(m for m in sys.modules if m.startswith('convexify._core')))\n"
        "print(sys.modules['convexify._core'] is convexify._core)\n"
    )
    lines = out.stdout.splitlines()
    assert lines[0] == repr(sorted(["convexify._core", f"convexify._core_{LEVELS[-1]}"]))
    assert lines[1] == "True"


@pytest.mark.parametrize("level", LEVELS)
def test_every_level_module_is_compiled_for_its_level(level):
    mod = _loader.module(level)
    info = mod.build_info
    assert info["isa"] == level and mod.simd_level() == level
    eigen = info["eigen_simd"]
    # Eigen's own report of the instructions its kernels use: the level reaches Eigen, not only our kernels.
    assert ("AVX512" in eigen) == (level == "avx512")
    assert ("AVX" in eigen) == (level != "baseline")
    if sys.platform.startswith("linux") and _loader._is_x86_64():
        # -march=x86-64-vN, or the same features spelt out by compilers older than GCC 11 / Clang 12
        want = {
            "baseline": ("x86-64 ",),
            "avx2": ("x86-64-v3", "-mavx2"),
            "avx512": ("x86-64-v4", "-mavx512f"),
        }
        assert any(w in info["march"] + " " for w in want[level])


@pytest.mark.parametrize("level", LEVELS)
def test_environment_override(level):
    out = _run(
        "import convexify\n"
        "from convexify import _core\n"
        "print(convexify.get_simd_level(), _core.build_info['isa'])\n"
        "print(convexify.build_info()['simd_reason'])\n",
        CONVEXIFY_ISA=level,
    )
    lines = out.stdout.splitlines()
    assert lines[0] == f"{level} {level}"
    assert lines[1] == f"CONVEXIFY_ISA={level}"
    assert "Warning" not in out.stderr


@pytest.mark.parametrize("value", ["sse9", "native"] + ([] if "avx512" in LEVELS else ["avx512"]))
def test_environment_override_that_cannot_be_honoured_warns_and_falls_back(value):
    if value == "native" and "native" in _loader.built_levels():
        pytest.skip("this build has a native module")
    out = _run("import convexify\nprint(convexify.get_simd_level())\n", CONVEXIFY_ISA=value)
    assert out.stdout.strip() == LEVELS[-1]
    assert "RuntimeWarning" in out.stderr and f"ignoring CONVEXIFY_ISA={value!r}" in out.stderr


@pytest.mark.parametrize(
    "cpu, built, requested, want",
    [
        (("baseline",), ("baseline", "avx2", "avx512"), "", "baseline"),
        (("baseline", "avx2"), ("baseline", "avx2", "avx512"), "", "avx2"),
        (("baseline", "avx2", "avx512"), ("baseline", "avx2", "avx512"), "", "avx512"),
        (("baseline", "avx2", "avx512"), ("baseline", "avx2", "avx512"), "avx2", "avx2"),
        (("baseline", "avx2", "avx512"), ("baseline", "avx2", "avx512"), " AVX2 ", "avx2"),
        (("baseline", "avx2", "avx512"), ("baseline", "avx2", "avx512"), "generic", "baseline"),
        (("baseline", "avx2", "avx512"), ("baseline",), "", "baseline"),  # a one-level (sanitizer) build
        (("baseline", "avx2", "avx512"), ("baseline", "avx2"), "avx512", "avx2"),
        (("baseline", "avx2"), ("baseline", "avx2", "avx512"), "avx512", "avx2"),
        (("baseline", "avx2"), ("baseline", "avx2", "native"), "native", "native"),
        (("baseline", "avx2"), ("baseline", "avx2", "native"), "", "avx2"),
    ],
)
def test_choice(monkeypatch, cpu, built, requested, want):
    monkeypatch.setattr(_loader, "cpu_levels", lambda: cpu)
    monkeypatch.setattr(_loader, "built_levels", lambda: built)
    honoured = requested.strip().lower() in ("", want) or (requested == "generic" and want == "baseline")
    if honoured:
        level, reason = _loader.choose(requested)
    else:
        with pytest.warns(RuntimeWarning, match="ignoring CONVEXIFY_ISA"):
            level, reason = _loader.choose(requested)
        assert "ignored" in reason
    assert level == want


def test_no_usable_module_is_an_import_error(monkeypatch):
    monkeypatch.setattr(_loader, "cpu_levels", lambda: ("baseline",))
    monkeypatch.setattr(_loader, "built_levels", lambda: ("avx2",))
    with pytest.raises(ImportError, match="no compiled core this CPU can run"):
        _loader.choose("")


def test_cpu_levels_from_numpy_agree_with_proc_cpuinfo(monkeypatch):
    if not (sys.platform.startswith("linux") and _loader._is_x86_64()):
        pytest.skip("x86-64 Linux only")
    want = _loader.cpu_levels()
    monkeypatch.setattr(_loader, "_cpuinfo_flags", lambda: None)
    assert _loader.cpu_levels() == want


def test_switching_keeps_the_module_object_and_the_threads(level_restored):
    core = convexify._core
    n = convexify.get_num_threads()
    for level in LEVELS[::-1] + LEVELS[1:]:
        switched = level != convexify.get_simd_level()
        convexify.set_simd_level(level)
        assert convexify._core is core and sys.modules["convexify._core"] is core
        assert core.build_info["isa"] == level and core.simd_level() == level
        assert core.relu_gd is _loader.module(level).relu_gd
        assert convexify.get_num_threads() == n
        if switched:
            assert convexify.build_info()["simd_reason"] == f"convexify.set_simd_level({level!r})"


def _lens_results(rng_seed: int = 3):
    from convexify import gram, linear, relu
    from convexify.branches._model import loss_gradient

    rng = np.random.default_rng(rng_seed)
    X = rng.standard_normal((40, 6))
    Y = X @ rng.standard_normal((6, 3))
    out = {}
    sol = linear.solve(X, Y, depth=2, gamma=0.5, method="closed")
    out["linear_closed"] = sol.M
    out["linear_dr_obj"] = np.array([linear.solve(X, Y, depth=2, gamma=0.5, tol=1e-9).primal_value])
    out["gram"] = gram.gram_matrix(X, 3, normalize=True)
    y = np.maximum(X[:, 0], 0.0)
    W = rng.standard_normal((5, 6))
    out["relu_grad"] = relu.gradient(W, X, y)
    out["relu_gd"] = relu.gd(X, y, W[:1], step=1e-2, iters=20, check=False, classify=False).W
    U = rng.standard_normal((8, 6))
    a = rng.standard_normal(8)
    lab = np.sign(X[:, 1] + 0.1)
    r = loss_gradient(X, lab, U, a, 2, 1.0, "hinge")
    out["branches"] = np.concatenate([[r.loss], np.ravel(r.grad_U), np.ravel(r.grad_a)])
    return out


def test_every_lens_agrees_across_levels(level_restored):
    results = {}
    for level in LEVELS:
        convexify.set_simd_level(level)
        results[level] = _lens_results()
    base = results[LEVELS[0]]
    for level in LEVELS[1:]:
        for key, want in base.items():
            np.testing.assert_allclose(results[level][key], want, rtol=1e-8, atol=1e-10, err_msg=key)


def test_info_names_the_level_and_why():
    out = _run("from convexify.cli import main\nmain(['info'])\n", CONVEXIFY_ISA=LEVELS[0])
    text = out.stdout
    assert "simd_level" in text and f"CONVEXIFY_ISA={LEVELS[0]}" in text
    assert f"_core_{LEVELS[0]}" in text
