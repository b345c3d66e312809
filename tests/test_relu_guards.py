"""Lens 2 guards (docs/relu.md#guards) and input validation (docs/conventions.md#errors)."""

from __future__ import annotations

import warnings

import numpy as np
import pytest

from convexify import DivergenceError, InputError, InputTypeError, relu
from convexify.relu import RelaxationWarning


def test_unbounded_counterexample_newton_raises_gd_warns():
    # docs/relu.md#exactness: X = [[1], [1]], y = (1, -3): L_r(w) = 2 relu(w)^2 + 4 w + 10, unbounded below.
    X = np.array([[1.0], [1.0]])
    y = np.array([1.0, -3.0])
    for w in (-1.0, -10.0):
        assert relu.relaxed_loss(np.array([w]), X, y) == pytest.approx(2 * max(w, 0) ** 2 + 4 * w + 10)
    v = relu.unbounded_direction(X, y)
    assert v is not None and np.all(X @ v <= 1e-12) and y @ (X @ v) > 0
    with pytest.raises(InputError, match="unbounded below"):
        relu.newton(X, y)
    with pytest.warns(RelaxationWarning, match="unbounded below"):
        relu.gd(X, y, np.zeros(1), iters=10, relaxed=True)


def test_bias_column_with_negative_sum_is_unbounded(rng):
    X = relu.add_bias_column(rng.standard_normal((30, 3)))
    y = rng.standard_normal(30) - 2.0  # sum(y) < 0
    assert relu.unbounded_direction(X, y) is not None
    assert relu.unbounded_direction(X, np.abs(y)) is None  # y >= 0 is always bounded


def test_negative_labels_warning_when_bounded(rng):
    X = rng.standard_normal((40, 3))
    y = np.maximum(X @ np.ones(3), 0.0)
    y[0] = -0.01
    if relu.unbounded_direction(X, y) is not None:  # pragma: no cover - the seed gives a bounded case
        pytest.skip("unbounded draw")
    with pytest.warns(RelaxationWarning, match="exactness theorem does not apply"):
        relu.gd(X, y, np.zeros(3), iters=5, relaxed=True)
    with pytest.warns(RelaxationWarning, match="exactness theorem does not apply"):
        relu.newton(X, y)
    with warnings.catch_warnings():  # vanilla GD does not need y >= 0
        warnings.simplefilter("error")
        relu.gd(X, y, np.zeros(3), iters=5)


def test_rank_deficient_positive_rows_warn(rng):
    X = rng.standard_normal((20, 5))
    y = np.zeros(20)
    y[:3] = 1.0  # n_+ = 3 < d = 5
    with pytest.warns(RelaxationWarning, match=r"rank\(X_\+\) = 3 < d = 5"):
        sol = relu.newton(X, y)
    assert sol.n_positive == 3 and sol.rank_positive == 3 and not sol.global_minimiser_of_L


def test_divergent_step_raises_or_flags(rng):
    p = relu.planted(100, 5, seed=1)
    big = 50 * relu.default_step(p.X)
    with pytest.raises(DivergenceError, match="diverged"):
        relu.gd(p.X, p.y, np.ones((2, 5)), step=big, iters=2000, relaxed=True)
    res = relu.gd(p.X, p.y, np.ones((2, 5)), step=big, iters=2000, relaxed=True, on_divergence="flag")
    assert res.diverged.all() and np.all(res.diverged_at > 0)
    assert np.all(np.isfinite(res.W))  # the last finite iterate is kept
    assert np.isnan(res.train_loss[-1]).all()
    with pytest.warns(RuntimeWarning, match="diverged"):
        relu.gd(p.X, p.y, np.ones((2, 5)), step=big, iters=2000, relaxed=True, on_divergence="warn")
    ok = relu.gd(p.X, p.y, np.ones((2, 5)), iters=200, relaxed=True)
    assert not ok.diverged.any()


@pytest.mark.parametrize(
    "kwargs, exc, match",
    [
        (dict(X=np.array([[np.nan, 1.0], [1.0, 1.0], [0.0, 1.0]])), InputError, "X contains NaN"),
        (dict(X=np.array([[np.inf, 1.0], [1.0, 1.0], [0.0, 1.0]])), InputError, "X contains NaN"),
        (dict(X_test=np.array([[np.inf, 1.0]]), y_test=np.ones(1)), InputError, "X_test contains NaN"),
        (dict(y=np.array([np.nan, 1.0, 1.0])), InputError, "y contains NaN"),
        (dict(X=np.ones((3, 2, 1))), InputError, "X must be 2-D"),
        (dict(X=np.ones((0, 2)), y=np.ones(0)), InputError, "X must be non-empty"),
        (dict(y=np.ones(4)), InputError, "y must have the same number of rows"),
        (dict(W0=np.ones((2, 3))), InputError, "W0 must have d = 2"),
        (dict(W0=np.ones((2, 2, 2))), InputError, "W0 must be 1-D or 2-D"),
        (dict(y=np.ones((3, 4))), InputError, "y of shape"),
        (dict(step=0.0), InputError, "step must be > 0"),
        (dict(step=-1.0), InputError, "step must be > 0"),
        (dict(step=float("nan")), InputError, "step must be finite"),
        (dict(step="big"), InputTypeError, "step must be a real number"),
        (dict(iters=-1), InputError, "iters must be >= 0"),
        (dict(iters=2.5), InputTypeError, "iters must be an integer"),
        (dict(record_every=0), InputError, "record_every must be >= 1"),
        (dict(relaxed="yes"), InputTypeError, "relaxed must be a bool"),
        (dict(X=np.ones((3, 2), dtype=complex)), InputTypeError, "X must be real"),
        (dict(X_test=np.ones((4, 2))), InputError, "X_test and y_test must be given together"),
        (dict(X_test=np.ones((4, 3)), y_test=np.ones(4)), InputError, "X_test must have d = 2"),
        (dict(w_star=np.ones(3)), InputError, "w_star must be"),
        (dict(w_star=np.zeros(2)), InputError, "w_star must be non-zero"),
        (dict(on_divergence="ignore"), InputError, "on_divergence must be one of"),
        (dict(kernel="cuda"), InputError, "kernel must be one of"),
    ],
)
def test_gd_bad_inputs(kwargs, exc, match):
    args = dict(
        X=np.array([[1.0, 2.0], [0.5, -1.0], [2.0, 0.1]]), y=np.array([1.0, 0.0, 2.0]), W0=np.zeros((1, 2))
    )
    args.update(kwargs)
    X, y, W0 = args.pop("X"), args.pop("y"), args.pop("W0")
    with pytest.raises(exc, match=match):
        relu.gd(X, y, W0, **args)


def test_bad_inputs_other_functions():
    X = np.array([[1.0, 2.0], [0.5, -1.0]])
    y = np.array([1.0, 0.0])
    with pytest.raises(InputError, match="w must have d = 2"):
        relu.loss(np.ones(3), X, y)
    with pytest.raises(InputError, match="w must be 1-D or 2-D"):
        relu.relaxed_loss(np.ones((1, 1, 2)), X, y)
    with pytest.raises(InputError, match="w contains NaN"):
        relu.gradient(np.array([np.nan, 1.0]), X, y)
    with pytest.raises(InputError, match="y must be 1-D"):
        relu.newton(X, np.ones((2, 2)))
    with pytest.raises(InputError, match="tol must be > 0"):
        relu.newton(X, y, tol=0.0)
    with pytest.raises(InputError, match="max_iter must be >= 0"):
        relu.newton(X, y, max_iter=-1)
    with pytest.raises(InputError, match="w0 must have d = 2"):
        relu.newton(X, y, w0=np.ones(3))
    with pytest.raises(InputError, match="noise must be >= 0"):
        relu.planted(10, 2, noise=-1.0)
    with pytest.raises(InputTypeError, match="n must be an integer"):
        relu.planted(10.0, 2)
    with pytest.raises(InputError, match="distribution must be one of"):
        relu.planted(10, 2, distribution="cauchy")
    with pytest.raises(InputError, match="X is zero"):
        relu.default_step(np.zeros((3, 2)))


def test_core_rechecks_its_inputs():
    from convexify import _core

    X = np.ones((3, 2))
    with pytest.raises(ValueError, match="step"):
        _core.relu_gd(X, np.ones(3), np.zeros((1, 2)), -1.0, 5, False, False, 1)
    with pytest.raises(ValueError, match="X contains NaN"):
        _core.relu_gd(np.full((3, 2), np.nan), np.ones(3), np.zeros((1, 2)), 1.0, 5, False, False, 1)
    with pytest.raises(ValueError, match="y must have as many rows"):
        _core.relu_losses(X, np.ones(4), np.zeros((1, 2)), False, False, False)
    with pytest.raises(ValueError, match="kernel must be one of"):
        _core.relu_gd(X, np.ones(3), np.zeros((1, 2)), 1.0, 5, False, False, 1, kernel="x")
    with pytest.raises(TypeError):  # no silent dtype conversion in the core
        _core.relu_gd(X.astype(np.float32), np.ones(3), np.zeros((1, 2)), 1.0, 5, False, False, 1)


def test_core_kernel_choice_is_parsed_naming_argument_and_choices():
    from convexify import _core

    X = np.ones((3, 2))
    for dtype in (np.float64, np.float32):
        with pytest.raises(InputError, match=r"^kernel must be one of 'auto', 'fused', 'gemm', got 'GEMM'$"):
            _core.relu_gd(
                X.astype(dtype), np.ones(3, dtype), np.zeros((1, 2)), 1.0, 5, False, False, 1, kernel="GEMM"
            )


def test_core_has_one_name_per_routine_with_a_float32_and_a_float64_overload(rng):
    from convexify import _core

    names = [n for n in dir(_core) if n.startswith("relu_")]
    assert not [n for n in names if n.endswith(("_f32", "_f64"))]
    X = rng.standard_normal((40, 3))
    y = np.maximum(X @ np.array([1.0, -2.0, 0.5]), 0.0)
    W = rng.standard_normal((2, 3))
    X32, y32 = X.astype(np.float32), y.astype(np.float32)
    for name in ("relu_losses", "relu_gd", "relu_power_lambda"):
        assert (getattr(_core, name).__doc__ or "").count("numpy.float32") >= 1, name
    L64, Lr64, G64 = _core.relu_losses(X, y, W, True, False, False)
    L32, Lr32, G32 = _core.relu_losses(X32, y32, W, True, False, False)
    np.testing.assert_allclose(L32, L64, rtol=1e-5)
    np.testing.assert_allclose(Lr32, Lr64, rtol=1e-5)
    np.testing.assert_allclose(G32, G64, rtol=1e-4, atol=1e-4 * np.abs(G64).max())
    lam = float(np.linalg.eigvalsh(X.T @ X)[-1])
    assert _core.relu_power_lambda(X, 200) == pytest.approx(lam, rel=1e-6)
    assert _core.relu_power_lambda(X32, 200) == pytest.approx(lam, rel=1e-5)
    r64 = _core.relu_gd(X, y, W, 1e-3, 20, False, False, 5)
    r32 = _core.relu_gd(X32, y32, W, 1e-3, 20, False, False, 5)
    assert type(r64) is type(r32) is _core.ReluGdResult
    np.testing.assert_allclose(r32.W, r64.W, rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(r32.train_loss, r64.train_loss, rtol=1e-5)
    with pytest.raises(TypeError):  # X float32, y float64: no overload, no conversion
        _core.relu_losses(X32, y, W, False, False, False)
    with pytest.raises(TypeError):  # a float16 X has no overload either
        _core.relu_power_lambda(X.astype(np.float16), 10)


def test_core_gd_result_is_the_bound_struct_and_gd_builds_its_dataclass_from_it(rng):
    from convexify import _core

    X = rng.standard_normal((60, 4))
    w_star = np.array([0.5, -1.0, 2.0, 0.25])
    y = np.maximum(X @ w_star, 0.0)
    W0 = rng.standard_normal((3, 4)) * 0.1
    r = _core.relu_gd(X, y, W0, 1e-3, 30, True, False, 10, X[:20], y[:20], w_star[None])
    assert sorted(k for k in dir(r) if not k.startswith("_")) == [
        "W",
        "diverged",
        "diverged_at",
        "iterations",
        "kernel",
        "recovery_error",
        "test_loss",
        "train_loss",
    ]
    assert r.W.shape == (3, 4) and not r.W.flags.writeable  # read-only views into the C++ struct
    assert r.train_loss.shape == r.test_loss.shape == r.recovery_error.shape == (4, 3)
    assert r.diverged.dtype == np.bool_ and r.diverged_at.dtype == np.int64
    np.testing.assert_array_equal(r.iterations, [0, 10, 20, 30])
    assert r.kernel == "fused"
    with pytest.raises(AttributeError):
        r.kernel = "gemm"
    bare = _core.relu_gd(X, y, W0, 1e-3, 30, True, False, 10)
    assert bare.test_loss is None and bare.recovery_error is None
    res = relu.gd(
        X,
        y,
        W0,
        step=1e-3,
        iters=30,
        relaxed=True,
        X_test=X[:20],
        y_test=y[:20],
        w_star=w_star,
        record_every=10,
        check=False,
    )
    np.testing.assert_array_equal(res.W, r.W)
    np.testing.assert_array_equal(res.train_loss, r.train_loss)
    np.testing.assert_array_equal(res.test_loss, r.test_loss)
    np.testing.assert_array_equal(res.recovery_error, r.recovery_error)
    np.testing.assert_array_equal(res.iterations, r.iterations)
    assert res.W.flags.writeable and res.train_loss.flags.writeable  # the dataclass owns its arrays
    assert res.step == 1e-3 and res.relaxed is True and res.kernel == "fused"


def test_core_gd_iterations_cover_every_history_row_when_every_run_diverges():
    # X = [[1], [-1]], y = (1, 1): with step 10 every step multiplies |w| by about 19 (the active row flips),
    # so both runs pass the blow-up threshold within 30 iterations and the core stops early.
    X = np.array([[1.0], [-1.0]])
    y = np.array([1.0, 1.0])
    res = relu.gd(
        X,
        y,
        np.array([[0.5], [0.2]]),
        step=10.0,
        iters=100,
        relaxed=True,
        record_every=5,
        on_divergence="flag",
        check=False,
    )
    assert res.diverged.all() and (res.diverged_at > 0).all() and (res.diverged_at < 40).all()
    np.testing.assert_array_equal(res.iterations, np.arange(21) * 5)
    assert res.train_loss.shape == (21, 2)
    assert np.isnan(res.train_loss[-1]).all() and np.isfinite(res.train_loss[0]).all()


def test_core_newton_result_is_the_bound_struct(rng):
    from convexify import _core

    X = rng.standard_normal((30, 3))
    y = np.maximum(X @ np.array([1.0, 2.0, -1.0]), 0.0)
    r = _core.relu_newton(X, y, np.zeros(3), 1e-10, 50)
    assert type(r) is _core.ReluNewtonResult
    assert r.status == "converged" and r.converged and isinstance(r.iterations, int)
    assert r.history.shape == (r.iterations + 1,) and r.history[-1] == r.gradient_norm
    res = relu.newton(X, y)
    np.testing.assert_array_equal(res.w, r.w)
    np.testing.assert_array_equal(res.history, r.history)
    assert (res.status, res.iterations, res.loss) == (r.status, r.iterations, r.loss)
    assert res.n_positive == int(np.count_nonzero(y > 0)) and res.rank_positive == 3
    assert res.global_minimiser_of_L


def test_gd_builds_its_result_the_same_way_from_the_cuda_path(rng, monkeypatch):
    # No GPU needed: a numpy stand-in for the CUDA kernel (same arguments and returns as the binding: W and
    # the un-normalised (T, B) loss sums) checks that gd builds GDResult from relu/_cuda.py's object exactly
    # as from the CPU core's ReluGdResult.
    import importlib

    from convexify import _core

    gd_module = importlib.import_module("convexify.relu._gd")

    def fake_kernel(X, Y, W, grad_scale, iters, relaxed, strict, record_every, X_test, Y_test, star):
        W = W.astype(np.float64).copy()
        train, test, rec = [], [], []
        for t in range(iters + 1):
            Z = X @ W.T
            R = np.maximum(Z, 0.0) - Y
            if t % record_every == 0:
                train.append(np.sum(R * R, axis=0))
                if X_test is not None:
                    Rt = np.maximum(X_test @ W.T, 0.0) - Y_test
                    test.append(np.sum(Rt * Rt, axis=0))
                if star is not None:
                    rec.append(np.linalg.norm(W - star, axis=1) / np.linalg.norm(star, axis=1))
            if t == iters:
                break
            if not relaxed:
                R = R * ((Z > 0) if strict else (Z >= 0))
            W = W - grad_scale * (R.T @ X)
        hist = [np.array(h) if h else None for h in (train, test, rec)]
        return (W,) + tuple(hist)

    monkeypatch.setattr(_core, "relu_gd_cuda", fake_kernel, raising=False)
    monkeypatch.setattr(gd_module, "resolve_device", lambda device: "cuda" if device == "cuda" else "cpu")
    X = rng.standard_normal((80, 5))
    w_star = np.array([1.0, -0.5, 0.25, 2.0, 0.0])
    y = np.maximum(X @ w_star, 0.0)
    W0 = rng.standard_normal((3, 5)) * 0.1
    kw = dict(step=1e-3, iters=40, relaxed=True, X_test=X[:30], y_test=y[:30], w_star=w_star, record_every=8)
    gpu = relu.gd(X, y, W0, device="cuda", check=False, **kw)
    cpu = relu.gd(X, y, W0, device="cpu", check=False, **kw)
    assert gpu.kernel == "cuda" and cpu.kernel == "fused"
    np.testing.assert_array_equal(gpu.iterations, cpu.iterations)
    np.testing.assert_array_equal(gpu.diverged, cpu.diverged)
    np.testing.assert_array_equal(gpu.diverged_at, cpu.diverged_at)
    np.testing.assert_allclose(gpu.W, cpu.W, rtol=1e-9, atol=1e-12)
    for name in ("train_loss", "test_loss", "recovery_error"):
        np.testing.assert_allclose(getattr(gpu, name), getattr(cpu, name), rtol=1e-9, err_msg=name)
    assert (gpu.step, gpu.relaxed) == (cpu.step, cpu.relaxed) == (1e-3, True)
