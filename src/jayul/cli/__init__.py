"""The `jayul` command line (typer + rich)."""
