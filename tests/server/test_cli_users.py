"""`jayul users add|list|remove` on a plant database, with clear errors."""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

from jayul.cli.main import app

runner = CliRunner()


def test_users_add_list_remove(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    db = str(tmp_path / "plant.duckdb")
    add = ["users", "add", "ada", "--role", "admin", "--password", "long-enough", "--db", db]
    assert runner.invoke(app, add).exit_code == 0
    op = ["users", "add", "olga", "--role", "operator", "--password", "long-enough", "--db", db]
    # once a user exists, only an admin (authenticated) manages users
    refused = runner.invoke(app, op)
    assert refused.exit_code == 2 and "--user" in refused.output
    op += ["--user", "ada"]
    wrong = runner.invoke(app, op, env={"JAYUL_PASSWORD": "not-the-one"})
    assert wrong.exit_code == 2 and "wrong user name or password" in wrong.output
    monkeypatch.setenv("JAYUL_PASSWORD", "long-enough")
    assert runner.invoke(app, op).exit_code == 0
    listed = runner.invoke(app, ["users", "list", "--db", db])
    assert "olga" in listed.output and "operator" in listed.output
    again = runner.invoke(app, op)
    assert again.exit_code == 2 and "already exists" in again.output
    bad = ["users", "add", "bo", "--role", "boss", "--password", "long-enough", "--db", db]
    bad += ["--user", "ada"]
    assert "role" in runner.invoke(app, bad).output
    as_ada = ["--user", "ada", "--db", db]
    olga = runner.invoke(app, ["users", "remove", "olga", "--user", "olga", "--db", db])
    assert olga.exit_code == 2 and "admin only" in olga.output  # she logs in, but is no admin
    assert runner.invoke(app, ["users", "remove", "olga", *as_ada]).exit_code == 0
    last = runner.invoke(app, ["users", "remove", "ada", *as_ada])
    assert last.exit_code == 2 and "last admin" in last.output
    gone = runner.invoke(app, ["users", "remove", "nobody", *as_ada])
    assert gone.exit_code == 2 and "no user" in gone.output
