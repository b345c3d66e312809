"""Building blocks of `convexify reproduce`: claims with verdicts, figures with JSON metrics beside them."""

from __future__ import annotations

import json
import math
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Dict, Iterable, List, Optional

import numpy as np

__all__ = ["Claim", "Section", "VERDICTS", "to_jsonable", "write_json", "save_figure", "progress"]

VERDICTS = ("confirmed", "refuted", "qualified")


@dataclass
class Claim:
    """One claim of the survey, what was measured (with numbers) and the verdict.

    ``key`` is a short identifier of the claim, unique within its lens and stable across wordings and runs:
    the committed verdict table (``tests/reproduce_verdicts.json``) is keyed by it.
    """

    claim: str
    measured: str
    verdict: str
    key: str = ""

    def __post_init__(self) -> None:
        if self.verdict not in VERDICTS:
            raise ValueError(f"verdict must be one of {VERDICTS}, got {self.verdict!r}")


@dataclass
class Section:
    """One lens's part of the report."""

    lens: str
    title: str
    claims: List[Claim] = field(default_factory=list)
    body: str = ""
    figures: List[str] = field(default_factory=list)
    metrics: Dict[str, Any] = field(default_factory=dict)
    seconds: float = 0.0


def to_jsonable(obj: Any) -> Any:
    """Convert numpy scalars/arrays (and nested containers) to plain JSON types; non-finite floats -> None."""
    if isinstance(obj, dict):
        return {str(k): to_jsonable(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return [to_jsonable(v) for v in obj]
    if isinstance(obj, np.ndarray):
        return to_jsonable(obj.tolist())
    if isinstance(obj, (np.bool_, bool)):
        return bool(obj)
    if isinstance(obj, (np.integer,)):
        return int(obj)
    if isinstance(obj, (np.floating, float)):
        v = float(obj)
        return v if math.isfinite(v) else None
    if isinstance(obj, Path):
        return str(obj)
    return obj


def write_json(path: Path, data: Any) -> Path:
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(to_jsonable(data), indent=2, sort_keys=True) + "\n")
    return path


def save_figure(fig: Any, out_dir: Path, name: str, metrics: Dict[str, Any]) -> str:
    """Save ``fig`` as ``out_dir/name.png`` with ``out_dir/name.json`` (the plotted numbers) beside it.

    Returns the PNG's file name (relative to ``out_dir``) for the report.
    """
    import matplotlib.pyplot as plt

    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    png = out_dir / f"{name}.png"
    fig.savefig(png, dpi=110, bbox_inches="tight")
    plt.close(fig)
    write_json(out_dir / f"{name}.json", metrics)
    return png.name


def progress(iterable: Iterable[Any], desc: str, total: Optional[int] = None, disable: bool = False) -> Any:
    """A tqdm progress bar on stderr (quiet when ``disable``)."""
    from tqdm.auto import tqdm

    return tqdm(iterable, desc=desc, total=total, disable=disable, leave=False, dynamic_ncols=True)
