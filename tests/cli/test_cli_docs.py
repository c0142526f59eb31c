"""docs/cli.md lists every command's options as the typer app declares them, and names no
option a command does not have (a renamed or removed option must leave the docs too)."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import click
import typer.main

from jayul.cli.main import app

DOC = Path(__file__).resolve().parents[2] / "docs" / "cli.md"
SECTION = "## Options of every command"


def _params(command: click.Command) -> list[str]:
    """How the docs spell each parameter: `--a/--b` for a flag pair, NAME for an argument."""
    spelled = []
    for param in command.params:
        if isinstance(param, click.Option):
            spelled.append("/".join([*param.opts, *param.secondary_opts]))
        else:
            spelled.append((param.name or "").upper())
    return spelled


def _commands(command: click.Command, prefix: list[str]) -> Iterator[tuple[str, list[str]]]:
    if isinstance(command, click.Group):
        for name in command.list_commands(click.Context(command)):
            sub = command.get_command(click.Context(command), name)
            assert sub is not None
            yield from _commands(sub, [*prefix, name])
    else:
        yield " ".join(prefix), _params(command)


def _code() -> dict[str, list[str]]:
    return dict(_commands(typer.main.get_command(app), ["jayul"]))


def _documented() -> dict[str, list[str]]:
    """The `- `jayul X`: `--a`, `--b`` lines of the options section."""
    text = DOC.read_text().split(SECTION, 1)[1]
    listed = {}
    for line in text.splitlines():
        match = re.match(r"- `(jayul [^`]+)`: (.*)$", line)
        if match:
            rest = match.group(2)
            listed[match.group(1)] = [] if rest == "none" else re.findall(r"`([^`]+)`", rest)
    return listed


def _flags(spelled: list[str]) -> set[str]:
    return {flag for entry in spelled for flag in entry.split("/") if flag.startswith("--")}


def test_options_section_matches_the_app() -> None:
    code, documented = _code(), _documented()
    assert len(code) > 20
    missing = sorted(set(code) - set(documented))
    assert missing == [], f"add to docs/cli.md's '{SECTION[3:]}': {missing}"
    assert sorted(set(documented) - set(code)) == [], "options list names unknown commands"
    wrong = {c: (documented[c], code[c]) for c in code if sorted(documented[c]) != sorted(code[c])}
    assert wrong == {}, f"docs/cli.md's '{SECTION[3:]}' (documented, declared) differ: {wrong}"


def test_table_rows_name_only_options_their_command_has() -> None:
    """A row may name another command's option only by naming that command too."""
    code = _code()
    table = DOC.read_text().split(SECTION, 1)[0]
    bad = []
    for line in table.splitlines():
        match = re.match(r"\| `(jayul [^`]+)` \|(.*)\|\s*$", line)
        if not match or match.group(1) not in code:
            continue
        allowed = _flags(code[match.group(1)]) | {"--help"}
        for other in code:
            if re.search(rf"`{re.escape(other)}\b", match.group(2)):
                allowed |= _flags(code[other])
        named = set(re.findall(r"(?<![\w-])(--[a-z][a-z0-9-]*)", match.group(2)))
        bad += [f"{match.group(1)} {flag}" for flag in sorted(named - allowed)]
    assert bad == [], f"docs/cli.md rows name options their command lacks: {bad}"


def test_every_benchmark_writes_a_report() -> None:
    """docs/cli.md and `jayul bench --help` promise `--report FILE` on every benchmark."""
    code = _code()
    benches = [c for c in code if c.startswith("jayul bench ")]
    assert len(benches) > 20
    without = [c for c in benches if "--report" not in code[c]]
    assert without == ["jayul bench tep-generate"], "a benchmark without --report"
