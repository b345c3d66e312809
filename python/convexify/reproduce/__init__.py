"""`convexify reproduce`: each lens's study on embedded or generated data, written as a report.

Every lens has a module ``convexify.reproduce.<lens>`` with ``run(out_dir: Path, quick: bool) -> Section``.
The report (``report.md``, ``report.json``, figures as PNG with JSON metrics beside them) lists every claim of
the survey with what was measured and a verdict: confirmed, refuted or qualified.
"""

from __future__ import annotations

import json
import sys
import time
from importlib import import_module
from pathlib import Path
from typing import List, Optional, Sequence

from .._lenses import LENS_NAMES
from ._report import Claim, Section, write_json

__all__ = ["LENSES", "run", "write_report"]

LENSES = LENS_NAMES


def run(out: Path, quick: bool = False, only: Optional[Sequence[str]] = None) -> List[Section]:
    """Run the selected lenses' studies into ``out`` and write ``out/report.md``; return the new sections.

    With ``only``, a report of the same mode (quick or full) already in ``out`` keeps its other lenses'
    sections: the report is updated lens by lens.
    """
    lenses = list(LENSES if not only else only)
    for lens in lenses:
        if lens not in LENSES:
            raise ValueError(f"only: unknown lens {lens!r}; choose from {list(LENSES)}")
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    sections = []
    for lens in lenses:
        module = import_module(f"{__name__}.{lens}")
        t0 = time.perf_counter()
        section = module.run(out / lens, quick=quick)
        section.seconds = time.perf_counter() - t0
        sections.append(section)
        print(
            f"[convexify reproduce] {lens}: {len(section.claims)} claims in {section.seconds:.1f} s",
            flush=True,
        )
    kept = [s for s in previous_sections(out, quick) if s.lens not in lenses] if only else []
    by_lens = {s.lens: s for s in kept + sections}
    write_report(out, [by_lens[lens] for lens in LENSES if lens in by_lens], quick=quick)
    return sections


def previous_sections(out: Path, quick: bool) -> List[Section]:
    """The sections of the report already in ``out`` when it was written in the same mode, else none."""
    path = Path(out) / "report.json"
    if not path.exists():
        return []
    try:
        data = json.loads(path.read_text())
        if bool(data["quick"]) != bool(quick):
            mode = "quick" if data["quick"] else "full"
            print(f"[convexify reproduce] replacing the {mode} report in {out}", file=sys.stderr)
            return []
        return [
            Section(
                lens=s["lens"],
                title=s["title"],
                claims=[Claim(**c) for c in s["claims"]],
                body=s.get("body", ""),
                figures=[f.split("/", 1)[1] for f in s["figures"]],
                metrics=s["metrics"],
                seconds=s["seconds"],
            )
            for s in data["sections"]
            if s["lens"] in LENSES
        ]
    except (ValueError, KeyError, TypeError, IndexError):
        print(f"[convexify reproduce] {path} is unreadable; writing a new report", file=sys.stderr)
        return []


def write_report(out: Path, sections: Sequence[Section], quick: bool) -> Path:
    from .. import build_info

    lines = [
        "# convexify reproduce",
        "",
        f"Mode: {'quick' if quick else 'full'}.  Build: {build_info().get('version')} "
        f"({build_info().get('compiler')}, Eigen {build_info().get('eigen_version')}).",
        "",
        "The claims are those of the survey *How to Convexify your Neural Network* (Sumedh and Sampad, "
        "2022) and of the papers it reviews, cited by section and equation (docs/references.md); "
        "docs/<lens>.md explains the theory and each correction.",
        "",
        "## Verdicts",
        "",
        "| lens | survey claim | verdict | measured |",
        "| --- | --- | --- | --- |",
    ]
    for s in sections:
        for c in s.claims:
            measured = c.measured.replace("|", "\\|").replace("\n", " ")
            lines.append(
                f"| {s.lens} | {c.claim.replace('|', chr(92) + '|')} | **{c.verdict}** | {measured} |"
            )
    for s in sections:
        lines += ["", f"## {s.title}", "", f"_Run time: {s.seconds:.1f} s._", ""]
        if s.body:
            lines += [s.body.strip(), ""]
        for fig in s.figures:
            lines += [f"![{fig}]({s.lens}/{fig})", ""]
    path = Path(out) / "report.md"
    path.write_text("\n".join(lines) + "\n")
    write_json(
        Path(out) / "report.json",
        {
            "quick": quick,
            "sections": [
                {
                    "lens": s.lens,
                    "title": s.title,
                    "body": s.body,
                    "seconds": s.seconds,
                    "claims": [c.__dict__ for c in s.claims],
                    "figures": [f"{s.lens}/{f}" for f in s.figures],
                    "metrics": s.metrics,
                }
                for s in sections
            ],
        },
    )
    return path
