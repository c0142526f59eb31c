"""Clear command-line errors: a message and exit code 2, never a traceback."""

from __future__ import annotations

from typing import NoReturn

import typer
from rich.console import Console
from rich.markup import escape

_err = Console(stderr=True, soft_wrap=True)  # a message stays one line, greppable


def fail(message: str, code: int = 2) -> NoReturn:
    # the message is the user's text (file names, fields like `signals[0]`, `jayul[mcp]`):
    # escaped, so that rich prints it as it is rather than reading its brackets as markup
    _err.print(f"[bold red]error:[/] {escape(message)}", highlight=False)
    raise typer.Exit(code)
