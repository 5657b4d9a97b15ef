"""No import cycles between the files of ``ordinance/``.

The graph is built statically, with :mod:`ast`, the way an IDE or an import-graph tool sees it:
every ``import x`` and ``from x import y`` counts, at the top of a module, inside a function, or
under ``if TYPE_CHECKING:``.  A relative import is resolved against the importing file (in a
package's ``__init__.py``, ``.`` is that package itself); ``from p import name`` is an edge to the
module ``p.name`` when there is such a file, else to ``p`` (a package means its ``__init__.py``).
Importing ``a.b.c`` is an edge to ``a.b.c`` only, not to the packages above it.  Third-party and
standard-library modules are not nodes.

A cycle is a strongly connected component of more than one module (or a module that imports
itself).  Each one is printed with one concrete loop through it and the imports that close it:
``pytest -s tests/test_imports.py``, or ``python tests/test_imports.py``.
"""

from __future__ import annotations

import ast
from pathlib import Path

import ordinance

PACKAGE_DIR = Path(ordinance.__file__).resolve().parent
ROOT = PACKAGE_DIR.name  # "ordinance"

def module_files(package_dir: Path = PACKAGE_DIR) -> dict[str, Path]:
    """Every module under ``package_dir``, by dotted name (a package by its own name)."""
    root = package_dir.name
    modules: dict[str, Path] = {}
    for path in sorted(package_dir.rglob("*.py")):
        parts = (root, *path.relative_to(package_dir).with_suffix("").parts)
        if parts[-1] == "__init__":
            parts = parts[:-1]
        modules[".".join(parts)] = path
    return modules


def _resolve(importer: str, is_package: bool, module: str | None, level: int) -> str:
    """The absolute dotted name that ``from <level dots><module> import ...`` names in ``importer``."""
    if level == 0:
        return module or ""
    base = importer.split(".") if is_package else importer.split(".")[:-1]
    if level > 1:
        base = base[: max(0, len(base) - (level - 1))]  # past the top: nothing of ours
    return ".".join([*base, module] if module else base)


def imports_of(name: str, path: Path, modules: dict[str, Path]) -> set[str]:
    """The modules of ``modules`` that the file ``path`` (module ``name``) imports, anywhere in it."""
    is_package = path.name == "__init__.py"
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    found: set[str] = set()

    def add(target: str) -> None:
        # the longest prefix of ``target`` that is one of ours: ``import ordinance.web.app as w``
        # names the module ``ordinance.web.app``; an attribute path below a module names that module
        parts = target.split(".")
        while parts:
            candidate = ".".join(parts)
            if candidate in modules:
                found.add(candidate)
                return
            parts.pop()

    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                add(alias.name)
        elif isinstance(node, ast.ImportFrom):
            base = _resolve(name, is_package, node.module, node.level)
            for alias in node.names:
                submodule = f"{base}.{alias.name}"
                if alias.name != "*" and submodule in modules:
                    found.add(submodule)
                else:
                    add(base)
    return found


def import_graph(package_dir: Path = PACKAGE_DIR) -> dict[str, set[str]]:
    """module -> the modules of the package it imports."""
    modules = module_files(package_dir)
    return {name: imports_of(name, path, modules) for name, path in modules.items()}


def strongly_connected(graph: dict[str, set[str]]) -> list[list[str]]:
    """Tarjan's algorithm (iterative): the components of more than one module, or of one module
    that imports itself; each sorted, the list sorted."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    on_stack: set[str] = set()
    stack: list[str] = []
    components: list[list[str]] = []
    counter = 0
    for start in sorted(graph):
        if start in index:
            continue
        work = [(start, iter(sorted(graph[start])))]
        index[start] = low[start] = counter
        counter += 1
        stack.append(start)
        on_stack.add(start)
        while work:
            node, children = work[-1]
            for child in children:
                if child not in index:
                    index[child] = low[child] = counter
                    counter += 1
                    stack.append(child)
                    on_stack.add(child)
                    work.append((child, iter(sorted(graph.get(child, ())))))
                    break
                if child in on_stack:
                    low[node] = min(low[node], index[child])
            else:
                work.pop()
                if work:
                    parent = work[-1][0]
                    low[parent] = min(low[parent], low[node])
                if low[node] == index[node]:
                    component = []
                    while True:
                        member = stack.pop()
                        on_stack.discard(member)
                        component.append(member)
                        if member == node:
                            break
                    if len(component) > 1 or node in graph.get(node, ()):
                        components.append(sorted(component))
    return sorted(components)


def a_loop(graph: dict[str, set[str]], component: list[str]) -> list[str]:
    """One shortest loop through the first module of ``component`` (breadth first, inside it)."""
    members = set(component)
    start = component[0]
    previous: dict[str, str] = {}
    frontier = [start]
    while frontier:
        following = []
        for node in frontier:
            for child in sorted(graph[node] & members):
                if child == start:
                    loop = [node]
                    while loop[-1] != start:
                        loop.append(previous[loop[-1]])
                    return [start, *reversed(loop[:-1]), start] if node != start else [start, start]
                if child not in previous:
                    previous[child] = node
                    following.append(child)
        frontier = following
    raise AssertionError(f"no loop through {start}")  # pragma: no cover


def describe(graph: dict[str, set[str]], component: list[str]) -> str:
    members = set(component)
    lines = [f"cycle of {len(component)} modules: {', '.join(component)}",
             f"  e.g. {' -> '.join(a_loop(graph, component))}"]
    for name in component:
        lines.append(f"  {name} imports {', '.join(sorted(graph[name] & members))}")
    return "\n".join(lines)


def report(graph: dict[str, set[str]]) -> tuple[str, list[list[str]]]:
    """The text that lists every cycle, and the cycles."""
    components = strongly_connected(graph)
    lines = [f"{len(graph)} modules, {sum(map(len, graph.values()))} imports between them, "
             f"{len(components)} cycle(s):"]
    lines += [describe(graph, component) for component in components]
    return "\n".join(lines), components


# --- the tests ---------------------------------------------------------------------------------


def test_no_import_cycles():
    graph = import_graph()
    text, cycles = report(graph)
    print("\n" + text)
    assert len(graph) > 60  # every module of ordinance/ is in the graph
    assert not cycles, "import cycles between the files of ordinance/:\n" + "\n".join(
        describe(graph, component) for component in cycles)


def test_the_graph_sees_every_kind_of_import(tmp_path):
    """The resolver on a small package: plain, relative, ``from . import`` in an ``__init__``,
    ``from .. import module``, a function-local import, ``TYPE_CHECKING``; third party ignored."""
    pkg = tmp_path / "pkg"
    (pkg / "sub").mkdir(parents=True)
    files = {
        "__init__.py": "from . import a\n",
        "a.py": "import yaml\nfrom typing import TYPE_CHECKING\nif TYPE_CHECKING:\n    from .sub import c\n",
        "b.py": "def f():\n    from pkg.sub.c import thing\n",
        "sub/__init__.py": "from .. import b\nfrom . import c as _c\n",
        "sub/c.py": "from ..a import x\nfrom .. import name_in_init\nimport pkg.sub\n",
        "sub/d.py": "from . import nothing_here\nfrom ... import outside\n",
    }
    for name, text in files.items():
        (pkg / name).write_text(text, encoding="utf-8")
    graph = import_graph(pkg)
    assert graph == {
        "pkg": {"pkg.a"},
        "pkg.a": {"pkg.sub.c"},
        "pkg.b": {"pkg.sub.c"},
        "pkg.sub": {"pkg.b", "pkg.sub.c"},
        "pkg.sub.c": {"pkg.a", "pkg", "pkg.sub"},
        "pkg.sub.d": {"pkg.sub"},
    }
    components = strongly_connected(graph)
    assert components == [["pkg", "pkg.a", "pkg.b", "pkg.sub", "pkg.sub.c"]]  # pkg.b via pkg.sub
    assert a_loop(graph, components[0]) == ["pkg", "pkg.a", "pkg.sub.c", "pkg"]
    assert strongly_connected({"x": {"x"}, "y": set()}) == [["x"]]


if __name__ == "__main__":  # pragma: no cover - python tests/test_imports.py: the cycles, as the test sees them
    print(report(import_graph())[0])
