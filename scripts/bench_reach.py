#!/usr/bin/env python3
"""Count the lines of `src/jayul` reachable only from the benchmarks.

    python scripts/bench_reach.py            # the summary table
    python scripts/bench_reach.py --files    # also every bench-only file outside bench/
    python scripts/bench_reach.py --json     # the figures as JSON (the test reads these)

It reads the imports of every module (the `ast`, nothing is imported or run) and walks the
import graph twice:

- from the product's entry points: every `jayul.cli` module except the `jayul bench` command
  group (`cli/bench.py`, and `cli/bench_*.py` where benchmark commands used to live), every
  module of `jayul.server`, `jayul.autopilot` and `jayul.agents` (imported from Python); the
  one edge from `cli/main.py` to the `jayul bench` group is not followed;
- from the benchmarks: that command group and every module under `jayul.bench` (each
  benchmark's folder holds its command).

A module reachable from the benchmarks and not from the product is "bench only"; its lines
(physical lines, as `wc -l` counts them) are summed per top-level package. Code only a
benchmark uses belongs under `src/jayul/bench/`, so the figure to watch is the bench-only
lines outside `bench/`.

Rules, so the count says what Python loads: an import of `a.b.c` also loads `a` and `a.b`
(their `__init__`); `from a.b import x` loads `a.b.x` when `x` is a module, and otherwise
follows the name to where `a.b`'s `__init__` imports it from (also when the `__init__` names
it only for type checkers and loads it lazily, PEP 562, as `jayul.decide` does); imports
under `if TYPE_CHECKING:` elsewhere are not followed (nothing loads them at run time);
imports inside functions are followed (they load when the function runs).
"""

from __future__ import annotations

import argparse
import ast
import json
import sys
from collections import defaultdict
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent / "src"
PACKAGE = "jayul"


@dataclass
class Module:
    name: str
    path: Path
    is_package: bool
    lines: int
    # runtime imports: module names, and (module, name) pairs of `from module import name`
    imports: set[str] = field(default_factory=set)
    from_names: set[tuple[str, str]] = field(default_factory=set)
    # where this package's `__init__` takes each name from (also names for type checkers only)
    reexports: dict[str, str] = field(default_factory=dict)


def _module_name(path: Path, root: Path) -> tuple[str, bool]:
    parts = list(path.relative_to(root).with_suffix("").parts)
    if parts[-1] == "__init__":
        return ".".join(parts[:-1]), True
    return ".".join(parts), False


def _is_type_checking(test: ast.expr) -> bool:
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
        isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING"
    )


def _absolute(module: Module, node: ast.ImportFrom) -> str:
    if node.level == 0:
        return node.module or ""
    base = module.name.split(".")
    if not module.is_package:
        base = base[:-1]
    base = base[: len(base) - (node.level - 1)]
    return ".".join([*base, node.module] if node.module else base)


def _walk(
    nodes: Iterable[ast.stmt | ast.AST], in_type_checking: bool
) -> Iterator[tuple[ast.AST, bool]]:
    """Every node, with whether it sits under `if TYPE_CHECKING:`."""
    for node in nodes:
        if isinstance(node, ast.If) and _is_type_checking(node.test):
            yield from _walk(node.body, True)
            yield from _walk(node.orelse, in_type_checking)
            continue
        yield node, in_type_checking
        yield from _walk(ast.iter_child_nodes(node), in_type_checking)


def read_modules(root: Path = ROOT) -> dict[str, Module]:
    modules: dict[str, Module] = {}
    for path in sorted((root / PACKAGE).rglob("*.py")):
        name, is_package = _module_name(path, root)
        text = path.read_text(encoding="utf-8")
        module = Module(name, path, is_package, lines=len(text.splitlines()))
        for node, typing_only in _walk(ast.parse(text, str(path)).body, False):
            if isinstance(node, ast.Import):
                for alias in node.names:
                    if not typing_only:
                        module.imports.add(alias.name)
            elif isinstance(node, ast.ImportFrom):
                source = _absolute(module, node)
                for alias in node.names:
                    if is_package:
                        module.reexports[alias.asname or alias.name] = source
                    if not typing_only:
                        module.from_names.add((source, alias.name))
        modules[name] = module
    return modules


def _with_parents(name: str, modules: dict[str, Module]) -> Iterator[str]:
    parts = name.split(".")
    for i in range(1, len(parts) + 1):
        prefix = ".".join(parts[:i])
        if prefix in modules:
            yield prefix


def edges(module: Module, modules: dict[str, Module], loaded: bool = False) -> set[str]:
    """The modules that `module` uses directly (with `loaded`: that loading it loads)."""
    out: set[str] = set()
    for name in module.imports:
        out.update(_with_parents(name, modules))
    if module.is_package and not loaded:
        # a package's re-exports are followed name by name, from whoever asks for the name
        return out - {module.name}
    for source, name in module.from_names:
        out.update(_with_parents(source, modules))
        sub = f"{source}.{name}"
        if sub in modules:
            out.update(_with_parents(sub, modules))
        elif source in modules and name in modules[source].reexports:
            out.update(_with_parents(modules[source].reexports[name], modules))
    out.discard(module.name)
    return out


def is_bench_command(name: str) -> bool:
    return name == f"{PACKAGE}.cli.bench" or name.startswith(f"{PACKAGE}.cli.bench_")


def product_roots(modules: dict[str, Module]) -> set[str]:
    # jayul.agents: ways in for agents, used from Python (an RL library imports the Gymnasium
    # environment), so a product entry point although no command reaches it
    keep = (f"{PACKAGE}.cli", f"{PACKAGE}.server", f"{PACKAGE}.autopilot", f"{PACKAGE}.agents")
    return {
        n
        for n in modules
        if any(n == k or n.startswith(k + ".") for k in keep) and not is_bench_command(n)
    }


def bench_roots(modules: dict[str, Module]) -> set[str]:
    bench = f"{PACKAGE}.bench"
    return {n for n in modules if is_bench_command(n) or n == bench or n.startswith(bench + ".")}


def reachable(
    roots: set[str],
    modules: dict[str, Module],
    skip_bench_commands: bool = False,
    loaded: bool = False,
) -> set[str]:
    seen: set[str] = set()
    todo = list(roots)
    while todo:
        name = todo.pop()
        if name in seen:
            continue
        seen.add(name)
        for target in edges(modules[name], modules, loaded):
            if skip_bench_commands and is_bench_command(target):
                continue  # `jayul bench` hangs off cli/main.py; it is not the product
            todo.append(target)
    return seen


@dataclass
class Figures:
    total_lines: int
    bench_only_lines: int
    bench_only_outside_bench: int
    neither_lines: int  # reachable from no entry point at all
    per_package: dict[str, int]
    files_outside_bench: dict[str, int]

    def as_dict(self) -> dict[str, object]:
        return {
            "total_lines": self.total_lines,
            "bench_only_lines": self.bench_only_lines,
            "bench_only_share": round(self.bench_only_lines / self.total_lines, 4),
            "bench_only_outside_bench": self.bench_only_outside_bench,
            "unreached_lines": self.neither_lines,
            "bench_only_per_package": self.per_package,
            "bench_only_files_outside_bench": self.files_outside_bench,
        }


def measure(root: Path = ROOT, loaded: bool = False) -> Figures:
    modules = read_modules(root)
    product = reachable(product_roots(modules), modules, True, loaded)
    bench = reachable(bench_roots(modules), modules, False, loaded)
    only = bench - product
    per_package: dict[str, int] = defaultdict(int)
    outside: dict[str, int] = {}
    for name in sorted(only):
        mod = modules[name]
        package = name.split(".")[1] if "." in name else name
        if is_bench_command(name):
            package = "cli (bench commands)"
        per_package[package] += mod.lines
        if package not in ("bench", "cli (bench commands)"):
            outside[str(mod.path.relative_to(root.parent))] = mod.lines
    neither = set(modules) - product - bench
    return Figures(
        total_lines=sum(m.lines for m in modules.values()),
        bench_only_lines=sum(modules[n].lines for n in only),
        bench_only_outside_bench=sum(outside.values()),
        neither_lines=sum(modules[n].lines for n in neither),
        per_package=dict(sorted(per_package.items(), key=lambda kv: -kv[1])),
        files_outside_bench=outside,
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--files", action="store_true", help="list bench-only files outside bench/")
    parser.add_argument("--json", action="store_true", help="print the figures as JSON")
    parser.add_argument(
        "--loaded",
        action="store_true",
        help="follow every import of a package's __init__ (what loading it loads), not only "
        "the names someone asks the package for",
    )
    args = parser.parse_args(argv)
    figures = measure(loaded=args.loaded)
    if args.json:
        print(json.dumps(figures.as_dict(), indent=2))
        return 0
    share = figures.bench_only_lines / figures.total_lines
    print(f"src/jayul: {figures.total_lines} lines")
    print(f"reachable only from bench: {figures.bench_only_lines} lines ({share:.1%})")
    for package, lines in figures.per_package.items():
        print(f"  {package:<24} {lines:>6}")
    outside = figures.bench_only_outside_bench
    print(f"bench-only lines outside bench/ and the bench commands: {outside}")
    print(f"reachable from no entry point: {figures.neither_lines} lines")
    if args.files:
        for path, lines in figures.files_outside_bench.items():
            print(f"  {lines:>5}  {path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
