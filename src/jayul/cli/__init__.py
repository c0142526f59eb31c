"""The `jayul` command line (typer + rich); its entry point is `jayul.cli.main:app`.

Nothing here is public API beyond the command itself (documented in docs/cli.md).
"""

__all__: list[str] = []
