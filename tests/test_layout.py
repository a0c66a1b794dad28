"""The house rules of the package layout: no import cycles, data flows one way, small files."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1] / "evalkit"

# Stages in the order data flows through them; `stats` is a foundation every stage may use.
STAGES = [
    "traces", "sampling", "labels", "taxonomy", "stats", "checks", "judges", "golden", "runs",
]
FOUNDATION = {"errors", "_atomic", "stats"}
ON_TOP = {"widgets", "plots", "cli", "sample_data"}
MAX_LINES = 600


def _module_name(path: Path) -> str:
    parts = list(path.relative_to(ROOT.parent).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def _modules() -> dict[str, Path]:
    return {_module_name(p): p for p in sorted(ROOT.rglob("*.py"))}


def _is_type_checking(node: ast.If) -> bool:
    test = node.test
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
        isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING"
    )


def _module_level_imports(name: str, path: Path, modules: dict[str, Path]) -> set[str]:
    """evalkit modules that importing ``name`` executes (not those imported inside functions)."""
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    is_pkg = path.name == "__init__.py"
    found: set[str] = set()

    def visit(body: list[ast.stmt]) -> None:
        for node in body:
            if isinstance(node, ast.Import):
                found.update(a.name for a in node.names)
            elif isinstance(node, ast.ImportFrom):
                if node.level:  # relative import
                    base = name.split(".") if is_pkg else name.split(".")[:-1]
                    base = base[: len(base) - (node.level - 1)]
                    mod = ".".join([*base, node.module] if node.module else base)
                else:
                    mod = node.module or ""
                found.add(mod)
                found.update(f"{mod}.{a.name}" for a in node.names)
            elif isinstance(node, ast.If) and not _is_type_checking(node):
                visit(node.body)
                visit(node.orelse)
            elif isinstance(node, ast.Try):
                visit(node.body)
                for h in node.handlers:
                    visit(h.body)
                visit(node.orelse)
                visit(node.finalbody)

    visit(tree.body)
    edges: set[str] = set()
    ancestors = {".".join(name.split(".")[:i]) for i in range(1, name.count(".") + 1)}
    if is_pkg:
        ancestors.add(name)
    for mod in found:
        if not mod.startswith("evalkit"):
            continue
        parts = mod.split(".")
        # importing a.b.c runs a/__init__, a/b/__init__ and a/b/c
        for i in range(1, len(parts) + 1):
            target = ".".join(parts[:i])
            if target in modules and target not in ancestors and target != name:
                edges.add(target)
    return edges


def _graph() -> dict[str, set[str]]:
    modules = _modules()
    return {name: _module_level_imports(name, path, modules) for name, path in modules.items()}


def _find_cycle(graph: dict[str, set[str]]) -> list[str] | None:
    state: dict[str, int] = {}  # 1: on the stack, 2: done
    stack: list[str] = []

    def dfs(node: str) -> list[str] | None:
        state[node] = 1
        stack.append(node)
        for nxt in sorted(graph.get(node, ())):
            if state.get(nxt) == 1:
                return [*stack[stack.index(nxt):], nxt]
            if nxt not in state and (cycle := dfs(nxt)):
                return cycle
        stack.pop()
        state[node] = 2
        return None

    for node in sorted(graph):
        if node not in state and (cycle := dfs(node)):
            return cycle
    return None


def test_cycle_finder_finds_a_planted_cycle() -> None:
    assert _find_cycle({"a": {"b"}, "b": {"c"}, "c": {"a"}}) == ["a", "b", "c", "a"]
    assert _find_cycle({"a": {"b"}, "b": {"c"}, "c": set()}) is None


def test_import_walker_sees_module_level_imports_only(tmp_path: Path) -> None:
    src = tmp_path / "m.py"
    src.write_text(
        "from typing import TYPE_CHECKING\n"
        "from evalkit.labels import store\n"
        "if TYPE_CHECKING:\n    from evalkit.widgets import annotator\n"
        "def f():\n    from evalkit.plots import agreement\n"
    )
    modules = _modules()
    edges = _module_level_imports("evalkit.stats.fake", src, modules)
    assert "evalkit.labels" in edges and "evalkit.labels.store" in edges
    assert not any(e.startswith(("evalkit.widgets", "evalkit.plots")) for e in edges)


def test_no_module_level_import_cycle() -> None:
    cycle = _find_cycle(_graph())
    assert cycle is None, "module-level import cycle: " + " -> ".join(cycle or [])


def _stage(name: str) -> str:
    parts = name.split(".")
    return parts[1] if len(parts) > 1 else ""


def test_data_flows_one_way() -> None:
    bad = []
    for name, targets in _graph().items():
        src = _stage(name)
        if src in ON_TOP or src not in STAGES:
            continue
        for t in targets:
            dst = _stage(t)
            if dst in ON_TOP:
                bad.append(f"{name} imports {t} (widgets, plots, cli sit on top)")
            elif dst in STAGES and dst not in FOUNDATION and STAGES.index(dst) > STAGES.index(src):
                bad.append(f"{name} imports {t}, a later stage")
    assert not bad, "\n".join(sorted(bad))


@pytest.mark.parametrize("path", sorted(ROOT.rglob("*.py")), ids=lambda p: str(p.relative_to(ROOT)))
def test_modules_are_small_with_a_docstring(path: Path) -> None:
    text = path.read_text(encoding="utf-8")
    n = text.count("\n")
    name = path.relative_to(ROOT)
    assert n <= MAX_LINES, f"{name} has {n} lines; split it by job (max {MAX_LINES})"
    if path.name != "__main__.py":
        assert ast.get_docstring(ast.parse(text)), f"{name} needs a docstring"


def test_one_read_labels() -> None:
    hits = [p for p in ROOT.rglob("*.py") if "def read_labels(" in p.read_text(encoding="utf-8")]
    assert [p.relative_to(ROOT).as_posix() for p in hits] == ["labels/files.py"]
