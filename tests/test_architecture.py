"""The shape of the code, kept: layers without import cycles, no private names across modules, small files and
functions, thin pages, a test module for every library module. Read from the source with ``ast``: nothing is
imported, so this runs in a fraction of a second."""

from __future__ import annotations

import ast
from functools import cache
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
PKG = ROOT / "resnet_viz"
MAX_FILE_LINES = 500
MAX_FUNCTION_LINES = 80
MAX_PAGE_LINES = 150
# Import-time torch would slow every page's first render (the sidebar and Home need none of it).
TORCH_FREE = ["resnet_viz.env", "resnet_viz.models.names", "resnet_viz.ui.common", "resnet_viz.figures.style",
             "resnet_viz.classroom.roles", "resnet_viz.classroom.limits", "resnet_viz.ui.access"]


def module_name(path: Path) -> str:
    parts = path.relative_to(ROOT).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


@cache
def modules() -> dict[str, Path]:
    return {module_name(p): p for p in sorted(PKG.rglob("*.py"))}


@cache
def tree(path: Path) -> ast.Module:
    return ast.parse(path.read_text(), filename=str(path))


def imported(path: Path) -> list[tuple[str, str | None, int]]:
    """(module, imported name or None, line) for every import of a project module, late imports included."""
    mods, out = modules(), []
    for node in ast.walk(tree(path)):
        if isinstance(node, ast.Import):
            out += [(a.name, None, node.lineno) for a in node.names if a.name in mods]
        elif isinstance(node, ast.ImportFrom) and node.module and node.module.startswith("resnet_viz"):
            for a in node.names:
                sub = f"{node.module}.{a.name}"
                out.append((sub, None, node.lineno) if sub in mods else (node.module, a.name, node.lineno))
    return out


def import_graph() -> dict[str, set[str]]:
    return {m: {t for t, _, _ in imported(p) if t != m and t in modules()} for m, p in modules().items()}


def cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected components with more than one module (Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    found: list[list[str]] = []

    def visit(v: str) -> None:
        index[v] = low[v] = len(index)
        stack.append(v)
        for w in graph[v]:
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            comp = []
            while (w := stack.pop()) != v:
                comp.append(w)
            if comp:
                found.append(sorted([v, *comp]))

    for v in sorted(graph):
        if v not in index:
            visit(v)
    return found


def test_no_import_cycles():
    assert cycles(import_graph()) == []


# Each layer imports only itself and the layers before it (README "Architecture").
LAYERS = ["resnet_viz", "i18n", "env", "classroom", "models", "data", "probes", "runs", "training", "figures",
          "lessons", "ui", "cli", "__main__"]


def layer(module: str) -> int:
    parts = module.split(".")
    return LAYERS.index(parts[1] if len(parts) > 1 else parts[0])


def test_layers_import_only_downwards():
    up = [f"{m} -> {t}" for m, targets in import_graph().items() for t in targets if layer(t) > layer(m)]
    assert up == []


def test_no_private_names_imported_across_modules():
    users = [*modules().values(), ROOT / "app.py", *sorted((ROOT / "pages").glob("*.py"))]
    bad = [f"{p.relative_to(ROOT)}:{line} imports {name} from {mod}" for p in users
           for mod, name, line in imported(p) if name and name.startswith("_") and not name.startswith("__")
           and not (name == "_" and mod == "resnet_viz.i18n")]  # gettext's _(), public by convention
    assert bad == []


def test_library_files_and_functions_are_small():
    big = [f"{p.relative_to(ROOT)}: {n} lines" for p in modules().values()
           if (n := len(p.read_text().splitlines())) > MAX_FILE_LINES]
    long = [f"{p.relative_to(ROOT)}:{f.lineno} {f.name}: {f.end_lineno - f.lineno + 1} lines"
            for p in [*modules().values(), ROOT / "app.py", *(ROOT / "pages").glob("*.py")]
            for f in ast.walk(tree(p)) if isinstance(f, ast.FunctionDef | ast.AsyncFunctionDef)
            and f.end_lineno - f.lineno + 1 > MAX_FUNCTION_LINES]
    assert big == [] and long == []


def test_pages_are_thin():
    fat = [f"{p.name}: {n} lines" for p in sorted((ROOT / "pages").glob("*.py"))
           if (n := len(p.read_text().splitlines())) > MAX_PAGE_LINES]
    assert fat == []


def imports_streamlit(path: Path) -> bool:
    for n in ast.walk(tree(path)):
        names = [a.name for a in n.names] if isinstance(n, ast.Import) else [n.module or ""] \
            if isinstance(n, ast.ImportFrom) else []
        if any(x.split(".")[0] == "streamlit" for x in names):
            return True
    return False


def test_streamlit_only_in_the_ui_package():
    assert [m for m, p in modules().items() if not m.startswith("resnet_viz.ui") and imports_streamlit(p)] == []


def test_every_module_has_a_docstring():
    assert [m for m, p in modules().items() if not ast.get_docstring(tree(p)) and m != "resnet_viz.__main__"] == []


@pytest.mark.parametrize("name", TORCH_FREE)
def test_light_modules_import_no_torch_at_import_time(name):
    """Follows the module-level imports (not the late ones inside functions) of each light module."""
    seen, todo = set(), [name]
    while todo:
        m = todo.pop()
        if m in seen:
            continue
        seen.add(m)
        body = tree(modules()[m]).body
        tops = [n for n in body if isinstance(n, ast.Import | ast.ImportFrom)]
        names = [a.name for n in tops if isinstance(n, ast.Import) for a in n.names]
        names += [n.module for n in tops if isinstance(n, ast.ImportFrom) and n.module]
        assert not any(x == "torch" or x.startswith(("torch.", "torchvision", "captum")) for x in names), m
        todo += [x for x in names if x in modules()]
        todo += [f"{n.module}.{a.name}" for n in tops if isinstance(n, ast.ImportFrom) and n.module
                 for a in n.names if f"{n.module}.{a.name}" in modules()]
        parent = m.rpartition(".")[0]
        if parent in modules():
            todo.append(parent)


def test_tests_mirror_the_library():
    """Every library module ``resnet_viz/a/b.py`` has ``tests/a/test_b.py``."""
    missing = []
    for p in modules().values():
        if p.name in ("__init__.py", "__main__.py"):
            continue
        rel = p.relative_to(PKG)
        if not (ROOT / "tests" / rel.parent / f"test_{rel.name}").is_file():
            missing.append(str(rel))
    assert missing == []
