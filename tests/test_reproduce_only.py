"""`reproduce --only LENS` into a folder with a report updates that section and keeps the others."""

from __future__ import annotations

import json
import types

import pytest

from convexify import reproduce
from convexify.reproduce._report import Claim, Section


def _fake_study(lens: str, value: float):
    def run(out_dir, quick):
        return Section(
            lens=lens,
            title=f"study of {lens}",
            claims=[Claim(f"claim of {lens}", f"measured {value}", "confirmed", key="k")],
            body=f"body of {lens} = {value}",
            metrics={"value": value},
        )

    return types.SimpleNamespace(run=run)


@pytest.fixture
def fake_studies(monkeypatch):
    def install(values):
        for lens, value in values.items():
            monkeypatch.setitem(
                __import__("sys").modules, f"convexify.reproduce.{lens}", _fake_study(lens, value)
            )

    return install


def _report(out):
    return json.loads((out / "report.json").read_text())


def test_only_updates_one_section_and_keeps_the_others(tmp_path, fake_studies):
    fake_studies({"linear": 1.0, "relu": 2.0, "gram": 3.0})
    reproduce.run(tmp_path, quick=True, only=["linear", "relu", "gram"])
    fake_studies({"relu": 20.0})
    reproduce.run(tmp_path, quick=True, only=["relu"])
    data = _report(tmp_path)
    assert [s["lens"] for s in data["sections"]] == ["linear", "relu", "gram"]  # registry order
    values = {s["lens"]: s["metrics"]["value"] for s in data["sections"]}
    assert values == {"linear": 1.0, "relu": 20.0, "gram": 3.0}
    md = (tmp_path / "report.md").read_text()
    assert "body of linear = 1.0" in md and "body of relu = 20.0" in md and "body of relu = 2.0" not in md
    assert md.count("| linear |") == 1 and md.count("| relu |") == 1 and md.count("| gram |") == 1


def test_a_report_of_the_other_mode_is_replaced(tmp_path, fake_studies, capsys):
    fake_studies({"linear": 1.0, "relu": 2.0})
    reproduce.run(tmp_path, quick=True, only=["linear", "relu"])
    reproduce.run(tmp_path, quick=False, only=["relu"])
    data = _report(tmp_path)
    assert data["quick"] is False and [s["lens"] for s in data["sections"]] == ["relu"]
    assert "replacing the quick report" in capsys.readouterr().err


def test_an_unreadable_report_is_replaced(tmp_path, fake_studies):
    (tmp_path / "report.json").write_text("{not json")
    fake_studies({"gram": 3.0})
    reproduce.run(tmp_path, quick=True, only=["gram"])
    assert [s["lens"] for s in _report(tmp_path)["sections"]] == ["gram"]


def test_without_only_the_report_is_new(tmp_path, fake_studies):
    fake_studies({name: float(i) for i, name in enumerate(reproduce.LENSES)})
    reproduce.run(tmp_path, quick=True, only=["linear"])
    reproduce.run(tmp_path, quick=True)
    assert [s["lens"] for s in _report(tmp_path)["sections"]] == list(reproduce.LENSES)
