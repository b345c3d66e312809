"""Time ratios from pytest-benchmark JSON files: within each group, every impl against "cpp" (the core).

    python bench/ratios.py bench.json                 # one run
    python bench/ratios.py baseline.json avx2.json    # several runs side by side, a column per run
    python bench/ratios.py --levels [--markdown] [--out DIR] -- [pytest args]
                                                      # one run per instruction-set level this CPU runs

``--levels`` runs ``python -m pytest bench --benchmark-only`` (or the pytest arguments given after ``--``)
once per level of the core that this CPU runs and this installation has, each in a fresh process with
``CONVEXIFY_ISA=<level>`` (docs/performance.md), so the lower levels are measured on the same machine in the
same session; an AVX-512 module can only be measured on an AVX-512 machine.  The table then has a column per
level: time(impl) / time(cpp) within each run, and a row ``cpp vs @<first>`` with the core's own speed-up
over the first (narrowest) level.  The CPU's name and each run's level come from the JSON's ``machine_info``
(bench/conftest.py records them).
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
from collections import defaultdict
from pathlib import Path
from typing import Dict, List, Sequence, Tuple

Run = Tuple[str, Dict[str, Dict[str, float]], dict]  # (label, group -> impl -> median seconds, machine_info)


def load(path: str) -> Run:
    data = json.load(open(path))
    groups: Dict[str, Dict[str, float]] = defaultdict(dict)
    for b in data["benchmarks"]:
        impl = b.get("extra_info", {}).get("impl", b["name"])
        groups[b.get("group") or b["name"]][impl] = b["stats"]["median"]
    info = data.get("machine_info", {})
    label = info.get("convexify_isa") or Path(path).stem
    return label, dict(groups), info


def table(runs: Sequence[Run], markdown: bool = False) -> str:
    labels = [r[0] for r in runs]
    cpu = {r[2].get("convexify_cpu") for r in runs if r[2].get("convexify_cpu")}
    lines: List[str] = []
    if cpu:
        lines.append(f"CPU: {', '.join(sorted(cpu))}")
    if len(runs) == 1:
        head = ["group", "impl", "median [s]", "ratio vs cpp"]
    else:
        head = ["group", "impl"] + [f"{lb} [s]" for lb in labels] + [f"{lb} ratio" for lb in labels]
    rows: List[List[str]] = []
    all_groups = sorted({g for r in runs for g in r[1]})
    for group in all_groups:
        impls = sorted({i for r in runs for i in r[1].get(group, {})}, key=lambda i: (i != "cpp", i))
        for impl in impls:
            times = [r[1].get(group, {}).get(impl) for r in runs]
            refs = [r[1].get(group, {}).get("cpp") for r in runs]
            ratios = [f"{t / c:.2f}" if (t and c) else "-" for t, c in zip(times, refs)]
            rows.append([group, impl] + [f"{t:.4g}" if t else "-" for t in times] + ratios)
        if len(runs) > 1 and "cpp" in impls:
            cpp = [r[1].get(group, {}).get("cpp") for r in runs]
            if cpp[0]:
                speed = [f"{cpp[0] / t:.2f}" if t else "-" for t in cpp]
                rows.append([group, f"cpp vs @{labels[0]}"] + ["" for _ in runs] + speed)
    if markdown:
        lines.append("| " + " | ".join(head) + " |")
        lines.append("|" + " --- |" * len(head))
        lines += ["| " + " | ".join(r) + " |" for r in rows]
    else:
        widths = [max(len(x) for x in col) for col in zip(head, *rows)] if rows else [len(h) for h in head]

        def fmt(r: List[str]) -> str:
            return "  ".join(x.ljust(w) if i < 2 else x.rjust(w) for i, (x, w) in enumerate(zip(r, widths)))

        lines.append(fmt(head))
        lines += [fmt(r) for r in rows]
    return "\n".join(lines)


def run_levels(pytest_args: Sequence[str], out: Path) -> List[str]:
    """One pytest-benchmark run per level (fresh process, CONVEXIFY_ISA); returns the JSON paths."""
    from convexify import _loader

    levels = [lv for lv in _loader.LEVELS if lv in _loader.cpu_levels() and lv in _loader.built_levels()]
    skipped = [lv for lv in _loader.LEVELS if lv not in levels]
    if skipped:
        print(
            f"# not measurable here: {', '.join(skipped)} (CPU runs {', '.join(_loader.cpu_levels())}; "
            f"built {', '.join(_loader.built_levels())})",
            file=sys.stderr,
        )
    out.mkdir(parents=True, exist_ok=True)
    args = list(pytest_args) or ["bench", "--benchmark-only"]
    paths = []
    for level in levels:
        path = out / f"{level}.json"
        env = dict(os.environ, CONVEXIFY_ISA=level, OMP_NUM_THREADS="1", OPENBLAS_NUM_THREADS="1")
        cmd = [
            sys.executable,
            "-m",
            "pytest",
            *args,
            "-q",
            "-p",
            "no:cacheprovider",
            f"--benchmark-json={path}",
        ]
        print(f"# CONVEXIFY_ISA={level} {' '.join(cmd)}", file=sys.stderr)
        subprocess.run(cmd, env=env, check=True, stdout=sys.stderr)  # stdout: the table only
        paths.append(str(path))
    return paths


def main(argv: Sequence[str] | None = None) -> None:
    argv = list(sys.argv[1:] if argv is None else argv)
    extra: List[str] = []
    if "--" in argv:
        i = argv.index("--")
        argv, extra = argv[:i], argv[i + 1 :]
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("files", nargs="*", help="pytest-benchmark JSON files (default: bench.json)")
    p.add_argument("--levels", action="store_true", help="run the benchmarks once per instruction-set level")
    p.add_argument(
        "--out", default=None, help="where --levels writes <level>.json (default: a temporary dir)"
    )
    p.add_argument("--markdown", action="store_true", help="print a markdown table")
    args = p.parse_args(argv)
    files = args.files
    if args.levels:
        files = run_levels(extra, Path(args.out or tempfile.mkdtemp(prefix="convexify-bench-")))
    print(table([load(f) for f in (files or ["bench.json"])], markdown=args.markdown))


if __name__ == "__main__":
    main()
