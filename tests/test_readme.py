"""The README's API tour runs as written (with fewer GD iterations) and gives what it says."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

README = Path(__file__).resolve().parents[1] / "README.md"


@pytest.mark.skipif(not README.exists(), reason="README.md not next to the tests (installed test run)")
def test_readme_api_tour_runs():
    text = README.read_text()
    code = re.search(r"```python\n(.*?)```", text, re.S).group(1)
    ns: dict = {}
    exec(compile(code.replace("iters=3000", "iters=200"), str(README), "exec"), ns)
    res = ns["res"]
    assert abs(res.gap) <= 1e-9 * max(1.0, abs(res.primal_value))
    assert [w.shape for w in res.weights] == [(4, 30), (8, 4), (10, 8)]
    b = ns["b"]
    for I in (1, 4, 16):
        assert b[I].lower <= b[I].upper + 1e-9
    assert ns["s"].lambda_min > 0
    assert ns["st"].W.shape == (2, 50) and ns["st"].train_loss.shape[1] == 2
    g, r = ns["g"], ns["r"]
    assert g.certificate.certified and g.certificate.scope == "global"
    assert g.certificate.dual <= r.certificate.primal  # weak duality: the ReLU network is a gated one
    assert r.certificate.certified and r.certificate.gap <= 1e-3 * r.certificate.primal
    from convexify import convex_nn

    obj = convex_nn.network_objective(ns["Xc"], ns["yc"], ns["W1"], ns["a"], 1e-2)
    assert obj == pytest.approx(r.certificate.primal, rel=1e-12)
    first = README.read_text().split("```bash\n", 1)[1].split("```", 1)[0].strip().splitlines()
    assert first[0].startswith("pip install . && convexify reproduce --quick")
    assert first[1].startswith('pip install ".[test]" && python -m pytest')


@pytest.mark.skipif(not README.exists(), reason="README.md not next to the tests (installed test run)")
def test_readme_scale_tour_runs(tmp_path, monkeypatch):
    pytest.importorskip("zarr")
    text = README.read_text().split("## Kernels at scale, on Dask", 1)[1]
    code = re.search(r"```python\n(.*?)```", text, re.S).group(1)
    monkeypatch.chdir(tmp_path)  # it writes K.zarr
    ns: dict = {}
    exec(compile(code, str(README), "exec"), ns)
    assert ns["Kc"].shape == (2000, 300) and ns["r"].ntk.shape == (2000, 300)
    import numpy as np

    K = np.asarray(ns["Z"][:])
    assert np.array_equal(K, ns["L"].compute()[:500, :500])
    assert (tmp_path / "K.zarr").exists()
