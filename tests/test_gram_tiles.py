"""The core tile kernel (docs/gram.md#tiles): blocks of any shape, cross kernels K(X, X2) and the NTK family
equal the dense matrices bit for bit; the cross kernels agree with the numpy oracles; bad input is refused."""

from __future__ import annotations

import numpy as np
import pytest

from convexify import InputError, InputTypeError
from convexify.gram import TileKernel, gram_matrix, ntk
from convexify.reference import gram as ref

N, N2, D = 230, 61, 7  # 230 rows: > 20000 pairs, so method="auto" builds tables; ragged 128-sub-tiles


@pytest.fixture(scope="module")
def data():
    rng = np.random.default_rng(1717)
    X = rng.standard_normal((N, D))
    X2 = rng.standard_normal((N2, D))
    return X / np.linalg.norm(X, axis=1, keepdims=True), X2 / np.linalg.norm(X2, axis=1, keepdims=True)


def _random_blocks(rng, n, n2, count):
    out = [(0, n, 0, n2), (n - 1, n, 0, n2), (0, n, n2 - 1, n2), (3, 3, 0, n2)]
    for _ in range(count):
        i0, i1 = np.sort(rng.integers(0, n + 1, 2))
        j0, j1 = np.sort(rng.integers(0, n2 + 1, 2))
        out.append((int(i0), int(i1), int(j0), int(j1)))
    return out


CASES = [
    ("relu", "fc", "auto"),
    ("relu", "fc", "direct"),
    ("relu", "resnet", "table"),
    ("erf", "fc", "table"),
    ("erf", "resnet", "direct"),
    ("tanh", "fc", "auto"),
    ("tanh", "resnet", "direct"),
    ("gelu", "fc", "direct"),
]


@pytest.mark.parametrize("activation,arch,method", CASES)
def test_blocks_equal_the_dense_matrix_bit_for_bit(data, activation, arch, method):
    X = data[0]
    K = gram_matrix(X, 3, activation, arch, quadrature_order=24, method=method)
    tk = TileKernel(X, 3, activation, arch, quadrature_order=24, method=method)
    rng = np.random.default_rng(7)
    for i0, i1, j0, j1 in _random_blocks(rng, N, N, 6):
        assert np.array_equal(tk.block(i0, i1, j0, j1), K[i0:i1, j0:j1]), (i0, i1, j0, j1)
    assert np.array_equal(tk.diag(), np.diag(K))
    idx = [N - 1, 0, 100, 100]
    assert np.array_equal(tk.columns(idx), K[:, idx])
    assert np.array_equal(tk.matrix(), K)


def test_threads_inside_a_block_do_not_change_bits(data):
    tk = TileKernel(data[0], 4, "erf", "resnet")
    one = tk._tiler.block(5, N, 0, N - 3, threads=1)
    assert np.array_equal(tk._tiler.block(5, N, 0, N - 3, threads=2), one)


@pytest.mark.parametrize("activation,arch", [("relu", "fc"), ("erf", "resnet"), ("tanh", "fc")])
def test_cross_kernel_is_the_corner_of_the_stacked_matrix(data, activation, arch):
    X, X2 = data
    C = gram_matrix(X, 3, activation, arch, quadrature_order=24, X2=X2, method="direct")
    assert C.shape == (N, N2)
    full = gram_matrix(np.vstack([X, X2]), 3, activation, arch, quadrature_order=24, method="direct")
    assert np.array_equal(C, full[:N, N:])
    # With tables (method="auto": the stacked rows have > 20000 pairs), to the tables' accuracy.
    Ca = gram_matrix(X, 3, activation, arch, quadrature_order=24, X2=X2)
    assert np.max(np.abs(Ca - C)) <= 1e-12 * np.max(np.abs(C))


@pytest.mark.parametrize("activation,arch", [("relu", "fc"), ("erf", "resnet"), ("relu", "resnet")])
def test_cross_kernel_against_the_numpy_oracle(data, activation, arch):
    X, X2 = data[0][:40], data[1]
    C = gram_matrix(X, 3, activation, arch, X2=X2)
    Z = np.vstack([X, X2])
    if arch == "fc":
        oracle = ref.gram_fc(Z, 3, activation)
    else:
        oracle = ref.gram_resnet(Z, 3, activation)
    assert np.max(np.abs(C - oracle[:40, 40:])) < 1e-12


@pytest.mark.parametrize("activation", ["relu", "erf", "softplus"])
def test_ntk_cross_kernels_equal_the_stacked_ntk(data, activation):
    X, X2 = data
    r = ntk(X, 3, activation, quadrature_order=24, X2=X2)
    full = ntk(np.vstack([X, X2]), 3, activation, quadrature_order=24)
    for name in ("nngp", "ntk", "K"):
        assert getattr(r, name).shape == (N, N2)
        assert np.array_equal(getattr(r, name), getattr(full, name)[:N, N:]), name
    # The NTK family's blocks of K(X, X), by kernel.
    sq = ntk(X, 3, activation, quadrature_order=24)
    for kernel in ("nngp", "ntk"):
        tk = TileKernel(X, 3, activation, quadrature_order=24, kernel=kernel)
        assert np.array_equal(tk.block(17, 200, 3, 229), getattr(sq, kernel)[17:200, 3:229])
    nngp, theta, k = TileKernel(X, 3, activation, quadrature_order=24, kernel="ntk").blocks_ntk(9, 99, 0, N)
    assert np.array_equal(k, sq.K[9:99]) and np.array_equal(theta, sq.ntk[9:99])


def test_ntk_cross_kernel_against_the_numpy_oracle(data):
    X, X2 = data[0][:30], data[1][:20]
    r = ntk(X, 2, "erf", X2=X2)
    sigma, theta, k = ref.nngp_ntk(np.vstack([X, X2]), 2, "erf")
    for got, want in ((r.nngp, sigma), (r.ntk, theta), (r.K, k)):
        assert np.max(np.abs(got - want[:30, 30:])) < 1e-12


def test_raw_rows_and_normalize_follow_gram_matrix(data):
    rng = np.random.default_rng(3)
    X, X2 = 3.0 * rng.standard_normal((20, D)), 0.5 * rng.standard_normal((9, D))
    raw = gram_matrix(X, 2, X2=X2, unit_norm="ignore")
    full = gram_matrix(np.vstack([X, X2]), 2, unit_norm="ignore", method="direct")
    assert np.array_equal(raw, full[:20, 20:])
    unit = gram_matrix(X, 2, X2=X2, normalize=True)
    Xn = np.vstack(
        [X / np.linalg.norm(X, axis=1, keepdims=True), X2 / np.linalg.norm(X2, axis=1, keepdims=True)]
    )
    assert np.max(np.abs(unit - gram_matrix(Xn, 2)[:20, 20:])) < 1e-15
    with pytest.raises(InputError, match="X2"):
        gram_matrix(data[0], 2, X2=X2)  # X2's rows are not unit-norm


def test_tiled_through_gram_matrix(data, tmp_path):
    pytest.importorskip("dask")
    X = data[0]
    K = gram_matrix(X, 3, "erf")
    lazy = gram_matrix(X, 3, "erf", chunks=50)
    assert lazy.chunks[0] == (50, 50, 50, 50, 30)
    assert np.array_equal(lazy.compute(), K)
    on_disk = gram_matrix(X, 3, "erf", chunks=64, out=tmp_path / "K.npy", progress=False, client="serial")
    assert np.array_equal(np.asarray(on_disk), K)
    cross = gram_matrix(X, 3, "erf", X2=data[1], chunks=40).compute()
    assert np.array_equal(cross, gram_matrix(X, 3, "erf", X2=data[1]))


def test_bad_input_is_refused(data):
    X, X2 = data
    with pytest.raises(InputError, match="X2"):
        gram_matrix(X, 2, X2=X2[:, :4])
    bad = X2.copy()
    bad[3, 2] = np.nan
    with pytest.raises(InputError, match="X2"):
        gram_matrix(X, 2, X2=bad)
    with pytest.raises(InputError, match="X2"):
        ntk(X, 2, X2=X2[:, :4])
    with pytest.raises(InputError, match="X2"):
        gram_matrix(X, 2, X2=np.empty((0, D)))
    with pytest.raises(InputError, match="return_all"):
        gram_matrix(X, 2, X2=X2, return_all=True)
    with pytest.raises(InputError, match="X2"):
        gram_matrix(X, 2, activation=(np.tanh, lambda z: 1 - np.tanh(z) ** 2), X2=X2)
    with pytest.raises(InputError, match="X2"):
        ntk(X, 2, activation=(np.tanh, lambda z: 1 - np.tanh(z) ** 2), X2=X2)
    with pytest.raises(InputError, match="device"):
        gram_matrix(X, 2, X2=X2, device="cuda")
    with pytest.raises(InputError, match="client"):
        gram_matrix(X, 2, client="serial")
    with pytest.raises(InputError, match="client"):
        gram_matrix(X, 2, X2=X2, client="serial")
    with pytest.raises(InputError, match="chunks"):
        gram_matrix(X, 2, chunks=0)
    with pytest.raises(InputTypeError, match="chunks"):
        gram_matrix(X, 2, chunks=2.5)
    with pytest.raises(InputError, match="X2"):
        gram_matrix(np.ones((4, 2, 3)), 2, arch="cnn", X2=np.ones((4, 2, 3)))
    tk = TileKernel(X, 2, X2=X2)
    with pytest.raises(InputError, match="block"):
        tk.block(0, N + 1, 0, 3)
    with pytest.raises(InputError, match="diag"):
        tk.diag()
    with pytest.raises(InputError, match="idx"):
        tk.columns([N2])
    with pytest.raises(InputError, match="kernel"):
        tk.blocks_ntk(0, 1, 0, 1)
    with pytest.raises(InputError, match="arch"):
        TileKernel(X, 2, arch="resnet", kernel="ntk")


def test_misaligned_rows_are_copied_before_the_core(data):
    """Rows unpickled from out-of-band buffers (Dask) may be misaligned: the core gets aligned copies."""
    import pickle

    X = data[0][:40]
    raw = np.zeros(X.size * 8 + 3, dtype=np.uint8)
    Xm = np.frombuffer(raw[3:].data, dtype=np.float64).reshape(X.shape)
    Xm[...] = X
    assert not Xm.flags.aligned
    tk = TileKernel(X, 2)
    state = tk.__getstate__()
    state["X"] = Xm
    clone = TileKernel.__new__(TileKernel)
    clone.__setstate__(dict(state, _token="misaligned-test"))
    assert np.array_equal(clone.block(0, 40, 0, 40), tk.block(0, 40, 0, 40))
    assert np.array_equal(pickle.loads(pickle.dumps(tk)).block(3, 17, 0, 40), tk.block(3, 17, 0, 40))
