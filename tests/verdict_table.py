"""The committed verdict table of `convexify reproduce` (tests/reproduce_verdicts.json): every claim's verdict
by lens and claim key, the same for the quick and the full run, so that a change of verdict is deliberate.

    python tests/verdict_table.py REPORT.json [REPORT.json ...]   # each report's verdicts against the table
    python tests/verdict_table.py --write REPORT.json              # (re)write the table from a report
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Dict, List

TABLE = Path(__file__).with_name("reproduce_verdicts.json")

Verdicts = Dict[str, Dict[str, str]]


def load_table() -> Verdicts:
    return json.loads(TABLE.read_text())


def verdicts_of_report(path: Path) -> Verdicts:
    data = json.loads(Path(path).read_text())
    return {s["lens"]: {c["key"]: c["verdict"] for c in s["claims"]} for s in data["sections"]}


def mismatches(found: Verdicts, table: Verdicts) -> List[str]:
    """Lines naming every claim whose verdict differs from the table, or that one side lacks."""
    lines = []
    for lens in sorted(set(found) & set(table)):
        for key in sorted(set(found[lens]) | set(table[lens])):
            got, want = found[lens].get(key, "(missing)"), table[lens].get(key, "(missing)")
            if got != want:
                lines.append(f"{lens}/{key}: table says {want}, the report says {got}")
    return lines


def main(argv: List[str]) -> int:
    if argv[:1] == ["--write"]:
        TABLE.write_text(json.dumps(verdicts_of_report(Path(argv[1])), indent=2, sort_keys=True) + "\n")
        return 0
    table, reports = load_table(), [verdicts_of_report(Path(p)) for p in argv]
    print("| lens | claim | table | " + " | ".join(Path(p).parent.name for p in argv) + " |")
    print("| --- | --- | --- |" + " --- |" * len(argv))
    for lens in table:
        for key, verdict in table[lens].items():
            cells = [r.get(lens, {}).get(key, "(not run)") for r in reports]
            print(f"| {lens} | {key} | {verdict} | " + " | ".join(cells) + " |")
    bad = [line for r in reports for line in mismatches(r, table)]
    for line in bad:
        print("MISMATCH", line, file=sys.stderr)
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
