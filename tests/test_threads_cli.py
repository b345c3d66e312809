"""One thread knob for all compute (core and BLAS); a command line that answers bad options in one line."""

from __future__ import annotations

import subprocess
import sys

import pytest

import convexify

threadpoolctl = pytest.importorskip("threadpoolctl")


def _blas_threads():
    return {i["internal_api"]: i["num_threads"] for i in threadpoolctl.threadpool_info()}


def test_threads_context_caps_core_and_blas_and_restores():
    convexify.set_num_threads(2)
    try:
        assert convexify.get_num_threads() == 2
        assert all(n <= 2 for n in _blas_threads().values())
        with convexify.threads(1):
            assert convexify.get_num_threads() == 1
            assert all(n == 1 for n in _blas_threads().values())
        assert convexify.get_num_threads() == 2
    finally:
        convexify.set_num_threads(1)
    assert all(n == 1 for n in _blas_threads().values())


@pytest.mark.parametrize("bad", [0, -1, 2**31, 2**63])
def test_set_num_threads_rejects_out_of_range_counts(bad):
    with pytest.raises(convexify.InputError, match="n must be"):
        convexify.set_num_threads(bad)
    with pytest.raises(convexify.InputError, match="n must be"):
        with convexify.threads(bad):
            pass


def _cli(*args):
    return subprocess.run([sys.executable, "-m", "convexify", *args], capture_output=True, text=True)


def test_cli_version():
    out = _cli("--version")
    assert out.returncode == 0 and out.stdout.strip() == f"convexify {convexify.__version__}"


@pytest.mark.parametrize(
    "args, option",
    [
        (("reproduce", "--threads", "0"), "--threads"),
        (("reproduce", "--threads", "x"), "--threads"),
        (("reproduce", "--bogus"), "--bogus"),
    ],
)
def test_cli_bad_option_is_one_line_naming_it(args, option):
    out = _cli(*args)
    assert out.returncode == 2
    lines = out.stderr.strip().splitlines()
    assert len(lines) == 1 and option in lines[0] and "Traceback" not in out.stderr
