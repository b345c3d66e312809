"""Lens 1 reproduce section: runs in quick mode, writes figures + JSON, and gives the expected verdicts."""

from __future__ import annotations

import json

import pytest

pytest.importorskip("matplotlib")


def test_reproduce_linear_quick(tmp_path):
    from convexify.reproduce import linear as section

    sec = section.run(tmp_path, quick=True)
    assert sec.lens == "linear" and len(sec.claims) >= 8
    verdicts = {c.claim.split(" (")[0]: c.verdict for c in sec.claims}
    assert verdicts["Strong duality holds only for 0 <= gamma <= sigma_min(Ytilde)"] == "refuted"
    assert all(c.measured for c in sec.claims)
    for fig in sec.figures:
        assert (tmp_path / fig).is_file()
        metrics = json.loads((tmp_path / fig.replace(".png", ".json")).read_text())
        assert metrics
    gaps = json.loads((tmp_path / "linear_gap_vs_gamma.json").read_text())
    for v in gaps["depth"].values():
        assert max(v["gap"]) < 1e-11
