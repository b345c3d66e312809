"""The main job: `convexify reproduce --quick` writes a report with a verdict for every claim."""

from __future__ import annotations

import json

import pytest
from verdict_table import load_table, mismatches

from convexify import reproduce
from convexify.reproduce._report import VERDICTS


@pytest.mark.parametrize("lens", reproduce.LENSES)
def test_quick_section_writes_report(lens, tmp_path):
    sections = reproduce.run(tmp_path, quick=True, only=[lens])
    (section,) = sections
    assert section.lens == lens
    assert section.claims, "every section states the survey's claims with verdicts"
    keys = [claim.key for claim in section.claims]
    assert all(keys) and len(set(keys)) == len(keys), "every claim has a key, unique within its lens"
    # The committed table: the verdicts of the quick and the full run (identical); a change is deliberate.
    assert not mismatches({lens: dict(zip(keys, (c.verdict for c in section.claims)))}, load_table())
    for claim in section.claims:
        assert claim.verdict in VERDICTS
        if claim.verdict in ("confirmed", "refuted"):
            assert any(ch.isdigit() for ch in claim.measured), "a firm verdict comes with numbers"
    assert sum(any(ch.isdigit() for ch in c.measured) for c in section.claims) >= len(section.claims) / 2
    report = (tmp_path / "report.md").read_text()
    assert "## Verdicts" in report and section.title in report
    data = json.loads((tmp_path / "report.json").read_text())
    assert data["sections"][0]["lens"] == lens
    assert section.figures, "each study draws at least one figure"
    for fig in section.figures:
        png = tmp_path / lens / fig
        assert png.exists() and png.stat().st_size > 1000
        metrics = png.with_suffix(".json")
        assert metrics.exists(), "JSON metrics sit beside every figure"
        json.loads(metrics.read_text())
