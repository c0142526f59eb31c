"""The layering of docs/../DESIGN.md, read from the code: every `import` of every module under
src/jayul (at module level, inside functions and inside `if TYPE_CHECKING:` blocks) is checked
against the rules below, and the package graph must have no cycle.

Imports under `TYPE_CHECKING` count. A type named in a signature is a dependency of the design
even when nothing loads it at run time: a lower layer that names an upper layer's type cannot be
understood, tested or reused without that layer, and a `TYPE_CHECKING` import is the usual way a
cycle gets hidden rather than removed.

Rules (packages are the first name under `jayul.`):
- `records` imports nothing of jayul; `plant` imports at most `records` (both sit at the bottom;
  the plant file may name records such as the machine-state vocabulary).
- the core (`twin`, `historian`, `health`, `decide`, `verify`, `gate`, `govern`, `autopilot`)
  imports none of the edges (`connect`, `server`, `cli`, `bench`, `console`, `fleet`, `agents`).
- no cycle between packages.
- every package's `__init__` declares `__all__`, and every name in it resolves.
"""

from __future__ import annotations

import ast
import importlib
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

SRC = Path(__file__).resolve().parents[1] / "src"
ROOT = SRC / "jayul"

BOTTOM_ALLOWED = {"records": set[str](), "plant": {"records"}}
CORE = {
    "twin",
    "historian",
    "health",
    "decide",
    "verify",
    "gate",
    "govern",
    "autopilot",
    "alarms",
    "reports",
    "calibrate",
}
EDGES = {"connect", "server", "cli", "bench", "console", "fleet", "agents", "shell"}

# Known exceptions, each with its reason. Keep this list short and print it.
# `jayul bench security` attacks the CLI in-process, thousands of times (a process per attempt
# would take hours), so that one benchmark module imports the CLI that registers it.
_CLI_ATTACK = "bench security drives the CLI in-process, as an attacker would"
ALLOWED_VIOLATIONS = {
    ("jayul.bench.security.api", "jayul.cli.main"): _CLI_ATTACK,
    ("jayul.bench.security.api", "jayul.cli.demo_ui"): _CLI_ATTACK,
}


@dataclass(frozen=True)
class ImportEdge:
    module: str  # the importing module, e.g. jayul.gate.gate
    target: str  # the imported module, e.g. jayul.govern.audit
    line: int

    @property
    def source_package(self) -> str:
        return _package(self.module)

    @property
    def target_package(self) -> str:
        return _package(self.target)

    def __str__(self) -> str:
        return f"{self.module} (line {self.line}) imports {self.target}"


def _package(module: str) -> str:
    parts = module.split(".")
    return parts[1] if len(parts) > 1 else ""


def _module_name(path: Path) -> tuple[str, bool]:
    parts = list(path.relative_to(SRC).with_suffix("").parts)
    is_init = parts[-1] == "__init__"
    if is_init:
        parts = parts[:-1]
    return ".".join(parts), is_init


def _resolve(module: str, is_init: bool, node: ast.ImportFrom) -> list[str]:
    if node.level == 0:
        base = node.module or ""
    else:
        anchor = module.split(".") if is_init else module.split(".")[:-1]
        anchor = anchor[: len(anchor) - (node.level - 1)]
        base = ".".join(anchor + ([node.module] if node.module else []))
    if node.module is None:  # `from . import x` / `from jayul import x`: x may be a module
        return [f"{base}.{alias.name}" for alias in node.names]
    return [base]


def imports_in(source: str, module: str, is_init: bool = False) -> Iterator[ImportEdge]:
    """Every jayul import in one module, wherever it sits (ast.walk visits every nested block)."""
    for node in ast.walk(ast.parse(source)):
        targets: list[str] = []
        if isinstance(node, ast.Import):
            targets = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            targets = _resolve(module, is_init, node)
        for target in targets:
            if target == "jayul" or target.startswith("jayul."):
                yield ImportEdge(module, target, node.lineno)


def imports_of(path: Path) -> Iterator[ImportEdge]:
    module, is_init = _module_name(path)
    return imports_in(path.read_text(encoding="utf-8"), module, is_init)


def all_edges() -> list[ImportEdge]:
    return [edge for path in sorted(ROOT.rglob("*.py")) for edge in imports_of(path)]


def _allowed(edge: ImportEdge) -> bool:
    return (edge.module, edge.target) in ALLOWED_VIOLATIONS


def layer_violations(edges: list[ImportEdge]) -> list[str]:
    problems = []
    for edge in edges:
        src, dst = edge.source_package, edge.target_package
        if not src or not dst or src == dst or _allowed(edge):
            continue
        if src in BOTTOM_ALLOWED and dst not in BOTTOM_ALLOWED[src]:
            problems.append(f"{edge}: `{src}` sits at the bottom and may not import `{dst}`")
        elif src in CORE and dst in EDGES:
            problems.append(f"{edge}: `{src}` is core and may not import the edge `{dst}`")
    return problems


def package_cycles(edges: list[ImportEdge]) -> list[list[str]]:
    """Strongly connected components of more than one package (Tarjan), i.e. the cycles."""
    graph: dict[str, set[str]] = {}
    for edge in edges:
        src, dst = edge.source_package, edge.target_package
        if src and dst and src != dst and not _allowed(edge):
            graph.setdefault(src, set()).add(dst)
            graph.setdefault(dst, set())
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    components: list[list[str]] = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for nxt in sorted(graph[node]):
            if nxt not in index:
                visit(nxt)
                low[node] = min(low[node], low[nxt])
            elif nxt in on_stack:
                low[node] = min(low[node], index[nxt])
        if low[node] == index[node]:
            component = []
            while True:
                top = stack.pop()
                on_stack.discard(top)
                component.append(top)
                if top == node:
                    break
            if len(component) > 1:
                components.append(sorted(component))

    for node in sorted(graph):
        if node not in index:
            visit(node)
    return components


def test_allowed_violations_are_listed() -> None:
    edges = {(edge.module, edge.target) for edge in all_edges()}
    for (module, target), why in ALLOWED_VIOLATIONS.items():
        state = "still present" if (module, target) in edges else "gone: remove this entry"
        print(f"known layering violation: {module} imports {target} ({why}; {state})")


def test_layers_hold() -> None:
    problems = layer_violations(all_edges())
    assert not problems, "layering violations:\n" + "\n".join(problems)


def test_no_cycles_between_packages() -> None:
    edges = all_edges()
    cycles = package_cycles(edges)
    details = []
    for component in cycles:
        members = set(component)
        details.append(" <-> ".join(component))
        details += [
            f"    {edge}"
            for edge in edges
            if edge.source_package in members
            and edge.target_package in members
            and edge.source_package != edge.target_package
            and not _allowed(edge)
        ]
    assert not cycles, "import cycles between packages:\n" + "\n".join(details)


PACKAGES = sorted(p.parent.relative_to(SRC).as_posix() for p in ROOT.rglob("__init__.py"))


# A benchmark's folder (jayul/bench/<name>) is a harness and its command, not an API: only the
# product's packages, and bench itself, must name what they offer.
API_PACKAGES = [
    p.replace("/", ".") for p in PACKAGES if p != "jayul" and not p.startswith("jayul/bench/")
]


@pytest.mark.parametrize("package", API_PACKAGES)
def test_package_names_its_public_api(package: str) -> None:
    init = SRC.joinpath(*package.split("."), "__init__.py")
    tree = ast.parse(init.read_text(encoding="utf-8"))
    declared = [
        node
        for node in tree.body
        if isinstance(node, ast.Assign | ast.AnnAssign)
        and any(
            isinstance(t, ast.Name) and t.id == "__all__"
            for t in (node.targets if isinstance(node, ast.Assign) else [node.target])
        )
    ]
    assert declared, f"{init.relative_to(SRC.parent)} declares no __all__"
    mod = importlib.import_module(package)
    missing = [name for name in mod.__all__ if not hasattr(mod, name)]
    assert not missing, f"{package}.__all__ names what it does not define: {missing}"


# The checker itself must be able to fail: each rule on a small made-up import graph.
def _edge(module: str, target: str) -> ImportEdge:
    return ImportEdge(module, target, 1)


def test_checker_catches_each_kind_of_violation() -> None:
    assert layer_violations([_edge("jayul.records.x", "jayul.plant.model")])
    assert not layer_violations([_edge("jayul.plant.x", "jayul.records.events")])
    assert layer_violations([_edge("jayul.plant.x", "jayul.twin.factory")])
    assert layer_violations([_edge("jayul.health.x", "jayul.server.app")])
    assert layer_violations([_edge("jayul.autopilot.x", "jayul.connect.mqtt_source")])
    assert not layer_violations([_edge("jayul.connect.x", "jayul.autopilot.loop")])
    assert package_cycles(
        [_edge("jayul.gate.a", "jayul.govern.b"), _edge("jayul.govern.c", "jayul.gate.d")]
    ) == [["gate", "govern"]]
    assert not package_cycles([_edge("jayul.gate.a", "jayul.govern.b")])


def test_checker_sees_imports_in_functions_and_type_checking() -> None:
    source = (
        "from typing import TYPE_CHECKING\n"
        "if TYPE_CHECKING:\n"
        "    from jayul.server.app import create_app\n"
        "def f() -> None:\n"
        "    import jayul.bench.skab\n"
        "    from . import sibling\n"
        "    from ..connect import mqtt_source\n"
    )
    found = {edge.target for edge in imports_in(source, "jayul.health.probe")}
    assert found == {
        "jayul.server.app",
        "jayul.bench.skab",
        "jayul.health.sibling",
        "jayul.connect",
    }
    problems = layer_violations(list(imports_in(source, "jayul.health.probe")))
    assert len(problems) == 3
