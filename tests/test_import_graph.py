"""conformance/authenticator: no import cycle (lazy, function-level imports count) and no module importing another
module's private (_underscore) names: a newcomer can read any one module after the ones it imports."""

from __future__ import annotations

import ast
from pathlib import Path

import fidoconf.conformance.authenticator as package

PACKAGE_DIR = Path(package.__file__).resolve().parent


def _module_name(path: Path) -> str:
    relative = path.relative_to(PACKAGE_DIR).with_suffix("")
    parts = [p for p in relative.parts if p != "__init__"]
    return ".".join(parts) or "__init__"


def _imports(path: Path) -> list[tuple[str, list[str]]]:
    """(imported sibling module, names) for every relative import anywhere in the file."""
    here = _module_name(path).split(".")
    package_parts = here if path.name == "__init__.py" else here[:-1]
    found = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.ImportFrom) and node.level:
            base = package_parts[: len(package_parts) - (node.level - 1)] if node.level > 1 else package_parts
            if node.module:
                found.append((".".join([*base, node.module]), [a.name for a in node.names]))
            else:
                found.extend((".".join([*base, a.name]), []) for a in node.names)
    return found


def _graph() -> dict[str, set[str]]:
    modules = {_module_name(p): p for p in PACKAGE_DIR.rglob("*.py")}
    graph: dict[str, set[str]] = {}
    for name, path in modules.items():
        graph[name] = {target for target, _ in _imports(path) if target in modules and target != name}
    return graph


def _cycle(graph: dict[str, set[str]]) -> list[str] | None:
    state: dict[str, int] = {}
    stack: list[str] = []

    def visit(node: str) -> list[str] | None:
        state[node] = 1
        stack.append(node)
        for nxt in sorted(graph.get(node, ())):
            if state.get(nxt) == 1:
                return stack[stack.index(nxt):] + [nxt]
            if nxt not in state and (found := visit(nxt)):
                return found
        stack.pop()
        state[node] = 2
        return None

    for node in sorted(graph):
        if node not in state and (found := visit(node)):
            return found
    return None


def test_no_import_cycle():
    assert _cycle(_graph()) is None


def test_the_cycle_check_finds_a_cycle():
    assert _cycle({"a": {"b"}, "b": {"c"}, "c": {"a"}}) == ["a", "b", "c", "a"]


def test_no_private_name_crosses_modules():
    crossing = [
        (_module_name(path), target, name)
        for path in PACKAGE_DIR.rglob("*.py")
        for target, names in _imports(path)
        for name in names
        if name.startswith("_") and not name.startswith("__")
    ]
    assert crossing == []
