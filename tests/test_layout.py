"""The package's shape: no import circle (``TYPE_CHECKING`` imports counted) and no module
over 400 lines, so the layout stays readable at a glance."""

from __future__ import annotations

import ast
from pathlib import Path

PACKAGE = Path(__file__).resolve().parent.parent / "pairing_provider"
MAX_LINES = 400
# Over the limit today, outside the PCE client layer: the lead splits them after other
# merges. Remove an entry when its module is split; never add one.
TOO_LONG_FOR_NOW = {
    "profile.py": 411,
}


def module_name(path: Path) -> str:
    parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def imported_modules(source: str, path: Path, modules: set[str]) -> set[str]:
    """Every package module ``source`` (the text of ``path``) imports, at any depth: in
    functions and under ``if TYPE_CHECKING:`` too (mypy and readers follow those)."""
    tree = ast.parse(source)
    here = module_name(path)
    package = here if path.name == "__init__.py" else here.rpartition(".")[0]
    found: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package.split(".")[: len(package.split(".")) - node.level + 1]
                base = ".".join([*anchor, *([base] if base else [])])
            # ``from pairing_provider import client`` imports the module client.
            names = [base, *(f"{base}.{alias.name}" for alias in node.names)]
        else:
            continue
        found.update(name for name in names if name in modules and name != here)
    return found


def import_graph() -> dict[str, set[str]]:
    paths = sorted(PACKAGE.rglob("*.py"))
    modules = {module_name(path) for path in paths}
    return {
        module_name(path): imported_modules(path.read_text(encoding="utf-8"), path, modules)
        for path in paths
    }


def find_circle(graph: dict[str, set[str]]) -> list[str] | None:
    """One import circle as [a, b, ..., a], or None. A package's ``__init__`` importing its
    own submodules is not a circle by itself (Python loads the package first)."""
    state: dict[str, str] = {}
    stack: list[str] = []

    def visit(module: str) -> list[str] | None:
        state[module] = "open"
        stack.append(module)
        for target in sorted(graph[module]):
            if module.startswith(target + "."):
                continue  # a submodule importing its own package's __init__
            if state.get(target) == "open":
                return [*stack[stack.index(target) :], target]
            if target not in state:
                circle = visit(target)
                if circle:
                    return circle
        stack.pop()
        state[module] = "done"
        return None

    for module in sorted(graph):
        if module not in state:
            circle = visit(module)
            if circle:
                return circle
    return None


def test_no_import_circle_in_the_package() -> None:
    circle = find_circle(import_graph())
    assert circle is None, "import circle: " + " -> ".join(circle or [])


def test_the_circle_finder_counts_a_type_checking_import() -> None:
    source = "if TYPE_CHECKING:\n    from pairing_provider.client import PCEClient\n"
    modules = {"pairing_provider.client", "pairing_provider.labels"}
    found = imported_modules(source, PACKAGE / "labels.py", modules)
    assert found == {"pairing_provider.client"}
    graph = {
        "pairing_provider.labels": found,
        "pairing_provider.client": {"pairing_provider.labels"},
    }
    assert find_circle(graph) == [
        "pairing_provider.client",
        "pairing_provider.labels",
        "pairing_provider.client",
    ]


def test_no_module_over_400_lines() -> None:
    over = {}
    for path in sorted(PACKAGE.rglob("*.py")):
        lines = len(path.read_text(encoding="utf-8").splitlines())
        name = str(path.relative_to(PACKAGE))
        if lines > TOO_LONG_FOR_NOW.get(name, MAX_LINES):
            over[name] = lines
    assert over == {}, f"modules over {MAX_LINES} lines (split them): {over}"
