"""tiled_matrix: lazy Dask arrays and resumable zarr / .npy files, tile by tile (issue 17;
docs/gram.md#tiled)."""

from __future__ import annotations

import os

import numpy as np
import pytest

from convexify import InputError, InputTypeError
from convexify.gram import TileKernel, gram_matrix, ntk
from convexify.gram._tiled import tile_grid, tiled_matrix

pytest.importorskip("dask")
zarr = pytest.importorskip("zarr")

N, N2, D, B = 230, 70, 6, 64  # ragged last tile: 230 = 3 * 64 + 38, 70 = 64 + 6


@pytest.fixture(scope="module")
def data():
    rng = np.random.default_rng(17)
    return rng.standard_normal((N, D)), rng.standard_normal((N2, D))


@pytest.fixture(scope="module")
def tk(data):
    return TileKernel(data[0], 3, normalize=True)


@pytest.fixture(scope="module")
def tk_cross(data):
    return TileKernel(data[0], 3, normalize=True, X2=data[1])


def _dense(tk):
    return tk.block(0, tk.shape[0], 0, tk.shape[1])


def test_tile_grid_counts(tk, tk_cross):
    assert len(tile_grid(tk, B)) == 4 * 5 // 2
    assert len(tile_grid(tk_cross, B)) == 4 * 2


def test_lazy_dask_array_is_exact(tk, tk_cross, data):
    L = tiled_matrix(tk, B)
    assert L.shape == (N, N) and L.chunks == ((64, 64, 64, 38),) * 2
    K = L.compute()
    assert np.array_equal(K, _dense(tk))
    assert np.array_equal(K, K.T)  # lower tiles mirror the upper ones exactly
    # Bit for bit against the dense kernel (holds with the core tiler; the dense stand-in slices gram_matrix).
    assert np.array_equal(K, gram_matrix(data[0], 3, normalize=True))
    C = tiled_matrix(tk_cross, B)
    assert C.shape == (N, N2)
    assert np.array_equal(C.compute(), _dense(tk_cross))


def test_lazy_graph_holds_the_kernel_once(tk):
    L = tiled_matrix(tk, B)
    graph = dict(L.__dask_graph__())
    kernels = [v for v in graph.values() if isinstance(v, TileKernel)]
    assert len(kernels) == 1
    assert len(graph) == 1 + 16  # the kernel, 10 upper tiles, 6 mirrored


def test_lazy_on_a_client_is_exact(tk, dask_client):
    K = dask_client.compute(tiled_matrix(tk, B)).result()
    assert np.array_equal(K, _dense(tk))


@pytest.mark.parametrize("suffix", ["K.zarr", "K.npy"])
@pytest.mark.parametrize("where", ["threads", "serial", "client"])
def test_file_is_exact(tmp_path, tk, tk_cross, suffix, where, request):
    client = {"threads": None, "serial": "serial"}.get(where)
    if where == "client":
        client = request.getfixturevalue("dask_client")
    Z = tiled_matrix(tk, B, out=tmp_path / suffix, client=client, progress=False)
    assert np.array_equal(np.asarray(Z[:]), _dense(tk))
    Zc = tiled_matrix(tk_cross, B, out=tmp_path / ("cross" + suffix), client=client, progress=False)
    assert np.array_equal(np.asarray(Zc[:]), _dense(tk_cross))
    if suffix.endswith(".zarr"):
        assert tuple(Z.chunks) == (B, B)
        meta = dict(Z.attrs)["convexify"]
        assert meta["params"]["depth"] == 3 and meta["params"]["kernel"] == "gram"
        assert meta["shape"] == [N, N]
    assert len(os.listdir(str(tmp_path / suffix) + ".done")) == 10 + 1  # flags + params.json


@pytest.fixture
def counted(monkeypatch):
    calls = []
    original = TileKernel.block

    def block(self, i0, i1, j0, j1):
        calls.append((i0, j0))
        return original(self, i0, i1, j0, j1)

    monkeypatch.setattr(TileKernel, "block", block)
    return calls


@pytest.mark.parametrize("suffix", ["K.zarr", "K.npy"])
def test_resume_recomputes_only_missing_tiles(tmp_path, tk, counted, suffix):
    path = tmp_path / suffix
    tiled_matrix(tk, B, out=path, client="serial", progress=False)
    assert len(counted) == 10
    # Interrupt two tiles: drop their flags and corrupt their data (and the mirror of the off-diagonal one).
    done = str(path) + ".done"
    os.remove(os.path.join(done, "0-2"))
    os.remove(os.path.join(done, "3-3"))
    if suffix.endswith(".zarr"):
        z = zarr.open_array(str(path), mode="r+")
    else:
        z = np.load(path, mmap_mode="r+")
    z[0:64, 128:192] = -1.0
    z[128:192, 0:64] = np.nan
    z[192:230, 192:230] = 7.0
    if not suffix.endswith(".zarr"):
        z.flush()
    del z
    counted.clear()
    Z = tiled_matrix(tk, B, out=path, client="serial", progress=False)
    assert sorted(counted) == [(0, 128), (192, 192)]
    assert np.array_equal(np.asarray(Z[:]), _dense(tk))
    counted.clear()
    tiled_matrix(tk, B, out=path, progress=False)  # complete: nothing to do
    assert counted == []


@pytest.mark.parametrize("suffix", ["K.zarr", "K.npy"])
def test_mismatch_is_refused_and_file_untouched(tmp_path, data, tk, suffix):
    path = tmp_path / suffix
    tiled_matrix(tk, B, out=path, client="serial", progress=False)
    before = np.array(
        np.asarray(zarr.open_array(str(path))[:]) if suffix.endswith(".zarr") else np.load(path)
    )
    others = [
        TileKernel(data[0], 2, normalize=True),  # depth
        TileKernel(data[0], 3, "erf", normalize=True),  # activation
        TileKernel(data[0][:-1], 3, normalize=True),  # shape
        TileKernel(data[0][::-1], 3, normalize=True),  # data
        TileKernel(data[0], 3, normalize=True, kernel="ntk"),  # kernel
    ]
    for other in others:
        with pytest.raises(InputError, match="out"):
            tiled_matrix(other, B, out=path, client="serial", progress=False)
    with pytest.raises(InputError, match="out"):
        tiled_matrix(tk, 32, out=path, client="serial", progress=False)  # tile size
    after = np.asarray(zarr.open_array(str(path))[:]) if suffix.endswith(".zarr") else np.load(path)
    assert np.array_equal(before, after)


def test_foreign_files_are_refused(tmp_path, tk):
    np.save(tmp_path / "K.npy", np.zeros((N, N)))
    with pytest.raises(InputError, match="out"):
        tiled_matrix(tk, B, out=tmp_path / "K.npy", progress=False)
    zarr.create_array(store=str(tmp_path / "K.zarr"), shape=(N, N), chunks=(B, B), dtype="float64")
    with pytest.raises(InputError, match="out"):
        tiled_matrix(tk, B, out=tmp_path / "K.zarr", progress=False)


def test_ntk_tiles(data):
    tk = TileKernel(data[0], 2, normalize=True, kernel="ntk")
    K = tiled_matrix(tk, B).compute()
    assert np.array_equal(K, _dense(tk))
    assert np.array_equal(K, ntk(data[0], 2, normalize=True).ntk)


def test_bad_inputs(tmp_path, tk, data):
    for chunks in (0, -3):
        with pytest.raises(InputError, match="chunks"):
            tiled_matrix(tk, chunks)
    for chunks in (2.0, "64", True):
        with pytest.raises(InputTypeError, match="chunks"):
            tiled_matrix(tk, chunks)
    with pytest.raises(InputError, match="out"):
        tiled_matrix(tk, B, out=tmp_path / "K.h5")
    with pytest.raises(InputTypeError, match="out"):
        tiled_matrix(tk, B, out=3)
    with pytest.raises(InputTypeError, match="tk"):
        tiled_matrix(data[0], B)
    with pytest.raises(InputError, match="client"):
        tiled_matrix(tk, B, out=tmp_path / "K.zarr", client="threads")
    with pytest.raises(InputTypeError, match="client"):
        tiled_matrix(tk, B, out=tmp_path / "K.zarr", client=object())


def test_closed_client(tmp_path, tk):
    distributed = pytest.importorskip("distributed")
    cluster = distributed.LocalCluster(n_workers=1, processes=False, dashboard_address=None, memory_limit=0)
    c = distributed.Client(cluster, set_as_default=False)
    c.close()
    cluster.close()
    with pytest.raises(InputError, match="client is not running"):
        tiled_matrix(tk, B, out=tmp_path / "K.zarr", client=c)
    assert not os.path.exists(tmp_path / "K.zarr")


def test_dense_matrix_equals_blocks(tk, tk_cross, data):
    from convexify.gram._tiled import dense_matrix

    assert np.array_equal(dense_matrix(tk), _dense(tk))  # the threaded gram_matrix path
    assert np.array_equal(dense_matrix(tk_cross), _dense(tk_cross))
    tk_ntk = TileKernel(data[0], 2, normalize=True, kernel="ntk")
    assert np.array_equal(dense_matrix(tk_ntk), _dense(tk_ntk))
