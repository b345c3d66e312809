"""Print time ratios from a pytest-benchmark JSON file: within each group, every impl against "cpp".

python bench/ratios.py bench.json
"""

from __future__ import annotations

import json
import sys
from collections import defaultdict


def main(path: str) -> None:
    data = json.load(open(path))
    groups = defaultdict(dict)
    for b in data["benchmarks"]:
        impl = b.get("extra_info", {}).get("impl", b["name"])
        groups[b.get("group") or b["name"]][impl] = b["stats"]["median"]
    print(f"{'group':<48} {'impl':<14} {'median [s]':>12} {'ratio vs cpp':>13}")
    for group in sorted(groups):
        times = groups[group]
        ref = times.get("cpp")
        for impl, t in sorted(times.items(), key=lambda kv: kv[1]):
            ratio = f"{t / ref:13.2f}" if ref else f"{'-':>13}"
            print(f"{group:<48} {impl:<14} {t:12.4g} {ratio}")


if __name__ == "__main__":
    main(sys.argv[1] if len(sys.argv) > 1 else "bench.json")
