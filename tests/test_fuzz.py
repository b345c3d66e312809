"""Fuzzing the public API: on any input, every public function returns, raises one of convexify's exceptions
(InputError, InputTypeError, DivergenceError) or warns -- never another exception type, a crash or a hang.

Two parts:

* ``test_fuzz[<function>]``: a hypothesis search per public function (arguments: tests/fuzz_cases.py) with
  random shapes, dtypes, memory layouts, special values and junk scalars.  The searches of one lens run in a
  child process (this file run as a script with ``--child``), so that a segfault, an abort or a hang (a
  faulthandler watchdog of ``CONVEXIFY_FUZZ_CALL_TIMEOUT`` seconds per call) fails the function in flight.
  ``CONVEXIFY_FUZZ_EXAMPLES`` (default 25) examples per function; derandomized, so CI is deterministic.
  ``CONVEXIFY_FUZZ_REPORT=path.json`` writes the counts (calls, outcomes, warnings, findings) per function.
* ``test_finding_*``: one minimal, deterministic regression test per known finding, ``xfail(strict=True)``
  while the bug is there (the mark must go once the fix lands).  The sweep skips exactly those patterns:
  :data:`KNOWN_RAISES` and :data:`KNOWN_SKIPS`, each naming its regression test.
"""

from __future__ import annotations

import dataclasses
import json
import os
import re
import subprocess
import sys
import textwrap
import warnings
from pathlib import Path
from typing import Any, Callable, Dict, List, Optional

import numpy as np
import pytest

import convexify
from convexify import branches, convex_nn, gram, linear, relu

HERE = Path(__file__).resolve().parent
if str(HERE) not in sys.path:
    sys.path.insert(0, str(HERE))

from fuzz_cases import ALLOWED, CASES, HAVE_HYPOTHESIS, child_main, lens_of  # noqa: E402

EXAMPLES = int(os.environ.get("CONVEXIFY_FUZZ_EXAMPLES", "25"))
CALL_TIMEOUT = float(os.environ.get("CONVEXIFY_FUZZ_CALL_TIMEOUT", "60"))
CHILD_TIMEOUT = 3600.0  # a backstop only: the per-call watchdog ends a hung child first
needs_hypothesis = pytest.mark.skipif(not HAVE_HYPOTHESIS, reason="hypothesis is not installed")


# ------------------------------------------------------------------------------------------------------------
# Known findings the sweep filters (each entry names the regression test that reproduces it)


def _big_int(args: Dict[str, Any]) -> bool:
    """Some argument is an int outside C's int (or a sequence holding one)."""

    def big(v: Any) -> bool:
        if isinstance(v, (list, tuple)):
            return any(big(x) for x in v)
        return isinstance(v, (int, np.integer)) and not isinstance(v, bool) and not -(2**31) <= v < 2**31

    return any(big(v) for v in args.values())


def _is_int(v: Any, lo: int = 0) -> bool:
    return isinstance(v, (int, np.integer)) and not isinstance(v, bool) and lo <= v < 2**31


def _bad_m_plus(args: Dict[str, Any]) -> bool:
    """m_plus_*: anything but finite float X (n, d) with n, d >= 1, c (n,), u_hint (d,), extra (k, d), a
    Generator and small non-negative ints."""

    def good(a: Any, shape: tuple) -> bool:
        return (
            isinstance(a, np.ndarray)
            and a.dtype.kind == "f"
            and len(a.shape) == len(shape)
            and all(w is None or w == v for v, w in zip(a.shape, shape))
            and bool(np.isfinite(a).all())
        )

    X = args["X"]
    if not good(X, (None, None)) or 0 in X.shape:
        return True
    n, d = X.shape
    ok = good(args["c"], (n,))
    ok &= "u_hint" not in args or good(args["u_hint"], (d,))
    ok &= args.get("extra") is None or good(args["extra"], (None, d))
    ok &= "rng" not in args or isinstance(args["rng"], np.random.Generator)
    ok &= all(_is_int(args[k]) for k in ("n_random", "iterations", "polish_starts", "chunk") if k in args)
    return not ok


@dataclasses.dataclass(frozen=True)
class KnownRaise:
    """A foreign exception (one of the class names ``exc``, "*": any, base classes included) whose message
    matches ``match``, raised by ``fn`` ("*": any function) on arguments for which ``when`` holds."""

    fn: str
    exc: tuple
    match: str
    test: str
    when: Optional[Callable[[Dict[str, Any]], bool]] = None

    def matches(self, e: BaseException, args: Dict[str, Any]) -> bool:
        names = {c.__name__ for c in type(e).__mro__}
        return (
            ("*" in self.exc or bool(names & set(self.exc)))
            and re.search(self.match, str(e)) is not None
            and (self.when is None or self.when(args))
        )


@dataclasses.dataclass(frozen=True)
class KnownSkip:
    """Arguments of ``fn`` that hang or crash today: not called at all."""

    fn: str
    when: Callable[[Dict[str, Any]], bool]
    test: str

    def matches(self, args: Dict[str, Any]) -> bool:
        return self.when(args)


def _huge_depth(args: Dict[str, Any]) -> bool:
    return _big_int({"depth": args["depth"]}) or _is_int(args["depth"], 2**20)


_M_PLUS = ("m_plus_heuristic", "m_plus_exact", "m_plus_upper", "m_plus_sdp")
_HUGE = "test_finding_huge_int"
KNOWN_RAISES: List[KnownRaise] = [
    # Ints beyond C's int: pybind11's TypeError, numpy's "Maximum allowed dimension exceeded", MemoryError.
    KnownRaise("*", ("TypeError",), "incompatible function arguments", _HUGE, _big_int),
    KnownRaise("*", ("ValueError",), "dimension exceeded|too big", _HUGE, _big_int),
    KnownRaise("*", ("MemoryError",), "", _HUGE, _big_int),
    *[
        KnownRaise(f"branches.{f}", ("*",), "", "test_finding_branches_m_plus_unvalidated", _bad_m_plus)
        for f in _M_PLUS
    ],
    KnownRaise("branches.curvature", ("ArpackError",), "", "test_finding_branches_curvature_dead_units"),
    KnownRaise("gram.requirements", ("OverflowError",), "", "test_finding_gram_requirements_tiny_lambda_min"),
    KnownRaise(
        "gram.kernel_prediction", ("OverflowError",), "", "test_finding_gram_kernel_prediction_huge_K"
    ),
    KnownRaise("gram.train_wide", ("LinAlgError",), "", "test_finding_gram_train_wide_huge_X"),
    KnownRaise(
        "relu.unbounded_direction", ("ValueError",), "linprog", "test_finding_relu_unbounded_direction_nan"
    ),
    KnownRaise(
        # RuntimeError is in m_plus_sdp's docstring (no optimum), outside the library's promise all the same.
        "branches.m_plus_sdp",
        ("SolverError", "ValueError", "RuntimeError"),
        "SCS|NaN or Inf|SDP bound",
        "test_finding_branches_m_plus_sdp_huge",
    ),
]

KNOWN_SKIPS: List[KnownSkip] = [
    # A huge depth: gram.empirical_gram / train_wide build one random matrix per layer, unchecked (a minute to
    # MemoryError).
    KnownSkip("gram.empirical_gram", _huge_depth, _HUGE),
    KnownSkip("gram.train_wide", _huge_depth, _HUGE),
]


# ------------------------------------------------------------------------------------------------------------
# The sweep


def _events(text: str) -> List[Dict[str, Any]]:
    out = []
    for line in text.splitlines():
        if line.startswith("{"):
            try:
                out.append(json.loads(line))
            except ValueError:
                pass
    return out


def _run(names: List[str], examples: int, timeout: float) -> Dict[str, Dict[str, Any]]:
    """Run the searches of ``names`` in child processes, in order (a new child after a crash or a hang)."""
    res: Dict[str, Dict[str, Any]] = {
        n: {"done": False, "counts": {}, "warnings": {}, "findings": [], "known": {}} for n in names
    }
    env = dict(os.environ, OMP_NUM_THREADS="1", OPENBLAS_NUM_THREADS="1", MKL_NUM_THREADS="1")
    todo = list(names)
    while todo:
        cmd = [sys.executable, str(Path(__file__)), "--child", str(examples), str(timeout), *todo]
        try:
            p = subprocess.run(
                cmd, capture_output=True, text=True, timeout=CHILD_TIMEOUT, env=env, cwd=HERE.parent
            )
            out, err, rc = p.stdout, p.stderr, p.returncode
        except subprocess.TimeoutExpired as e:
            dec = lambda b: b.decode(errors="replace") if isinstance(b, bytes) else (b or "")  # noqa: E731
            out, err, rc = dec(e.stdout), dec(e.stderr), "timeout"
        current, last = None, None
        for ev in _events(out):
            r = res[ev["fn"]]
            if ev["ev"] == "start":
                current, last = ev["fn"], None
            elif ev["ev"] == "call":
                last = ev["args"]
            elif ev["ev"] == "fail":
                r["findings"].append(f"{ev['kind']} {ev['type']}: {ev['msg']}\n    args: {ev['args']}")
            elif ev["ev"] == "known":
                r["known"][ev["test"]] = r["known"].get(ev["test"], 0) + 1
            elif ev["ev"] == "done":
                r.update(done=True, **{k: ev[k] for k in ("counts", "warnings", "refusals", "seconds")})
        if current is None or res[current]["done"]:
            for n in todo:  # the child died outside a search (before its first one, say)
                if not res[n]["done"]:
                    res[n]["findings"].append(f"child failed (rc={rc}): {err[-2000:]}")
            break
        hang = rc == "timeout" or "Timeout (" in err
        kind = "hang" if hang else f"crash (rc={rc})"
        res[current]["findings"].append(f"{kind}\n    args: {last}\n    stderr: {err[-3000:]}")
        todo = todo[todo.index(current) + 1 :]
    return res


def _run_lens(lens: str) -> Dict[str, Dict[str, Any]]:
    return _run([n for n in CASES if lens_of(n) == lens], EXAMPLES, CALL_TIMEOUT)


_REPORTS: Dict[str, Dict[str, Dict[str, Any]]] = {}


def _report(lens: str) -> Dict[str, Dict[str, Any]]:
    if lens not in _REPORTS:
        _REPORTS[lens] = _run_lens(lens)
        path = os.environ.get("CONVEXIFY_FUZZ_REPORT")
        if path:
            merged = {n: r for rep in _REPORTS.values() for n, r in rep.items()}
            Path(path).write_text(json.dumps(merged, indent=1, sort_keys=True))
    return _REPORTS[lens]


def test_every_public_function_has_a_case():
    missing = []
    for mod in (linear, relu, gram, branches, convex_nn):
        for name in mod.__all__:
            obj = getattr(mod, name)
            if isinstance(obj, type) and (dataclasses.is_dataclass(obj) or issubclass(obj, Warning)):
                continue  # result records and warnings
            if not callable(obj):
                continue  # constants (ACTIVATIONS, ARCHS, LOSSES)
            key = f"{mod.__name__.split('.')[-1]}.{name}"
            if key not in CASES:
                missing.append(key)
    assert "branches.MultiBranchMLP.fit" in CASES
    assert not missing, f"public functions without a fuzz case: {missing}"


@needs_hypothesis
def test_harness_reports_foreign_crash_and_hang():
    res = _run(
        ["selftest.foreign", "selftest.segfault", "selftest.hang", "selftest.ok"], examples=2, timeout=2.0
    )
    assert res["selftest.foreign"]["findings"][0].startswith("foreign builtins.KeyError"), res[
        "selftest.foreign"
    ]
    assert res["selftest.segfault"]["findings"][0].startswith("crash"), res["selftest.segfault"]
    assert "ptr=0" in res["selftest.segfault"]["findings"][0]
    assert res["selftest.hang"]["findings"][0].startswith("hang"), res["selftest.hang"]
    ok = res["selftest.ok"]
    assert ok["done"] and not ok["findings"] and ok["counts"] == {"calls": 2, "returned": 2}, ok


def test_known_findings_have_regression_tests():
    for k in (*KNOWN_RAISES, *KNOWN_SKIPS):
        assert k.fn == "*" or k.fn in CASES, k
        assert callable(globals().get(k.test)) and k.test.startswith("test_finding_"), k


@needs_hypothesis
@pytest.mark.parametrize("name", sorted(CASES))
def test_fuzz(name):
    r = _report(lens_of(name))[name]
    problems = list(r["findings"])
    if not r["done"] and not problems:
        problems.append("the search did not finish")
    assert not problems, f"{name}: {len(problems)} finding(s):\n" + "\n".join(problems)
    assert r["counts"].get("calls", 0) > 0, f"{name}: no call was made"


# ------------------------------------------------------------------------------------------------------------
# Regression tests of the findings (xfail strict while the bug is there)


def _data():
    rng = np.random.default_rng(0)
    return rng.standard_normal((30, 6)), rng.standard_normal((30, 4))


def _call_recording(fn: Callable[[], Any]):
    """(result, exception, warnings) of ``fn()``; only convexify's exceptions are caught."""
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        try:
            return fn(), None, caught
        except ALLOWED as e:
            return None, e, caught


# Fixed on main (bdaeb12, linear-2): linear.solve at scale 1e-155 returned a wrong P* with status 'converged'.
@pytest.mark.parametrize("scaled", ["X", "X, Y and gamma"])
def test_finding_linear_solve_tiny_scale(scaled):
    # P* does not depend on the scale of X (the first layer absorbs it); with Y -> s Y and gamma -> s gamma,
    # P* -> s^2 P*.  Both hold in exact arithmetic; a refusal (||Y||^2 below float64's normal range) is fine.
    X, Y = _data()
    base = linear.solve(X, Y, 2, 0.5).primal_value
    s = 1e-155
    if scaled == "X":
        res, exc, _ = _call_recording(lambda: linear.solve(s * X, Y, 2, 0.5))
        scale = 1.0
    else:
        res, exc, _ = _call_recording(lambda: linear.solve(s * X, s * Y, 2, 0.5 * s))
        scale = s**2
    if exc is None:
        assert res.primal_value / scale == pytest.approx(base, rel=1e-6, abs=0), (
            res.primal_value,
            res.status,
        )
    else:
        assert scaled != "X" and ("range" in str(exc) or "scale" in str(exc)), str(exc)


# Fixed on main (bdaeb12): linear.solve on subnormal X said "weights contains NaN or Inf".
def test_finding_linear_solve_subnormal_scale():
    X, Y = _data()
    base = linear.solve(X, Y, 2, 0.5).primal_value
    res, exc, _ = _call_recording(lambda: linear.solve(1e-310 * X, Y, 2, 0.5))
    if exc is not None:  # refusing subnormal data is fine, blaming arguments the caller never passed is not
        assert "weights" not in str(exc), str(exc)
    else:
        assert res.primal_value == pytest.approx(base, rel=1e-6, abs=0)


@pytest.mark.parametrize("s", [1e-100, 1e80])
def test_finding_relu_lambda_max_scale(s):
    X, _ = _data()
    expected = s * s * relu.lambda_max(X)  # lambda_max(X^T X / n) scales like s^2; finite here
    assert relu.lambda_max(s * X) == pytest.approx(expected, rel=1e-6, abs=0)


def test_finding_branches_tau_min_large_scale():
    X, _ = _data()
    assert branches.tau_min(1e160 * X, 16.0) == pytest.approx(
        1e160 * branches.tau_min(X, 16.0), rel=1e-12, abs=0
    )


def test_finding_gram_matrix_normalize_large_scale():
    X, _ = _data()
    K = gram.gram_matrix(X, 2, normalize=True)
    np.testing.assert_allclose(gram.gram_matrix(1e200 * X, 2, normalize=True), K, rtol=0, atol=1e-12)


def test_finding_gram_spectrum_huge_entries():
    res, exc, _ = _call_recording(lambda: gram.spectrum(1e308 * np.eye(3)))
    if exc is None:
        assert res.lambda_min == pytest.approx(1e308, abs=0) and res.lambda_max == pytest.approx(1e308, abs=0)


# Fixed on main (bdaeb12): linear.train_gd with targets ~1e300 raised numpy's LinAlgError.
def test_finding_linear_train_gd_huge_targets():
    X, Y = _data()
    _call_recording(lambda: linear.train_gd(X, 1e300 * Y, 2, 0.5, max_iter=5))


def test_finding_branches_curvature_dead_units():
    # X = 0: every unit is dead, the a.e. Hessian is 0.
    net = branches.MultiBranchMLP(n_branches=2, width=2, d=6, seed=0)
    y = np.where(np.arange(30) % 2 == 0, 1.0, -1.0)
    res, exc, _ = _call_recording(lambda: branches.curvature(net, np.zeros((30, 6)), y, 1.0))
    if exc is None:
        assert abs(res.lambda_min) <= 1e-12 and abs(res.lambda_max) <= 1e-12


def test_finding_gram_requirements_tiny_lambda_min():
    _call_recording(lambda: gram.requirements(1e-300 * np.eye(3), 2))


def test_finding_relu_newton_huge_labels():
    # The relaxed loss is homogeneous: argmin L_r(w; X, s y) = s argmin L_r(w; X, y), finite for s = 1e300.
    p = relu.planted(30, 4, seed=0)
    base = relu.newton(p.X, p.y)
    s = 1e300
    res, exc, caught = _call_recording(lambda: relu.newton(p.X, s * p.y))
    if exc is None and not any(issubclass(w.category, convexify.DivergenceWarning) for w in caught):
        np.testing.assert_allclose(res.w / s, base.w, rtol=1e-6, atol=1e-9 * np.abs(base.w).max())


def test_finding_gram_kernel_prediction_huge_K():
    _call_recording(lambda: gram.kernel_prediction(-1e300 * np.eye(3), 1.0))


def test_finding_gram_train_wide_huge_X():
    X, _ = _data()
    Xu = X[:8, :4] / np.linalg.norm(X[:8, :4], axis=1, keepdims=True)
    _call_recording(lambda: gram.train_wide(1e299 * Xu, np.sign(X[:8, 0]), 16, 2, iters=3))


def test_finding_branches_gap_bracket_large_scale():
    X = np.random.default_rng(0).standard_normal((8, 4))
    y = np.where(X[:, 0] > 0, 1.0, -1.0)
    kw = dict(width=1, restarts=1, steps=2, rounds=1, n_random_units=4, certify="none")
    assert np.isfinite(branches.gap_bracket(X, y, 1.0, 4.0, [1], **kw)[1].upper)  # fine at scale 1
    res, exc, _ = _call_recording(lambda: branches.gap_bracket(1e100 * X, y, 1.0, 4.0, [1], **kw))
    assert exc is None, exc  # the LP sees Phi / max|Phi|: no scale is too large for it
    b = res[1]
    assert np.isfinite(b.upper) and 0.0 <= b.v_lp <= 1.0
    assert b.lower <= b.v_lp + 1e-9 and b.v_lp <= b.upper + 1e-9


@pytest.mark.parametrize("seed", [-1, 1.5])
def test_finding_branches_model_seed(seed):
    _, exc, _ = _call_recording(lambda: branches.MultiBranchMLP(n_branches=1, width=1, d=2, seed=seed))
    assert isinstance(exc, (convexify.InputError, convexify.InputTypeError)) and "seed" in str(exc), exc


@pytest.mark.parametrize("X_shape", [(3,), None])
def test_finding_linear_default_widths_unvalidated(X_shape):
    _, exc, _ = _call_recording(lambda: linear.default_widths(X_shape, (3, 2), 2))
    assert isinstance(exc, (convexify.InputError, convexify.InputTypeError)) and "X_shape" in str(exc), exc
    assert linear.default_widths((7, 5), (7, 3), 4) == (3, 3, 3)  # min(d0, dH, n) = 3, depth - 1 = 3 copies
    assert linear.default_widths(np.array([2, 5]), (2, 3), 2) == (2,)


def test_finding_relu_planted_dtype():
    _, exc, _ = _call_recording(lambda: relu.planted(2, 2, seed=0, dtype="x"))
    assert isinstance(exc, convexify.InputTypeError) and "dtype" in str(exc), exc


def test_finding_relu_unbounded_direction_nan():
    _call_recording(lambda: relu.unbounded_direction(np.ones((1, 3)), np.array([np.nan])))


@pytest.mark.parametrize("X_scale, c_scale", [(1e300, 1.0), (1.0, 1e300), (1e150, 1.0)])
def test_finding_branches_m_plus_sdp_huge(X_scale, c_scale):
    X, c = X_scale * np.random.default_rng(0).standard_normal((5, 3)), c_scale * np.linspace(-1.0, 1.0, 5)
    _call_recording(lambda: branches.m_plus_sdp(X, c, np.ones(3)))


def test_finding_branches_slice_directions_huge():
    net = branches.MultiBranchMLP(n_branches=3, width=1, d=2, seed=0)
    sols = [(1e300 * (j + 1) * net.U + j, net.a - j) for j in range(3)]
    res, exc, _ = _call_recording(lambda: branches.slice_directions("three_minima", solutions=sols))
    assert exc is None, exc
    # Scale-equivariant: scaling the three solutions by s scales centre and directions by s and leaves the
    # minima's plane coordinates unchanged; centre + M d1 + N d2 gives back each solution.
    small = [(U / 1e300, a / 1e300) for U, a in sols]
    ref = branches.slice_directions("three_minima", solutions=small)
    np.testing.assert_allclose(res.minima, ref.minima, rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(res.d1[0] / 1e300, ref.d1[0], rtol=1e-12, atol=0)
    for (U, _), (M, N) in zip(small, ref.minima):
        np.testing.assert_allclose(ref.centre[0] + M * ref.d1[0] + N * ref.d2[0], U, rtol=1e-9, atol=1e-12)


def test_finding_gram_empirical_gram_arch_array():
    X, _ = _data()
    Xu = X[:3, :3] / np.linalg.norm(X[:3, :3], axis=1, keepdims=True)
    _, exc, _ = _call_recording(lambda: gram.empirical_gram(Xu, 5, 1, arch=np.array([1.0, 2.0])))
    assert isinstance(exc, convexify.InputTypeError) and "arch" in str(exc), exc


_C8 = np.linspace(-1.0, 1.0, 8)


@pytest.mark.parametrize(
    "call",
    [
        pytest.param(lambda: branches.m_plus_upper(_C8, _C8), id="upper-X-1d-AxisError"),
        pytest.param(lambda: branches.m_plus_exact(np.zeros((8, 0)), _C8), id="exact-d0-ValueError"),
        pytest.param(lambda: branches.m_plus_heuristic(np.ones((8, 2)), _C8, 0), id="heuristic-rng-int"),
        pytest.param(lambda: branches.m_plus_sdp([], np.zeros(0), np.zeros(0)), id="sdp-X-list"),
        pytest.param(
            lambda: branches.m_plus_sdp(np.ones((8, 2)), np.where(_C8 > 0.9, np.nan, _C8), np.ones(2)),
            id="sdp-c-nan",
        ),
    ],
)
def test_finding_branches_m_plus_unvalidated(call):
    _call_recording(call)


_ISOLATED = """
import json, os, resource, sys, warnings
limit = int(float(os.environ.get("CONVEXIFY_FUZZ_MEMORY_GB", "4")) * 2**30)
if limit > 0:
    resource.setrlimit(resource.RLIMIT_AS, (limit, limit))
import numpy as np
import convexify
from convexify import branches, gram, linear, relu
convexify.set_num_threads(1)
rng = np.random.default_rng(0)
X, Y = rng.standard_normal((30, 6)), rng.standard_normal((30, 4))
warnings.simplefilter("ignore")
try:
    {code}
    out = "ok"
except (convexify.InputError, convexify.InputTypeError, convexify.DivergenceError) as e:
    out = "allowed " + type(e).__name__
except BaseException as e:
    out = "foreign " + type(e).__module__ + "." + type(e).__name__ + ": " + str(e)[:200]
print(json.dumps(out), flush=True)
"""


def _isolated(code: str, timeout: float = 10.0) -> str:
    """Outcome of ``code`` in a fresh interpreter (4 GB of memory): ok, allowed, foreign, timeout or crash."""
    env = dict(os.environ, OMP_NUM_THREADS="1", OPENBLAS_NUM_THREADS="1")
    src = textwrap.dedent(_ISOLATED).replace("{code}", code)
    try:
        p = subprocess.run(
            [sys.executable, "-c", src], capture_output=True, text=True, timeout=timeout, env=env
        )
    except subprocess.TimeoutExpired:
        return f"timeout after {timeout} s"
    lines = p.stdout.strip().splitlines()
    if p.returncode != 0 or not lines:
        return f"crash rc={p.returncode}: {p.stderr[-500:]}"
    return json.loads(lines[-1])


_HUGE_INT_FINDING = "pybind11's TypeError 'incompatible function arguments' (or a hang) instead of InputError"


@pytest.mark.parametrize(
    "code",
    [
        "linear.solve(X, Y, depth=2**31, gamma=0.5)",  # fixed on main (bdaeb12): hung building 2**31 widths
        pytest.param(
            "gram.gram_matrix(X, depth=2**31, normalize=True)",
        ),
        "linear.prox_topk(np.arange(4.0), k=2**63)",  # fixed on main (bdaeb12): pybind11's TypeError
        pytest.param(
            "branches.MultiBranchMLP(n_branches=1, width=2**64, d=2)",
        ),
        pytest.param(
            "gram.empirical_gram(X / np.linalg.norm(X, axis=1, keepdims=True), width=2**63, depth=1)",
        ),
        pytest.param(
            "gram.empirical_gram(X / np.linalg.norm(X, axis=1, keepdims=True), width=4, depth=2**63)",
        ),
        pytest.param(
            "relu.planted(n=2, d=2, n_test=2**63)",
        ),
        "convexify.set_num_threads(2**31)",
    ],
)
def test_finding_huge_int(code):
    out = _isolated(code)
    assert out == "ok" or out.startswith("allowed"), f"{code}: {out}"


if __name__ == "__main__" and len(sys.argv) > 1 and sys.argv[1] == "--child":
    child_main(sys.argv[2:], KNOWN_RAISES, KNOWN_SKIPS)
