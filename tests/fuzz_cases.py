"""Argument generators for tests/test_fuzz.py and the child-process driver that runs the hypothesis searches.

Every public function of the four lenses (and the thread / SIMD knobs) has a *case*: a function of a
:class:`Draw` (a thin wrapper over hypothesis' ``data``) that returns ``(thunk, args)``: a zero-argument
callable that makes the call, and the arguments (for the failure message).  Arrays are not drawn element by
element: a small *recipe* (seed, shape mutation, value kind, dtype, memory layout) is drawn and the array is
built with numpy from it, so that an example is cheap and hypothesis stays deterministic.

The driver (:func:`child_main`) runs one hypothesis search per function in *this* process and reports on
stdout one JSON line per event; the parent (tests/test_fuzz.py) runs it in a child process so that a
segfault, an abort or a hang (a faulthandler watchdog per call) is reported against the function and the
arguments in flight.
"""

from __future__ import annotations

import faulthandler
import json
import os
import resource
import sys
import time
import warnings
from collections import Counter
from typing import Any, Callable, Dict, List, Sequence, Tuple

import numpy as np

try:
    from hypothesis import HealthCheck, Phase, given, settings
    from hypothesis import strategies as st
except ImportError:  # the regression tests of tests/test_fuzz.py run without hypothesis; the sweep skips
    HAVE_HYPOTHESIS = False
else:
    HAVE_HYPOTHESIS = True

import convexify
from convexify import branches, convex_nn, gram, linear, relu

ALLOWED = (convexify.InputError, convexify.InputTypeError, convexify.DivergenceError)
DOCUMENTED_WARNINGS = (convexify.ConvexifyWarning,)

# Scalars of the wrong kind (or at the edge of the right kind), substituted for any scalar argument.
JUNK: Tuple[Any, ...] = (
    None,
    "x",
    "",
    -1,
    0,
    2**31,
    2**63,
    -(2**63),
    2**64,
    1.5,
    -0.5,
    float("nan"),
    float("inf"),
    float("-inf"),
    True,
    False,
    1e300,
    -1e300,
    5e-324,
    1 + 1j,
    [1, 2],
    (),
    np.int64(3),
    np.float32(0.5),
    np.array([1.0, 2.0]),
)

DTYPES: Tuple[Any, ...] = (
    np.float32,
    np.float16,
    np.int64,
    np.int8,
    np.uint64,
    np.bool_,
    np.complex128,
    object,
    ">f8",
    "U3",
    "list",
)

# Value kinds: scale factors, and special values sprinkled in.
SCALES = (1e300, 1e-300, 5e-324, 0.0, 1e155, 1e-155, 1e-310, -1e300)
SPECIALS = (np.nan, np.inf, -np.inf, 1e300, 5e-324)

Case = Callable[["Draw"], Tuple[Callable[[], Any], Dict[str, Any]]]


class Draw:
    """Draws from hypothesis' ``data``: valid values most of the time, edge cases and junk otherwise."""

    def __init__(self, data: Any) -> None:
        self.data = data
        # At most this many arguments of an example are made wrong (0: all valid up to their values), so that
        # most examples get past validation and reach the compiled core.
        self.left = self.pick([0, 0, 1, 1, 1, 2, 3])

    def bad(self, k: int) -> bool:
        """A chance of ``k`` in 10 to make this argument wrong, within the example's budget."""
        if self.left <= 0 or not self.chance(k):
            return False
        self.left -= 1
        return True

    def int_(self, lo: int, hi: int) -> int:
        return self.data.draw(st.integers(lo, hi))

    def pick(self, seq: Sequence[Any]) -> Any:
        return self.data.draw(st.sampled_from(list(seq)))

    def chance(self, k: int, of: int = 10) -> bool:
        return self.int_(0, of - 1) < k

    def either(self, valid: Sequence[Any], wrong: Sequence[Any], k: int = 2) -> Any:
        """One of ``valid``, or (within the budget) one of ``wrong``."""
        return self.pick(wrong) if self.bad(k) else self.pick(valid)

    def junk(self) -> Any:
        return self.pick(JUNK)

    def i(self, lo: int, hi: int, junk: int = 2) -> Any:
        """An int in [lo, hi], or (``junk`` in 10) a junk scalar."""
        return self.junk() if self.bad(junk) else self.int_(lo, hi)

    def f(self, lo: float, hi: float, junk: int = 2) -> Any:
        """A float in [lo, hi] (often an end point), or junk."""
        if self.bad(junk):
            return self.junk()
        kind = self.int_(0, 4)
        if kind == 0:
            return float(lo)
        if kind == 1:
            return float(hi)
        return lo + (hi - lo) * self.int_(0, 1000) / 1000.0

    def s(self, options: Sequence[str], junk: int = 2) -> Any:
        return self.junk() if self.bad(junk) else self.pick(options)

    def b(self, junk: int = 2) -> Any:
        return self.junk() if self.bad(junk) else self.pick([False, True])

    def n_d(self) -> Tuple[int, int]:
        """Sample count and dimension: 1..8 (tall, wide, square), or (within the budget) 0."""
        n = 0 if self.bad(1) else self.pick([1, 2, 3, 5, 8, 8])
        d = 0 if self.bad(1) else self.pick([1, 2, 3, 4, 6, 8])
        return n, d

    def arr(
        self,
        shape: Sequence[int],
        *,
        kind: str = "normal",
        mutate: int = 3,
        values: int = 3,
        dtype: int = 3,
        layout: int = 4,
    ) -> Any:
        """An array built from a drawn recipe; ``mutate``/``values``/``dtype``/``layout`` in 10 are the
        chances of a wrong shape, special values, another dtype and another memory layout."""
        seed = self.int_(0, 2**16)
        rng = np.random.default_rng(seed)
        shape = tuple(shape)
        if self.bad(mutate):
            m = self.int_(0, 6)
            if m == 0:
                shape = ()
            elif m == 1:
                shape = shape + (2,)
            elif m == 2:
                shape = shape[:-1]
            elif m == 3:
                shape = (0,) + shape[1:] if shape else (0,)
            elif m == 4:
                shape = shape[:-1] + (0,) if shape else (0, 0)
            elif m == 5:
                shape = tuple(1 for _ in shape) or (1, 1)
            else:
                shape = shape[::-1]
        a = rng.standard_normal(shape)
        if kind == "labels":
            a = np.where(a >= 0, 1.0, -1.0)
        elif kind == "positive":
            a = np.abs(a)
        elif kind == "classes":
            a = np.floor(np.abs(a) * 1.5)
        elif kind == "unit_rows" and a.ndim == 2 and a.shape[1] > 0:
            norms = np.linalg.norm(a, axis=1, keepdims=True)
            a = a / np.where(norms > 0, norms, 1.0)
        elif kind == "psd" and a.ndim == 2 and a.shape[0] == a.shape[1]:
            a = a @ a.T + 0.1 * np.eye(a.shape[0])
        if self.bad(values):
            v = self.int_(0, 9)
            if v < len(SCALES):
                a = a * SCALES[v]
            elif a.size:
                flat = a.reshape(-1).copy()
                flat[self.int_(0, a.size - 1)] = self.pick(SPECIALS)
                a = flat.reshape(a.shape)
        if self.bad(dtype):
            dt = self.pick(DTYPES)
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                if dt == "list":
                    return a.tolist()
                if dt == np.complex128:
                    a = a + 0.5j * self.int_(0, 1)
                a = np.asarray(a).astype(dt)
        a = np.asarray(a)
        if self.chance(layout) and a.ndim >= 1:
            lay = self.int_(0, 3)
            if lay == 0:
                a = np.asfortranarray(a)
            elif lay == 1:
                a = np.repeat(a, 2, axis=-1)[..., ::2]
            elif lay == 2:
                a = a[::-1].copy()[::-1]
            else:
                a = a.copy()
                a.flags.writeable = False
        return a


def describe(x: Any, depth: int = 0) -> str:
    """A short, deterministic description of an argument for failure messages."""
    if isinstance(x, np.ndarray):
        lay = "C" if x.flags.c_contiguous else ("F" if x.flags.f_contiguous else f"strides={x.strides}")
        ro = "" if x.flags.writeable else " read-only"
        try:
            with np.printoptions(threshold=12, precision=3, edgeitems=2):
                vals = np.array2string(x.ravel()[:12], separator=",")
        except Exception:  # object arrays of odd things
            vals = "?"
        return f"ndarray(shape={x.shape}, dtype={x.dtype.str}, {lay}{ro}, values[:12]={vals})"
    if isinstance(x, (list, tuple)) and depth < 2:
        inner = ", ".join(describe(v, depth + 1) for v in list(x)[:6])
        more = ", ..." if len(x) > 6 else ""
        return f"{type(x).__name__}[{inner}{more}]"
    if isinstance(x, branches.MultiBranchMLP):
        U, a = describe(x.U, 2), describe(x.a, 2)
        return f"MultiBranchMLP(I={x.n_branches}, m={x.width}, d={x.d}, U={U}, a={a})"
    r = repr(x)
    return r if len(r) <= 200 else r[:200] + "..."


def describe_args(args: Dict[str, Any]) -> str:
    return ", ".join(f"{k}={describe(v)}" for k, v in args.items())


def _call(fn: Callable[..., Any], **kw: Any) -> Tuple[Callable[[], Any], Dict[str, Any]]:
    return (lambda: fn(**kw)), kw


# ------------------------------------------------------------------------------------------------------------
# linear


def case_linear_solve(d: Draw):
    n, d0 = d.n_d()
    k = d.pick([1, 2, 4])
    depth = d.i(2, 4)
    widths = d.either(
        [None, None, [1], [2], (3,)] if depth == 2 else [None], [[0], [-1], [2, 2], [1.5], ["a"], [2**63]]
    )
    kw = dict(
        X=d.arr((n, d0)),
        Y=d.arr((n, k)),
        depth=depth,
        gamma=d.f(0.0, 3.0),
        widths=widths,
        method=d.s(["dr", "closed"]),
        tol=d.f(1e-12, 1e-2),
        max_iter=d.i(0, 40),
        t=d.f(0.5, 2.0),
        z0=d.arr((n, k)) if d.chance(2) else None,
        record_history=d.b(),
        on_divergence=d.s(["raise", "warn", "flag"]),
        form=d.s(["reduced", "diagonal"]),
    )
    return _call(linear.solve, **kw)


def _chain(d: Draw, dims: List[int]) -> List[Any]:
    return [d.arr((dims[j + 1], dims[j]), mutate=1) for j in range(len(dims) - 1)]


def case_linear_primal_objective(d: Draw):
    n, d0 = d.n_d()
    k = d.pick([1, 2, 3])
    dims = [d0] + [d.pick([1, 2, 3]) for _ in range(d.int_(1, 2))] + [k]
    weights: Any = _chain(d, dims)
    if d.bad(1):
        weights = d.pick([[], None, "w", [None], weights[:1]])
    return _call(linear.primal_objective, weights=weights, X=d.arr((n, d0)), Y=d.arr((n, k)), gamma=d.f(0, 3))


def case_linear_dual_objective(d: Draw):
    n, d0 = d.n_d()
    k = d.pick([1, 2, 3])
    return _call(
        linear.dual_objective,
        Lambda=d.arr((n, k)),
        X=d.arr((n, d0)),
        Y=d.arr((n, k)),
        gamma=d.f(0, 3),
        k=d.i(1, 4),
    )


def case_linear_prox_topk(d: Draw):
    m = d.pick([0, 1, 2, 5, 8])
    return _call(linear.prox_topk, v=d.arr((m,)), k=d.i(0, 9), t=d.f(0.0, 3.0))


def case_linear_train_gd(d: Draw):
    n, d0 = d.n_d()
    k = d.pick([1, 2, 3])
    return _call(
        linear.train_gd,
        X=d.arr((n, d0)),
        Y=d.arr((n, k)),
        depth=d.i(2, 3),
        gamma=d.f(0, 3),
        widths=d.either([None, None, [1], [2]], [[0], [2, 2], [-1]]),
        method=d.s(["lbfgs", "gd"]),
        max_iter=d.i(0, 8),
        lr=d.either([None, None, 1e-3, 0.1], [1e300, -1.0, 0.0, float("nan")]),
        init_scale=d.f(0.0, 2.0),
        seed=d.i(0, 3),
        tol=d.f(0.0, 1e-3),
    )


def case_linear_default_widths(d: Draw):
    def shp() -> Any:
        if d.bad(3):
            return d.pick([(3,), (3, 2, 1), None, "ab", (2.5, 3), (-1, 2), (2**63, 2), (0, 0), ()])
        return (d.int_(0, 8), d.int_(0, 8))

    return _call(linear.default_widths, X_shape=shp(), Y_shape=shp(), depth=d.i(2, 5))


# ------------------------------------------------------------------------------------------------------------
# relu


def _relu_data(d: Draw):
    n, dd = d.n_d()
    return n, dd, d.arr((n, dd)), d.arr((n,), kind="positive")


def _w(d: Draw, dd: int) -> Any:
    return d.arr((dd,) if d.chance(6) else (d.pick([1, 2, 3]), dd))


def case_relu_loss(d: Draw):
    n, dd, X, y = _relu_data(d)
    return _call(relu.loss, w=_w(d, dd), X=X, y=y)


def case_relu_relaxed_loss(d: Draw):
    n, dd, X, y = _relu_data(d)
    return _call(relu.relaxed_loss, w=_w(d, dd), X=X, y=y)


def case_relu_gradient(d: Draw):
    n, dd, X, y = _relu_data(d)
    return _call(relu.gradient, w=_w(d, dd), X=X, y=y, relaxed=d.b(), strict=d.b())


def _gd_common(d: Draw) -> Dict[str, Any]:
    return dict(
        step=d.either([None, None, 1e-3, 0.1], [0.0, -1.0, 1e300, float("nan"), "a"]),
        iters=d.i(0, 6),
        relaxed=d.b(),
        record_every=d.i(1, 3),
        strict=d.b(),
        on_divergence=d.s(["raise", "warn", "flag"]),
        classify=d.b(),
        kernel=d.s(["auto", "fused", "gemm"]),
        check=d.b(),
    )


def case_relu_gd(d: Draw):
    n, dd, X, y = _relu_data(d)
    B = d.pick([1, 2, 3])
    kw = dict(X=X, y=y, W0=d.arr((B, dd)))
    if d.chance(3):
        kw.update(X_test=d.arr((3, dd)), y_test=d.arr((3,), kind="positive"))
    if d.chance(3):
        kw.update(w_star=d.arr((dd,)))
    kw.update(_gd_common(d))
    kw.update(device=d.s(["cpu", "auto"]))
    return _call(relu.gd, **kw)


def case_relu_gd_stacked(d: Draw):
    n, dd = d.n_d()
    B = d.pick([1, 2, 3])
    kw = dict(X=d.arr((B, n, dd)), Y=d.arr((B, n), kind="positive"), W0=d.arr((B, dd)))
    if d.chance(3):
        kw.update(X_test=d.arr((B, 3, dd)), Y_test=d.arr((B, 3), kind="positive"))
    if d.chance(3):
        kw.update(w_star=d.arr((B, dd)))
    kw.update(_gd_common(d))
    return _call(relu.gd_stacked, **kw)


def case_relu_newton(d: Draw):
    n, dd, X, y = _relu_data(d)
    w0 = d.arr((dd,)) if d.chance(3) else None
    return _call(relu.newton, X=X, y=y, w0=w0, tol=d.f(1e-12, 1e-3), max_iter=d.i(0, 12), check=d.b())


def case_relu_planted(d: Draw):
    n, dd = d.n_d()
    return _call(
        relu.planted,
        n=d.i(0, 8),
        d=d.i(0, 6),
        noise=d.f(0.0, 1.0),
        mean=d.f(-1.0, 1.0),
        seed=d.either([None, 0, 1], [-1, 2**63, 1.5, "s"]),
        n_test=d.i(0, 5),
        distribution=d.s(["gaussian", "uniform"]),
        bias=d.b(),
        w_star=d.arr((dd,)) if d.chance(3) else None,
        dtype=d.either([np.float64, np.float32, "f8"], [np.float16, np.int64, None, object, "x"]),
    )


def case_relu_add_bias_column(d: Draw):
    n, dd = d.n_d()
    return _call(relu.add_bias_column, X=d.arr((n, dd)))


def case_relu_default_step(d: Draw):
    n, dd = d.n_d()
    return _call(relu.default_step, X=d.arr((n, dd)))


def case_relu_lambda_max(d: Draw):
    n, dd = d.n_d()
    return _call(relu.lambda_max, X=d.arr((n, dd)), iters=d.i(0, 30))


def case_relu_unbounded_direction(d: Draw):
    n, dd, X, y = _relu_data(d)
    return _call(relu.unbounded_direction, X=X, y=y, tol=d.f(0.0, 1e-3))


# ------------------------------------------------------------------------------------------------------------
# gram

ACT = list(gram.ACTIVATIONS)


def _gram_X(d: Draw, n: int, dd: int) -> Any:
    return d.arr((n, dd), kind="unit_rows")


def case_gram_gram_matrix(d: Draw):
    n, dd = d.n_d()
    return _call(
        gram.gram_matrix,
        X=_gram_X(d, n, dd),
        depth=d.i(1, 3),
        activation=d.s(ACT),
        arch=d.s(list(gram.ARCHS)),
        c_res=d.f(0.1, 2.0),
        quadrature_order=d.either([16, 24, 32], [0, 1, -1, 2**31]),
        normalize=d.b(),
        return_all=d.b(),
        unit_norm=d.either([None, "raise", "normalize", "ignore"], ["x", 3]),
        method=d.s(["auto", "direct", "table"]),
        patch_size=d.i(1, 4),
        device=d.s(["cpu", "auto"]),
        X2=_gram_X(d, d.pick([1, 2, 5]), dd) if d.chance(3) else None,
    )


def _tile_args(d: Draw) -> Dict[str, Any]:
    n, dd = d.n_d()
    return dict(
        X=_gram_X(d, n, dd),
        depth=d.i(1, 3),
        activation=d.s(ACT),
        arch=d.s(["fc", "resnet"]),
        quadrature_order=d.either([16, 24], [0, 2**31]),
        kernel=d.s(["gram", "nngp", "ntk"]),
        normalize=d.b(),
    )


def case_gram_TileKernel(d: Draw):
    kw = _tile_args(d)
    X2 = _gram_X(d, d.pick([1, 3]), kw["X"].shape[1] if isinstance(kw["X"], np.ndarray) else 2)
    kw["X2"] = X2 if d.chance(4) else None
    box = [d.i(-1, 4) for _ in range(4)]

    def run():
        tk = gram.TileKernel(**kw)
        tk.block(*box)
        return tk.diag() if tk.symmetric else tk.columns([0])

    return run, dict(kw, box=box)


def case_gram_GramOperator(d: Draw):
    kw = _tile_args(d)
    chunks = d.i(1, 4)
    V = d.arr((d.pick([0, 1, 2, 3, 5]),)) if d.chance(8) else d.arr((3, 2))

    def run():
        op = gram.GramOperator(**kw, chunks=chunks, client="serial")
        return op @ V

    return run, dict(kw, chunks=chunks, V=V)


def case_gram_lambda_min(d: Draw):
    method = d.s(["dense", "lanczos", "cholesky"])
    if d.chance(5):
        return _call(gram.lambda_min, X_or_K=_K(d), method=method)
    kw = _tile_args(d)
    kw["X_or_K"] = kw.pop("X")
    return _call(
        gram.lambda_min,
        **kw,
        method=method,
        maxiter=d.i(1, 20),
        block_size=d.i(1, 3),
        client="serial",
        chunks=d.i(1, 4),
    )


def case_gram_kernel_regression(d: Draw):
    kw = _tile_args(d)
    X = kw.pop("X")
    n = X.shape[0] if isinstance(X, np.ndarray) and X.ndim == 2 else 3
    dd = X.shape[1] if isinstance(X, np.ndarray) and X.ndim == 2 else 2
    return _call(
        gram.kernel_regression,
        X_train=X,
        y_train=d.arr((n,)) if d.chance(7) else d.arr((n, 2)),
        X_test=_gram_X(d, d.pick([1, 2]), dd),
        **kw,
        ridge=d.f(0.0, 1.0),
        solver=d.s(["cholesky", "cg", "nystrom-cg"]),
        maxiter=d.i(1, 20),
        rank=d.i(1, 3),
        chunks=d.i(1, 4),
        client="serial",
    )


def case_gram_c_sigma(d: Draw):
    return _call(gram.c_sigma, activation=d.s(ACT, junk=3))


def case_gram_ntk(d: Draw):
    n, dd = d.n_d()
    return _call(
        gram.ntk,
        X=_gram_X(d, n, dd),
        depth=d.i(1, 3),
        activation=d.s(ACT),
        quadrature_order=d.either([16, 24, 32], [0, 1, -1, 2**31]),
        normalize=d.b(),
    )


def _K(d: Draw) -> Any:
    n = d.pick([0, 1, 2, 3, 5, 8])
    return d.arr((n, n), kind="psd")


def case_gram_spectrum(d: Draw):
    return _call(gram.spectrum, K=_K(d))


def case_gram_certify_lambda_min(d: Draw):
    return _call(gram.certify_lambda_min, K=_K(d), tau=d.f(0.1, 1.0))


def case_gram_rate(d: Draw):
    return _call(gram.rate, K=_K(d), eta=d.f(0.0, 1.0))


def case_gram_kernel_prediction(d: Draw):
    K = _K(d)
    n = K.shape[0] if isinstance(K, np.ndarray) and K.ndim == 2 else 2
    r0 = d.arr((n,)) if d.chance(4) else None
    return _call(gram.kernel_prediction, K=K, eta=d.f(0.0, 1.0), r0=r0, iters=d.i(0, 6))


def case_gram_requirements(d: Draw):
    return _call(gram.requirements, K=_K(d), depth=d.i(1, 4), delta=d.f(0.0, 1.0), arch=d.s(["fc", "resnet"]))


def case_gram_empirical_gram(d: Draw):
    n, dd = d.n_d()
    return _call(
        gram.empirical_gram,
        X=_gram_X(d, n, dd),
        width=d.i(1, 16),
        depth=d.i(1, 3),
        activation=d.s(ACT),
        arch=d.s(list(gram.ARCHS)),
        seed=d.i(0, 3),
        c_res=d.f(0.1, 2.0),
        block=d.s(["last", "full"]),
        patch_size=d.i(1, 4),
    )


def case_gram_sample_last_gram(d: Draw):
    n, dd = d.n_d()
    return _call(
        gram.sample_last_gram,
        X=_gram_X(d, n, dd),
        width=d.i(1, 16),
        depth=d.i(1, 3),
        activation=d.s(ACT),
        arch=d.s(list(gram.ARCHS)),
        draws=d.i(1, 3),
        seed=d.i(0, 3),
        c_res=d.f(0.1, 2.0),
        patch_size=d.i(1, 4),
    )


def case_gram_train_wide(d: Draw):
    n, dd = d.n_d()
    return _call(
        gram.train_wide,
        X=_gram_X(d, n, dd),
        y=d.arr((n,)),
        width=d.i(1, 16),
        depth=d.i(1, 3),
        eta=d.either([None, 0.1], [0.0, -1.0, 1e300, float("nan")]),
        iters=d.i(0, 5),
        activation=d.s(ACT),
        arch=d.s(["fc", "resnet"]),
        seed=d.i(0, 3),
        c_res=d.f(0.1, 2.0),
        train=d.s(["all", "last"]),
    )


# ------------------------------------------------------------------------------------------------------------
# branches


def _bdata(d: Draw):
    n, dd = d.n_d()
    return n, dd, d.arr((n, dd)), d.arr((n,), kind="labels")


def _model(d: Draw, dd: int):
    I, m = d.pick([1, 2, 3]), d.pick([1, 2])
    net = branches.MultiBranchMLP(n_branches=I, width=m, d=max(dd, 1), seed=d.int_(0, 3))
    if d.chance(3):
        try:
            net.set_params(d.arr((I, m, max(dd, 1)), mutate=0, dtype=0), d.arr((I, m), mutate=0, dtype=0))
        except ALLOWED:
            pass
    return net


def case_branches_MultiBranchMLP(d: Draw):
    return _call(
        branches.MultiBranchMLP,
        n_branches=d.i(1, 4, junk=2),
        width=d.i(1, 3, junk=2),
        d=d.i(1, 6, junk=2),
        activation=d.s(["relu"], junk=2),
        seed=d.either([None, 0, 1], [-1, 2**63, 1.5, "s"]),
    )


def case_branches_MultiBranchMLP_fit(d: Draw):
    n, dd, X, y = _bdata(d)
    net = _model(d, dd)
    kw = dict(
        X=X,
        y=y,
        tau=d.f(0.1, 2.0),
        K=d.f(0.5, 16.0),
        restarts=d.i(1, 2),
        steps=d.i(0, 8),
        seed=d.i(0, 3),
        lr=d.either([None, 0.1], [0.0, -1.0, 1e300]),
        loss=d.s(list(branches.LOSSES)),
        R2=d.either([None, 1.0, 4.0], [0.0, -1.0, float("inf")]),
        optimizer=d.s(["gd", "adam"]),
    )
    return (lambda: net.fit(**kw)), dict(model=net, **kw)


def case_branches_tau_min(d: Draw):
    n, dd = d.n_d()
    return _call(branches.tau_min, X=d.arr((n, dd)), K=d.f(0.5, 16.0))


def case_branches_check_assumptions(d: Draw):
    n, dd = d.n_d()
    return _call(
        branches.check_assumptions,
        X=d.arr((n, dd)),
        tau=d.f(0.1, 2.0),
        K=d.f(0.5, 16.0),
        R2=d.either([None, 1.0, 4.0], [0.0, -1.0, float("inf")]),
    )


def case_branches_gap_bracket(d: Draw):
    n, dd, X, y = _bdata(d)
    return _call(
        branches.gap_bracket,
        X=X,
        y=y,
        tau=d.f(0.1, 2.0),
        K=d.f(0.1, 8.0),
        branch_counts=d.either([[1], [1, 2], [2]], [[], [0], [-1], [1.5], None, [2**63]]),
        width=d.either([1, 2], [[1, 2], 0, -1, None]),
        restarts=d.i(1, 2),
        steps=d.i(0, 5),
        seed=d.i(0, 3),
        R2=d.either([None, 1.0, 4.0], [0.0, -1.0]),
        rounds=d.i(0, 2),
        n_random_units=d.i(0, 8),
        certify=d.s(["auto", "none", "none"]),
        max_trained_units=d.i(0, 8),
        units_per_round=d.i(0, 3),
        optimizer=d.s(["gd", "adam"]),
    )


def case_branches_exact_separable_benchmark(d: Draw):
    return _call(branches.exact_separable_benchmark, K_over_R=d.f(0.0, 1.0, junk=2), I=d.i(1, 9, junk=2))


def _plane(d: Draw, net: Any):
    kind = d.s(["filter", "random", "three_minima"])
    sols = None
    if (isinstance(kind, str) and kind == "three_minima") or d.chance(1):
        sols = [(net.U * (1 + j) + j, net.a - j) for j in range(3)]
        if d.bad(3):
            sols = d.pick([[], [net], sols[:2], [(None, None)] * 3, [net, net, net]])
    return dict(kind=kind, model=None if d.bad(2) else net, solutions=sols, seed=d.i(0, 3))


def case_branches_slice_directions(d: Draw):
    net = _model(d, d.pick([1, 2, 3]))
    return _call(branches.slice_directions, **_plane(d, net))


def case_branches_loss_surface(d: Draw):
    n, dd, X, y = _bdata(d)
    net = _model(d, dd)
    plane = branches.slice_directions("filter", net, seed=d.int_(0, 3))
    return _call(
        branches.loss_surface,
        model=net,
        X=X,
        y=y,
        directions=plane,
        grid=d.either([1, 2, 3, 5, [0.0, 1.0], np.linspace(-1, 1, 3)], [0, -1, 2.5, None, [np.nan]]),
        span=d.f(0.1, 2.0),
        tau=d.f(0.1, 2.0),
        loss=d.s(list(branches.LOSSES)),
    )


def case_branches_multiclass_loss_surface(d: Draw):
    n, dd = d.n_d()
    dd = max(dd, 1)
    C = d.pick([2, 3])
    I, m = d.pick([1, 2]), d.pick([1, 2])
    rng = np.random.default_rng(d.int_(0, 99))
    sols = [(rng.standard_normal((I, m, dd)), rng.standard_normal((I, m, C))) for _ in range(3)]
    plane = branches.slice_directions("three_minima", solutions=sols)
    return _call(
        branches.multiclass_loss_surface,
        X=d.arr((n, dd)),
        labels=d.arr((n,), kind="classes") if d.bad(3) else np.arange(n) % C,
        directions=plane,
        grid=d.either([1, 2, 3, [0.0, 1.0]], [0, -1, 2.5, None]),
        span=d.f(0.1, 2.0),
    )


def case_branches_interpolation_barrier(d: Draw):
    n, dd, X, y = _bdata(d)
    net = _model(d, dd)
    I, m, D = net.n_branches, net.width, net.d
    w_a: Any = (d.arr((I, m, D)), d.arr((I, m)))
    w_b: Any = net if d.chance(5) else (d.arr((I, m, D)), d.arr((I, m)))
    if d.bad(1):
        w_a = d.junk()
    return _call(
        branches.interpolation_barrier,
        model=net,
        w_a=w_a,
        w_b=w_b,
        X=X,
        y=y,
        tau=d.f(0.1, 2.0),
        loss=d.s(list(branches.LOSSES)),
        points=d.i(0, 6),
    )


def case_branches_nonconvexity_scores(d: Draw):
    g = d.pick([0, 1, 2, 3, 5, 5])
    grid = np.linspace(-1.0, 1.0, g)
    return _call(
        branches.nonconvexity_scores,
        values=d.arr((g, g)),
        alphas=d.arr((g,)) if d.bad(2) else grid,
        betas=d.arr((g,)) if d.bad(2) else grid.copy(),
    )


def case_branches_hessian_vector_product(d: Draw):
    n, dd, X, y = _bdata(d)
    net = _model(d, dd)
    I, m, D = net.n_branches, net.width, net.d
    return _call(
        branches.hessian_vector_product,
        model=net,
        X=X,
        y=y,
        tau=d.f(0.1, 2.0),
        vU=d.arr((I, m, D)),
        va=d.arr((I, m)),
        loss=d.s(list(branches.LOSSES)),
    )


def case_branches_curvature(d: Draw):
    n, dd, X, y = _bdata(d)
    net = _model(d, dd)
    return _call(branches.curvature, model=net, X=X, y=y, tau=d.f(0.1, 2.0), loss=d.s(list(branches.LOSSES)))


def _xc(d: Draw, dmax: int = 8):
    n, dd = d.n_d()
    dd = min(dd, dmax)
    return d.arr((n, dd)), d.arr((n,)), dd


def case_branches_m_plus_heuristic(d: Draw):
    X, c, dd = _xc(d)
    return _call(
        branches.m_plus_heuristic,
        X=X,
        c=c,
        rng=d.either([np.random.default_rng(0)], [None, 0, "rng"]),
        n_random=d.i(0, 8),
        iterations=d.i(0, 5),
        extra=d.arr((2, dd)) if d.chance(2) else None,
        polish_starts=d.i(0, 3),
    )


def case_branches_m_plus_exact(d: Draw):
    X, c, dd = _xc(d, dmax=4)
    return _call(branches.m_plus_exact, X=X, c=c, chunk=d.i(1, 64))


def case_branches_m_plus_upper(d: Draw):
    X, c, dd = _xc(d)
    return _call(branches.m_plus_upper, X=X, c=c)


def case_branches_m_plus_sdp(d: Draw):
    X, c, dd = _xc(d, dmax=3)
    return _call(branches.m_plus_sdp, X=X, c=c, u_hint=d.arr((dd,)))


# ------------------------------------------------------------------------------------------------------------
# convex_nn (lens 5)


def _cdata(d: Draw, dmax: int = 3):
    """(n, d, X, y) for lens 5: small d so that enumerating the patterns stays cheap."""
    n, _ = d.n_d()
    dd = d.pick(list(range(1, dmax + 1)))
    return n, dd, d.arr((n, dd)), d.arr((n,))


def _masks(d: Draw, n: int, p: int) -> Any:
    """Activation patterns (n, p) of 0/1 (as drawn: float, or another dtype / shape / junk values)."""
    masks = d.arr((n, p), kind="positive")
    if isinstance(masks, np.ndarray) and masks.dtype.kind == "f" and np.isfinite(masks).all():
        return (masks > 0.5).astype(masks.dtype)
    return masks


def _closs(d: Draw) -> Any:
    return d.s(["squared", "logistic", "squared_hinge", "huber"])


def _y_for(d: Draw, loss: Any, y: Any, n: int) -> Any:
    labels = isinstance(loss, str) and loss in ("logistic", "squared_hinge")
    return d.arr((n,), kind="labels") if labels else y


def case_convex_nn_solve(d: Draw):
    n, dd, X, y = _cdata(d)
    loss = _closs(d)
    return _call(
        convex_nn.solve,
        X=X,
        y=_y_for(d, loss, y, n),
        lam=d.f(1e-3, 1.0),
        formulation=d.s(["gated", "relu"]),
        loss=loss,
        huber_delta=d.either([0.5, 1.0, 1e-300, 1e300], [0.0, -1.0, np.nan, np.inf, "a"]),
        patterns=d.either(["gaussian", "data", "all"], ["none", 3, np.ones((2, 2))]),
        n_patterns=d.i(1, 8),
        tol=d.f(1e-8, 1e-3),
        max_iter=d.i(1, 200),
        random_state=d.either([None, 0, 1], [-1, 1.5, "s"]),
        warm_start=d.either(
            [None, (d.arr((2, dd)), d.arr((2,)))], [d.arr((2, dd)), (d.arr((2, dd + 1)), 1.0)]
        ),
    )


def case_convex_nn_network_to_convex(d: Draw):
    n, dd, X, _ = _cdata(d)
    m = d.pick([0, 1, 3])
    return _call(
        convex_nn.network_to_convex,
        X=X,
        W1=d.arr((m, d.pick([dd, dd + 1]))),
        a=d.arr((m,)),
        gates=d.either([None, d.arr((2, dd))], [d.arr((2, dd + 1))]),
    )


def _random_masks(d: Draw, n: int, p: int):
    masks = d.arr((n, p), kind="positive")
    return (masks > 0.5).astype(float) if isinstance(masks, np.ndarray) and masks.dtype.kind == "f" else masks


def case_convex_nn_cone_decomposition(d: Draw):
    n, dd, X, _ = _cdata(d)
    p = d.pick([1, 2, 4])
    return _call(convex_nn.cone_decomposition, U=d.arr((p, dd)), masks=_random_masks(d, n, p), X=X)


def case_convex_nn_relu_network(d: Draw):
    p, dd = d.pick([0, 1, 3]), d.pick([1, 2, 4])
    return _call(convex_nn.relu_network, V=d.arr((p, dd)), W=d.arr((p, d.pick([dd, dd + 1]))))


def case_convex_nn_certify(d: Draw):
    n, dd, X, y = _cdata(d)
    m = d.pick([1, 2, 4])
    loss = _closs(d)
    return _call(
        convex_nn.certify,
        X=X,
        y=_y_for(d, loss, y, n),
        W1=d.arr((m, dd)),
        a=d.arr((m,)),
        lam=d.f(1e-3, 1.0),
        loss=loss,
        tol=d.f(1e-8, 1e-3),
    )


def case_convex_nn_enumerate_patterns(d: Draw):
    n, dd, X, _ = _cdata(d)
    return _call(convex_nn.enumerate_patterns, X=X)


def case_convex_nn_lam_max(d: Draw):
    n, dd, X, y = _cdata(d)
    loss = _closs(d)
    masks = d.arr((n, d.pick([1, 2, 4])), kind="positive")
    masks = (
        (masks > 0.5).astype(float) if isinstance(masks, np.ndarray) and masks.dtype.kind == "f" else masks
    )
    return _call(convex_nn.lam_max, X=X, y=_y_for(d, loss, y, n), masks=masks, loss=loss)


def case_convex_nn_network_objective(d: Draw):
    n, dd, X, y = _cdata(d)
    m = d.pick([1, 2, 4])
    loss = _closs(d)
    return _call(
        convex_nn.network_objective,
        X=X,
        y=_y_for(d, loss, y, n),
        W1=d.arr((m, dd)),
        a=d.arr((m,)),
        lam=d.f(0.0, 1.0),
        loss=loss,
    )


def case_convex_nn_to_network(d: Draw):
    n, dd, X, _ = _cdata(d)
    p = d.pick([1, 2, 4])
    masks = _random_masks(d, n, p)
    return _call(convex_nn.to_network, U=d.arr((p, dd)), masks=masks, X=X, atol=d.f(1e-12, 1e-6))


def _estimator_fit(cls: Any, d: Draw, labels: bool):
    n, dd, X, y = _cdata(d, dmax=4)
    est = cls(
        lam=d.f(1e-3, 1.0),
        n_patterns=d.i(1, 8),
        tol=d.f(1e-6, 1e-3),
        max_iter=d.i(1, 100),
        random_state=d.either([None, 0], [-1, 1.5, "s"]),
    )
    target = d.arr((n,), kind="classes") if labels else y
    return (lambda: est.fit(X, target)), {"estimator": est, "X": X, "y": target}


def case_convex_nn_ConvexReLURegressor(d: Draw):
    return _estimator_fit(convex_nn.ConvexReLURegressor, d, labels=False)


def case_convex_nn_ConvexReLUClassifier(d: Draw):
    return _estimator_fit(convex_nn.ConvexReLUClassifier, d, labels=True)


# ------------------------------------------------------------------------------------------------------------
# top level: the thread and SIMD knobs (restored after each call)


def case_convexify_set_num_threads(d: Draw):
    n = d.i(1, 4, junk=5)

    def thunk() -> None:
        try:
            convexify.set_num_threads(n)
        finally:
            convexify.set_num_threads(1)

    return thunk, dict(n=n)


def case_convexify_threads(d: Draw):
    n = d.i(1, 4, junk=5)

    def thunk() -> None:
        with convexify.threads(n):
            pass

    return thunk, dict(n=n)


def case_convexify_set_simd_level(d: Draw):
    level = d.s(["avx512", "avx2", "generic"], junk=4)
    old = convexify.get_simd_level()

    def thunk() -> None:
        try:
            convexify.set_simd_level(level)
        finally:
            convexify.set_simd_level(old)

    return thunk, dict(level=level)


def case_convexify_sweep(d: Draw):
    # Serial client only: a Dask cluster per example would dominate the run (tests/test_sweep.py starts one).
    fn = d.either([abs, float], [None, 3, "fn"])
    grid = d.either([[], [1.0, -2.0], (3, -4), range(3)], [5, None, "grid", 2.5])
    client = d.either(["serial"], ["threads", 0, object()])
    return (lambda: convexify.sweep(fn, grid, client=client)), dict(fn=fn, grid=grid, client=client)


# Cases that check the harness itself (tests/test_fuzz.py::test_harness_reports_foreign_crash_and_hang).
def _selftest_ok(d: Draw):
    return _call(convexify.get_num_threads)


def _selftest_foreign(d: Draw):
    return _call(lambda key: {}[key], key="missing")


def _selftest_segfault(d: Draw):
    import ctypes

    return _call(ctypes.string_at, ptr=0)


def _selftest_hang(d: Draw):
    return _call(lambda secs: time.sleep(secs), secs=3600)


SELFTEST: Dict[str, Case] = {
    "selftest.ok": _selftest_ok,
    "selftest.foreign": _selftest_foreign,
    "selftest.segfault": _selftest_segfault,
    "selftest.hang": _selftest_hang,
}


def _case_key(function_name: str) -> str:
    """``case_<lens>_<function>`` -> ``<lens>.<function>`` (lens names may hold an underscore)."""
    rest = function_name[len("case_") :]
    if rest.startswith("convex_nn_"):
        return "convex_nn." + rest[len("convex_nn_") :]
    return rest.replace("_", ".", 1).replace("MultiBranchMLP_fit", "MultiBranchMLP.fit")


CASES: Dict[str, Case] = {
    _case_key(name): fn for name, fn in sorted(globals().items()) if name.startswith("case_") and callable(fn)
}
# Examples per function relative to CONVEXIFY_FUZZ_EXAMPLES (the slow ones get fewer).
WEIGHT: Dict[str, float] = {"branches.gap_bracket": 0.4, "branches.m_plus_sdp": 0.4, "gram.train_wide": 0.6}


def lens_of(name: str) -> str:
    return name.split(".", 1)[0]


# ------------------------------------------------------------------------------------------------------------
# the child-process driver


def _emit(**ev: Any) -> None:
    sys.stdout.write(json.dumps(ev, default=str) + "\n")
    sys.stdout.flush()


def run_search(
    name: str, examples: int, known_raises: Sequence[Any], known_skips: Sequence[Any], timeout: float
):
    """The hypothesis search of one function; every call's outcome is reported, none raises out of here."""
    case = CASES[name] if name in CASES else SELFTEST[name]
    counts: Counter = Counter()
    warns: Counter = Counter()
    refusals: Counter = Counter()  # convexify's messages, digits dropped: which checks the examples hit

    @settings(
        max_examples=examples,
        derandomize=True,
        deadline=None,
        database=None,
        phases=[Phase.generate],
        suppress_health_check=list(HealthCheck),
        print_blob=False,
    )
    @given(st.data())
    def search(data: Any) -> None:
        np.random.seed(0)  # noqa: NPY002 -- library code that draws from the legacy global state
        try:
            thunk, args = case(Draw(data))
        except ALLOWED:  # a public call made while building the arguments refused them
            counts["setup refused"] += 1
            return
        except Exception as e:  # a bug of the harness (or of a public call it made), reported, not fatal
            counts["foreign"] += 1
            _emit(ev="fail", fn=name, kind="harness", type=type(e).__name__, msg=str(e)[:300], args="?")
            return
        text = describe_args(args)
        for k in known_skips:
            if k.fn == name and k.matches(args):
                counts["known"] += 1
                _emit(ev="known", fn=name, test=k.test, args=text)
                return
        counts["calls"] += 1
        _emit(ev="call", fn=name, i=counts["calls"], args=text)
        faulthandler.dump_traceback_later(timeout, exit=True)
        try:
            with warnings.catch_warnings(record=True) as caught:
                warnings.simplefilter("always")
                thunk()
            counts["returned"] += 1
        except ALLOWED as e:
            counts["raised " + type(e).__name__] += 1
            refusals["".join(ch for ch in str(e)[:70] if not ch.isdigit())] += 1
            caught = []
        except BaseException as e:  # noqa: B036 -- anything else is a finding (KeyboardInterrupt re-raised)
            if isinstance(e, KeyboardInterrupt):
                raise
            caught = []
            for k in known_raises:
                if k.fn in (name, "*") and k.matches(e, args):
                    counts["known"] += 1
                    _emit(ev="known", fn=name, test=k.test, type=type(e).__name__, args=text)
                    break
            else:
                counts["foreign"] += 1
                _emit(
                    ev="fail",
                    fn=name,
                    kind="foreign",
                    type=f"{type(e).__module__}.{type(e).__qualname__}",
                    msg=str(e)[:300],
                    args=text,
                )
        finally:
            faulthandler.cancel_dump_traceback_later()
        for w in caught:
            if not issubclass(w.category, DOCUMENTED_WARNINGS):
                warns[w.category.__name__] += 1

    t0 = time.perf_counter()
    search()
    seconds = time.perf_counter() - t0
    _emit(
        ev="done",
        fn=name,
        counts=dict(counts),
        warnings=dict(warns),
        refusals=dict(refusals),
        seconds=seconds,
    )


def child_main(argv: Sequence[str], known_raises: Sequence[Any], known_skips: Sequence[Any]) -> None:
    """``--child EXAMPLES TIMEOUT NAME...``: run the searches of the named functions in order."""
    examples, timeout, names = int(argv[0]), float(argv[1]), list(argv[2:])
    # A shared machine: an argument that asks for a huge allocation gets a MemoryError, not the OOM killer.
    # CONVEXIFY_FUZZ_MEMORY_GB=0: no limit (under AddressSanitizer, whose shadow memory takes terabytes).
    limit = int(float(os.environ.get("CONVEXIFY_FUZZ_MEMORY_GB", "4")) * 2**30)
    if limit > 0:
        resource.setrlimit(resource.RLIMIT_AS, (limit, limit))
    faulthandler.enable()
    convexify.set_num_threads(1)
    warnings.simplefilter("ignore")  # the searches record warnings per call
    for name in names:
        _emit(ev="start", fn=name)
        n = max(2, int(round(examples * WEIGHT.get(name, 1.0))))
        run_search(name, n, known_raises, known_skips, timeout)
    os._exit(0)  # skip interpreter teardown (nothing to flush; stdout is flushed per event)
