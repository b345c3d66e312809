"""``_core.pyi`` stays true: its functions, overloads, parameter names and bound classes equal the built
module's (pybind11 writes every overload's signature into the docstring)."""

from __future__ import annotations

import ast
import re
from pathlib import Path
from typing import Dict, Set, Tuple

import convexify
from convexify import _core

STUB = Path(convexify.__file__).resolve().parent / "_core.pyi"
# Kernels bound only in a CUDA build; the stub lists them, a build without nvcc lacks them.
CUDA_ONLY = {"gram_matrix_cuda", "relu_gd_cuda"}


def _split_params(text: str) -> Tuple[str, ...]:
    depth, cur, out = 0, "", []
    for ch in text:
        if ch in "([{":
            depth += 1
        elif ch in ")]}":
            depth -= 1
        if ch == "," and depth == 0:
            out.append(cur)
            cur = ""
        else:
            cur += ch
    if cur.strip():
        out.append(cur)
    names = []
    for p in out:
        p = p.strip()
        if p in ("*", "/") or p.startswith("self"):
            continue
        names.append(p.split(":")[0].split("=")[0].strip() + ("=" if "=" in p else ""))
    return tuple(names)


def _module_signatures(obj, name: str) -> Set[Tuple[str, ...]]:
    doc = obj.__doc__ or ""
    sigs = set()
    for m in re.finditer(rf"^(?:\d+\. )?{re.escape(name)}\((.*)\) -> ", doc, flags=re.M):
        sigs.add(_split_params(m.group(1)))
    return sigs


def _stub() -> Tuple[Dict[str, Set[Tuple[str, ...]]], Dict[str, Set[str]]]:
    tree = ast.parse(STUB.read_text())
    functions: Dict[str, Set[Tuple[str, ...]]] = {}
    classes: Dict[str, Set[str]] = {}
    for node in tree.body:
        if isinstance(node, ast.FunctionDef):
            a = node.args
            pos = a.posonlyargs + a.args
            defaults = [None] * (len(pos) - len(a.defaults)) + list(a.defaults)
            names = [p.arg + ("=" if d is not None else "") for p, d in zip(pos, defaults)]
            names += [p.arg + ("=" if d is not None else "") for p, d in zip(a.kwonlyargs, a.kw_defaults)]
            functions.setdefault(node.name, set()).add(tuple(names))
        elif isinstance(node, ast.ClassDef):
            attrs = set()
            for item in node.body:
                if isinstance(item, ast.AnnAssign) and isinstance(item.target, ast.Name):
                    attrs.add(item.target.id)
                elif isinstance(item, ast.FunctionDef) and not item.name.startswith("_"):
                    attrs.add(item.name)
            classes[node.name] = attrs
    return functions, classes


def _public(name: str) -> bool:
    return not name.startswith("_")


def test_stub_functions_and_signatures_equal_the_module():
    functions, _ = _stub()
    built = {
        n
        for n in dir(_core)
        if _public(n) and callable(getattr(_core, n)) and not isinstance(getattr(_core, n), type)
    }
    cuda = bool(_core.build_info.get("cuda_compiled"))
    expected = set(functions) if cuda else set(functions) - CUDA_ONLY
    assert built == expected, (
        f"only in module: {sorted(built - expected)}; only in stub: {sorted(expected - built)}"
    )
    for name in sorted(built):
        assert _module_signatures(getattr(_core, name), name) == functions[name], name


def test_stub_classes_equal_the_bound_result_classes():
    _, classes = _stub()
    built = {n for n in dir(_core) if _public(n) and isinstance(getattr(_core, n), type)}
    assert built == set(classes), (
        f"only in module: {sorted(built - set(classes))}; only in stub: {sorted(set(classes) - built)}"
    )
    for name in sorted(built):
        attrs = {a for a in dir(getattr(_core, name)) if _public(a)}
        assert attrs == classes[name], name


def test_stub_lists_build_info():
    assert "build_info" in STUB.read_text() and isinstance(_core.build_info, dict)
