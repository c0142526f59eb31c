"""`jayul users add|list|remove` on a plant database, with clear errors."""

from __future__ import annotations

from pathlib import Path

from typer.testing import CliRunner

from jayul.cli.main import app

runner = CliRunner()


def test_users_add_list_remove(tmp_path: Path) -> None:
    db = str(tmp_path / "plant.duckdb")
    add = ["users", "add", "ada", "--role", "admin", "--password", "long-enough", "--db", db]
    assert runner.invoke(app, add).exit_code == 0
    op = ["users", "add", "olga", "--role", "operator", "--password", "long-enough", "--db", db]
    assert runner.invoke(app, op).exit_code == 0
    listed = runner.invoke(app, ["users", "list", "--db", db])
    assert "olga" in listed.output and "operator" in listed.output
    again = runner.invoke(app, op)
    assert again.exit_code == 2 and "already exists" in again.output
    bad = ["users", "add", "bo", "--role", "boss", "--password", "long-enough", "--db", db]
    assert "role" in runner.invoke(app, bad).output
    assert runner.invoke(app, ["users", "remove", "olga", "--db", db]).exit_code == 0
    last = runner.invoke(app, ["users", "remove", "ada", "--db", db])
    assert last.exit_code == 2 and "last admin" in last.output
    gone = runner.invoke(app, ["users", "remove", "nobody", "--db", db])
    assert gone.exit_code == 2 and "no user" in gone.output
