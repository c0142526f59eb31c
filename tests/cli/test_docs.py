"""Every command of `jayul` is documented in docs/cli.md (a new command must say what it does)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import typer.main

from jayul.cli.main import app

DOC = Path(__file__).resolve().parents[2] / "docs" / "cli.md"


def _commands(command: Any, prefix: list[str]) -> Iterator[str]:
    if hasattr(command, "list_commands"):
        for name in command.list_commands(None):
            yield from _commands(command.get_command(None, name), [*prefix, name])
    else:
        yield " ".join(prefix)


def test_every_command_is_documented() -> None:
    text = DOC.read_text()
    commands = list(_commands(typer.main.get_command(app), ["jayul"]))
    assert len(commands) > 20
    missing = [c for c in commands if f"`{c}`" not in text]
    assert missing == [], f"undocumented in docs/cli.md: {missing}"
