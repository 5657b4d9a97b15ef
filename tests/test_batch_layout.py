"""The batch's modules (ordinance/batch/) are stages imported in one direction, and decide
through the engine's public entry only (``Policy.decide``, ``Policy.evaluate``)."""

from __future__ import annotations

import ast
from pathlib import Path

import ordinance.batch

PACKAGE = Path(ordinance.batch.__file__).parent


def _imports() -> dict[str, set[str]]:
    """Each module of the package: the modules of the package it imports, and the engine's."""
    out: dict[str, set[str]] = {}
    for path in sorted(PACKAGE.glob("*.py")):
        found: set[str] = set()
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.ImportFrom) and node.level == 1:
                found |= {node.module} if node.module else {a.name for a in node.names}
            elif isinstance(node, ast.ImportFrom) and node.level == 2 and node.module:
                found |= {f"..{node.module}"} | {f"..{node.module}.{a.name}" for a in node.names}
            elif isinstance(node, ast.Import):
                found |= {a.name for a in node.names}
        out[path.stem] = found
    return out


def test_the_stages_import_each_other_in_one_direction():
    imports = _imports()
    modules = set(imports) - {"__init__"}
    graph = {m: {i for i in imports[m] if i in modules} for m in modules}
    assert not graph["options"] and not graph["inputs"]  # the bottom: what every stage shares, the input
    order: list[str] = []
    while graph:
        free = sorted(m for m, deps in graph.items() if not deps - set(order))
        assert free, f"an import circle among {sorted(graph)}"
        order += free
        for m in free:
            del graph[m]
    assert order[-1] == "runner"  # the top: the run loop


def test_the_batch_decides_through_the_policy_only():
    for module, found in _imports().items():  # not the engine's back-ends (ordinance/run/) nor their parts
        assert not {i for i in found if i.startswith(("..run", "..rules.span", "..plan"))}, module
    for path in PACKAGE.glob("*.py"):
        text = path.read_text(encoding="utf-8")
        assert ".engine." not in text and "evaluate_case(" not in text and "case_function" not in text, path.name
