"""[speed] The shape the developers' guide asks for, checked on the source: no module-level
caches of results, model.py owns the model types, and no import cycle among growthlog's
modules, counting the imports a TYPE_CHECKING block or a function hides."""

from __future__ import annotations

import ast
from pathlib import Path

from conftest import REPO

PACKAGE = REPO / "generator"
MODULES = {f"generator.{p.stem}": p for p in sorted(PACKAGE.glob("*.py"))}
def _imports(path: Path) -> set[str]:
    """Every growthlog module this one imports anywhere in its source."""
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.ImportFrom) and node.module == "generator":
            found |= {f"generator.{alias.name}" for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and (node.module or "").startswith("generator."):
            found.add(node.module or "")
        elif isinstance(node, ast.Import):
            found |= {alias.name for alias in node.names}
    return found & set(MODULES)


def _cycles(graph: dict[str, set[str]]) -> list[frozenset[str]]:
    """The strongly connected components of more than one module (Tarjan's algorithm)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    found: list[frozenset[str]] = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        for other in sorted(graph[node]):
            if other not in index:
                visit(other)
                low[node] = min(low[node], low[other])
            elif other in stack:
                low[node] = min(low[node], index[other])
        if low[node] == index[node]:
            part = set()
            while True:
                other = stack.pop()
                part.add(other)
                if other == node:
                    break
            if len(part) > 1:
                found.append(frozenset(part))

    for node in sorted(graph):
        if node not in index:
            visit(node)
    return found


def test_no_import_cycles() -> None:
    graph = {name: _imports(path) - {name} for name, path in MODULES.items()}
    assert _cycles(graph) == []
    assert _cycles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [
        frozenset({"a", "b", "c"})]  # the check itself finds a cycle


def test_model_imports_no_growthlog_module() -> None:
    """Every model type lives in model.py, so it needs none of the modules that use them:
    only value.py, the base of every frozen dataclass, which imports none itself."""
    assert _imports(MODULES["generator.model"]) == {"generator.value"}
    assert _imports(MODULES["generator.value"]) == set()


def test_no_module_level_cache_decorators() -> None:
    """No @cache or @lru_cache: what a build may reuse lives in its BuildCache, parsers in
    the Markdown object a build renders with."""
    found = []
    for name, path in MODULES.items():
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
                for decorator in node.decorator_list:
                    target = decorator.func if isinstance(decorator, ast.Call) else decorator
                    called = target.attr if isinstance(target, ast.Attribute) else \
                        getattr(target, "id", "")
                    if called in ("cache", "lru_cache"):
                        found.append(f"{name}.{node.name}")
    assert found == []
