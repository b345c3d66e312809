"""Optional CUDA kernels: device selection everywhere; GPU == CPU where a GPU is visible (marker `cuda`)."""

from __future__ import annotations

import numpy as np
import pytest

import convexify
from convexify import gram, relu
from convexify._cuda import cuda_reason, resolve_device

needs_gpu = pytest.mark.skipif(not convexify.cuda_available(), reason="no CUDA build or no visible GPU")


def _unit_rows(rng, n, d):
    X = rng.standard_normal((n, d))
    return X / np.linalg.norm(X, axis=1, keepdims=True)


def test_resolve_device_choices():
    assert resolve_device("cpu") == "cpu"
    assert resolve_device("auto", supported=False) == "cpu"
    with pytest.raises(ValueError, match="device"):
        resolve_device("gpu")
    with pytest.raises(TypeError, match="device"):
        resolve_device(0)


@pytest.mark.skipif(convexify.cuda_available(), reason="checks the behaviour without a GPU")
def test_cuda_without_gpu_raises_and_auto_falls_back(rng):
    assert cuda_reason() != ""
    X = _unit_rows(rng, 12, 4)
    with pytest.raises(RuntimeError, match="device='cuda'"):
        gram.gram_matrix(X, 2, device="cuda")
    K_auto = gram.gram_matrix(X, 2, device="auto")
    np.testing.assert_array_equal(K_auto, gram.gram_matrix(X, 2, device="cpu"))
    y = np.maximum(X @ np.ones(4), 0.0)
    W0 = rng.standard_normal((3, 4)) * 0.1
    with pytest.raises(RuntimeError, match="device='cuda'"):
        relu.gd(X, y, W0, iters=5, device="cuda")
    a = relu.gd(X, y, W0, iters=5, device="auto")
    b = relu.gd(X, y, W0, iters=5, device="cpu")
    np.testing.assert_array_equal(a.W, b.W)


def test_info_reports_cuda_fields():
    info = convexify.build_info()
    assert isinstance(info["cuda_compiled"], bool)
    assert info["cuda_devices"] >= 0
    assert convexify.cuda_available() == (info["cuda_compiled"] and info["cuda_devices"] > 0)


@pytest.mark.cuda
@needs_gpu
@pytest.mark.parametrize("arch,depth", [("fc", 1), ("fc", 3), ("resnet", 2), ("resnet", 4)])
@pytest.mark.parametrize("activation", ["relu", "erf"])
def test_gram_gpu_equals_cpu(rng, arch, depth, activation):
    X = _unit_rows(rng, 300, 17)
    X[1] = X[0] + 1e-9 * X[2]  # a nearly parallel pair exercises the angle form
    X[1] /= np.linalg.norm(X[1])
    cpu = gram.gram_matrix(X, depth, activation, arch=arch, device="cpu")
    gpu = gram.gram_matrix(X, depth, activation, arch=arch, device="cuda")
    assert gpu.dtype == np.float64
    np.testing.assert_allclose(gpu, cpu, rtol=1e-12, atol=1e-12 * np.abs(cpu).max())
    np.testing.assert_array_equal(gpu, gpu.T)


@pytest.mark.cuda
@needs_gpu
@pytest.mark.parametrize("dtype,rtol", [(np.float64, 1e-12), (np.float32, 1e-5)])
@pytest.mark.parametrize("relaxed", [False, True])
def test_relu_gd_gpu_equals_cpu(dtype, rtol, relaxed):
    data = relu.planted(400, 20, seed=3)
    X = data.X.astype(dtype)
    y = data.y.astype(dtype)
    W0 = (np.random.default_rng(4).standard_normal((8, 20)) / np.sqrt(20)).astype(dtype)
    kw = dict(iters=50, relaxed=relaxed, record_every=5, w_star=data.w_star, classify=False)
    cpu = relu.gd(X, y, W0, device="cpu", **kw)
    gpu = relu.gd(X, y, W0, device="cuda", **kw)
    assert gpu.W.dtype == dtype
    np.testing.assert_allclose(gpu.W, cpu.W, rtol=rtol, atol=rtol * np.abs(cpu.W).max())
    np.testing.assert_allclose(gpu.train_loss, cpu.train_loss, rtol=rtol * 10)
    np.testing.assert_allclose(gpu.recovery_error, cpu.recovery_error, rtol=rtol * 10, atol=rtol)
