"""The house rules of lrm's layout, checked on the source (AST): arrows point one way, functions stay short.

- lrm.signal and lrm.rules import nothing from lrm.pipeline, lrm.ble, lrm.report, lrm.commands, lrm.cli;
- lrm.pipeline imports nothing from lrm.report;
- nothing imports lrm.cli (but ``python -m lrm``'s lrm/__main__.py);
- no import cycle among lrm's modules;
- ``pipeline.analyze``'s body is at most 60 lines, and no function body in lrm/ exceeds 80 lines.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent / "lrm"
LOW_LAYERS = ("lrm.signal", "lrm.rules")
HIGH_LAYERS = ("lrm.pipeline", "lrm.ble", "lrm.report", "lrm.commands", "lrm.cli")


def _module_name(path: Path) -> str:
    parts = list(path.relative_to(ROOT.parent).with_suffix("").parts)
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


MODULES = {_module_name(p): p for p in sorted(ROOT.rglob("*.py"))}


def _within(name: str, packages: tuple[str, ...] | str) -> bool:
    packages = (packages,) if isinstance(packages, str) else packages
    return any(name == p or name.startswith(p + ".") for p in packages)


def imports_of(module: str) -> set[str]:
    """Every lrm module (or package) that ``module`` imports, at any depth of its code (lazy imports too)."""
    path = MODULES[module]
    package = module if path.name == "__init__.py" else module.rpartition(".")[0]
    found: set[str] = set()
    for node in _runtime_nodes(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found |= {a.name for a in node.names}
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package.split(".")[: len(package.split(".")) - node.level + 1]
                base = ".".join(anchor + ([node.module] if node.module else []))
            found.add(base)
            found |= {f"{base}.{a.name}" for a in node.names if f"{base}.{a.name}" in MODULES}
    return {name for name in found if _within(name, "lrm") and name != module}


def _runtime_nodes(tree: ast.AST) -> Iterator[ast.AST]:
    """Every node but those under ``if TYPE_CHECKING:`` (imports for annotations only, never run)."""
    for node in ast.iter_child_nodes(tree):
        if isinstance(node, ast.If) and isinstance(node.test, ast.Name) and node.test.id == "TYPE_CHECKING":
            yield from (n for child in node.orelse for n in [child, *_runtime_nodes(child)])
            continue
        yield node
        yield from _runtime_nodes(node)


GRAPH = {module: imports_of(module) for module in MODULES}


def test_the_checker_sees_imports():
    assert "lrm.signal.leg" in GRAPH["lrm.signal.legs"] and "lrm.cli" in GRAPH["lrm.__main__"]


@pytest.mark.parametrize("module", [m for m in MODULES if _within(m, LOW_LAYERS)])
def test_signal_and_rules_import_no_higher_layer(module):
    upward = sorted(name for name in GRAPH[module] if _within(name, HIGH_LAYERS))
    assert not upward, f"{module} imports {upward}"


def test_the_pipeline_does_not_import_the_report():
    assert not [name for name in GRAPH["lrm.pipeline"] if _within(name, "lrm.report")]


def test_nothing_imports_the_cli():
    importers = sorted(m for m, names in GRAPH.items() if "lrm.cli" in names and m != "lrm.__main__")
    assert not importers, f"lrm.cli is imported by {importers}"


def _cycle() -> list[str] | None:
    """One import cycle among lrm's modules (package edges resolved to modules), or None."""
    edges = {m: {n for n in names if n in MODULES and not (MODULES[n].name == "__init__.py" and _within(m, n))}
             for m, names in GRAPH.items()}
    state: dict[str, int] = {}
    stack: list[str] = []

    def visit(node: str) -> list[str] | None:
        state[node] = 1
        stack.append(node)
        for nxt in sorted(edges[node]):
            if state.get(nxt) == 1:
                return stack[stack.index(nxt):] + [nxt]
            if nxt not in state and (found := visit(nxt)):
                return found
        stack.pop()
        state[node] = 2
        return None

    for module in sorted(edges):
        if module not in state and (found := visit(module)):
            return found
    return None


def test_no_import_cycle():
    cycle = _cycle()
    assert cycle is None, " -> ".join(cycle or [])


def _functions() -> Iterator[tuple[str, ast.FunctionDef | ast.AsyncFunctionDef]]:
    for module, path in MODULES.items():
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
                yield module, node


def body_lines(node: ast.FunctionDef | ast.AsyncFunctionDef) -> int:
    """Lines of a function's body, its docstring left out."""
    body = node.body
    if len(body) > 1 and isinstance(body[0], ast.Expr) and isinstance(getattr(body[0], "value", None), ast.Constant) \
            and isinstance(body[0].value.value, str):
        body = body[1:]
    return int(node.end_lineno or body[-1].lineno) - body[0].lineno + 1


def test_analyze_reads_like_the_algorithm():
    analyze = next(node for module, node in _functions() if module == "lrm.pipeline" and node.name == "analyze")
    assert body_lines(analyze) <= 60


def test_no_function_body_is_longer_than_80_lines():
    long = sorted(f"{module}.{node.name}: {body_lines(node)}" for module, node in _functions() if body_lines(node) > 80)
    assert not long, long
