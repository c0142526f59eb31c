"""`jayul fleet serve --db`: unset, the fleet's own database (or $JAYUL_FLEET_DB), never the
test database the suite uses."""

from __future__ import annotations

import psycopg
import pytest
from typer.testing import CliRunner

import jayul.fleet
from jayul.cli.main import app
from jayul.fleet import CentreConfig

runner = CliRunner()


class _Unreachable:
    """A centre whose store cannot be opened: `fleet serve` then names the URL it tried."""

    def __init__(self, config: CentreConfig) -> None:
        raise psycopg.OperationalError(f"nothing at {config.dsn}")


def _store_tried(monkeypatch: pytest.MonkeyPatch, env: str | None) -> str:
    monkeypatch.setattr(jayul.fleet, "Centre", _Unreachable)
    if env is None:
        monkeypatch.delenv("JAYUL_FLEET_DB", raising=False)
    else:
        monkeypatch.setenv("JAYUL_FLEET_DB", env)
    result = runner.invoke(app, ["fleet", "serve", "--seconds", "1"])
    assert result.exit_code == 2, result.output
    return " ".join(result.output.split())


def test_the_default_store_is_the_fleets_own_database(monkeypatch: pytest.MonkeyPatch) -> None:
    out = _store_tried(monkeypatch, None)
    assert "cannot open the fleet store postgresql://127.0.0.1/jayul " in out
    assert "/test" not in out
    assert CentreConfig().dsn == "postgresql://127.0.0.1/jayul"


def test_jayul_fleet_db_names_the_store(monkeypatch: pytest.MonkeyPatch) -> None:
    out = _store_tried(monkeypatch, "postgresql://fleet.example/site_data")
    assert "cannot open the fleet store postgresql://fleet.example/site_data " in out
