"""`convexify reproduce`: each lens's study on embedded or generated data, written as a report.

Every lens has a module ``convexify.reproduce.<lens>`` with ``run(out_dir: Path, quick: bool) -> Section``.
The report (``report.md``, ``report.json``, figures as PNG with JSON metrics beside them) lists every claim of
the survey with what was measured and a verdict: confirmed, refuted or qualified.
"""

from __future__ import annotations

import time
from importlib import import_module
from pathlib import Path
from typing import List, Optional, Sequence

from .._lenses import LENS_NAMES
from ._report import Section, write_json

__all__ = ["LENSES", "run", "write_report"]

LENSES = LENS_NAMES


def run(out: Path, quick: bool = False, only: Optional[Sequence[str]] = None) -> List[Section]:
    """Run the selected lenses' studies into ``out`` and write ``out/report.md``; return the sections."""
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
    write_report(out, sections, quick=quick)
    return sections


def write_report(out: Path, sections: Sequence[Section], quick: bool) -> Path:
    from .. import build_info

    lines = [
        "# convexify reproduce",
        "",
        f"Mode: {'quick' if quick else 'full'}.  Build: {build_info().get('version')} "
        f"({build_info().get('compiler')}, Eigen {build_info().get('eigen_version')}).",
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
