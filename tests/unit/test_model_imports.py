"""The stability-model modules import each other in one direction only (issue 14: no circle)."""

from __future__ import annotations

import ast
from pathlib import Path

import chelscreen.model

MODEL_DIR = Path(chelscreen.model.__file__).parent


def _graph() -> dict[str, set[str]]:
    graph: dict[str, set[str]] = {}
    for path in MODEL_DIR.glob("*.py"):
        name = path.stem
        deps: set[str] = set()
        for node in ast.walk(ast.parse(path.read_text())):  # lazy imports inside functions too
            if isinstance(node, ast.ImportFrom) and node.module:
                if node.module.startswith("chelscreen.model."):
                    deps.add(node.module.split(".")[2])
                elif node.module == "chelscreen.model":
                    deps.update(a.name for a in node.names)
            elif isinstance(node, ast.Import):
                deps.update(a.name.split(".")[2] for a in node.names
                            if a.name.startswith("chelscreen.model."))
        graph[name] = deps - {name}
    return graph


def test_model_package_has_no_import_cycle():
    graph = _graph()
    state: dict[str, int] = {}

    def visit(n: str, stack: list[str]) -> None:
        state[n] = 1
        for d in sorted(graph.get(n, ())):
            if state.get(d) == 1:
                raise AssertionError("import cycle: " + " -> ".join(stack + [n, d]))
            if d not in state:
                visit(d, stack + [n])
        state[n] = 2

    for n in sorted(graph):
        if n not in state:
            visit(n, [])
