"""The package's layout: no import cycles, no product path through the numpy oracles, one lens registry that
the subpackages, the report, the command line and the compiled core agree with."""

from __future__ import annotations

import ast
import importlib
import subprocess
import sys
from pathlib import Path
from typing import Dict, List, Set

import pytest

import convexify
from convexify import _core
from convexify._lenses import LENS_NAMES

PACKAGE_DIR = Path(convexify.__file__).resolve().parent
# Subpackages that are not lenses: the numpy oracles (tests and benchmarks only) and the report.
NOT_LENSES = {"reference", "reproduce"}


def _module_name(path: Path) -> str:
    rel = path.relative_to(PACKAGE_DIR.parent).with_suffix("")
    parts = list(rel.parts)
    if parts[-1] == "__init__":
        parts = parts[:-1]
    return ".".join(parts)


def _modules() -> Dict[str, Path]:
    return {_module_name(p): p for p in sorted(PACKAGE_DIR.rglob("*.py"))}


def _resolve(module: str, is_package: bool, node: ast.ImportFrom) -> str:
    if node.level == 0:
        return node.module or ""
    base = module.split(".")
    if not is_package:
        base = base[:-1]
    base = base[: len(base) - (node.level - 1)]
    return ".".join(base + ([node.module] if node.module else []))


def _imports(module: str, path: Path, *, top_level_only: bool) -> Set[str]:
    """Modules of the package that ``module`` imports (``from pkg import sub`` counts as importing sub)."""
    known = _modules()
    tree = ast.parse(path.read_text())
    nodes = tree.body if top_level_only else list(ast.walk(tree))
    out: Set[str] = set()
    for node in nodes:
        if isinstance(node, ast.ImportFrom):
            target = _resolve(module, path.name == "__init__.py", node)
            for alias in node.names:
                sub = f"{target}.{alias.name}"
                out.add(sub if sub in known or sub == "convexify._core" else target)
        elif isinstance(node, ast.Import):
            out.update(alias.name for alias in node.names)
    return {m for m in out if m.startswith("convexify")}


def test_no_import_cycle_among_module_level_imports():
    graph = {m: _imports(m, p, top_level_only=True) & set(_modules()) for m, p in _modules().items()}
    state: Dict[str, int] = {}
    stack: List[str] = []

    def visit(m: str) -> None:
        state[m] = 1
        stack.append(m)
        for nxt in sorted(graph.get(m, ())):
            if state.get(nxt) == 1:
                cycle = stack[stack.index(nxt) :] + [nxt]
                pytest.fail("import cycle: " + " -> ".join(cycle))
            if nxt not in state:
                visit(nxt)
        stack.pop()
        state[m] = 2

    for m in sorted(graph):
        if m not in state:
            visit(m)
    assert len(graph) > 30  # the walk saw the whole package


def test_every_module_imports_first():
    # In a fresh interpreter, for every module in turn: forget the package (the compiled core excepted),
    # import that module first, then every other one.  An order-dependent cycle fails here.
    names = sorted(set(_modules()) - {"convexify.__main__"})
    code = f"""
import importlib, sys
names = {names!r}
for first in names:
    for m in [m for m in sys.modules if m.startswith("convexify") and m != "convexify._core"]:
        del sys.modules[m]
    for m in [first] + [n for n in names if n != first]:
        try:
            importlib.import_module(m)
        except Exception as exc:
            sys.exit(f"importing {{m}} after {{first}} first: {{exc!r}}")
"""
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=300)
    assert out.returncode == 0, out.stderr[-2000:]


def test_no_product_module_imports_the_reference_oracles():
    offenders = []
    for m, p in _modules().items():
        if m.startswith("convexify.reference"):
            continue
        hits = {i for i in _imports(m, p, top_level_only=False) if i.startswith("convexify.reference")}
        if hits:
            offenders.append(f"{m} imports {sorted(hits)}")
    assert not offenders, offenders


def test_lens_registry_matches_subpackages_reports_cli_and_core():
    subpackages = {
        p.parent.name for p in PACKAGE_DIR.glob("*/__init__.py") if p.parent.name not in NOT_LENSES
    }
    assert subpackages == set(LENS_NAMES)
    reproduce = importlib.import_module("convexify.reproduce")
    assert tuple(reproduce.LENSES) == LENS_NAMES
    for name in LENS_NAMES:
        lens = getattr(convexify, name)
        assert lens.__name__ == f"convexify.{name}" and lens.__all__
        assert callable(importlib.import_module(f"convexify.reproduce.{name}").run)
        assert any(f.startswith(f"{name}_") for f in dir(_core)), f"_core binds nothing for lens {name!r}"
    help_text = subprocess.run(
        [sys.executable, "-m", "convexify", "reproduce", "--help"], capture_output=True, text=True, check=True
    ).stdout
    assert ",".join(LENS_NAMES) in help_text.replace("\n", "").replace(" ", "")


def test_every_public_name_of_a_lens_resolves():
    for name in LENS_NAMES:
        lens = getattr(convexify, name)
        missing = [n for n in lens.__all__ if not hasattr(lens, n)]
        assert not missing, f"convexify.{name}.__all__ names missing attributes: {missing}"
