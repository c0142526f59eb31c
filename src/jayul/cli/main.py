"""Entry point of the `jayul` command."""

from __future__ import annotations

import typer

from jayul.cli.bench import bench_app

app = typer.Typer(
    help="jayul: the autonomous-manufacturing loop (sense, judge, decide, verify, act, govern).",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
)
app.add_typer(bench_app, name="bench")


def main() -> None:  # pragma: no cover - console entry
    app()
