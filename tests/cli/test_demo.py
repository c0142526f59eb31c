"""`jayul demo` end to end: a report whose KPIs are internally consistent."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from jayul.cli.main import app

runner = CliRunner()
KEYS = {
    "policy",
    "days",
    "seed",
    "oee",
    "availability",
    "performance",
    "quality",
    "throughput",
    "on_time_rate",
    "failures",
    "downtime_h",
    "maintenance_cost",
    "failure_cost",
    "tardiness_cost",
    "total_cost",
}


def test_demo_seven_days_report_is_consistent(tmp_path: Path) -> None:
    report = tmp_path / "kpis.json"
    db = tmp_path / "plant.duckdb"
    result = runner.invoke(
        app,
        # the condition policy: the predictive one's RUL models train on first use, which
        # tests/decide/test_predictive.py covers with small settings
        [
            "demo",
            "--days",
            "7",
            "--no-ui",
            "--policy",
            "condition",
            "--db",
            str(db),
            "--report",
            str(report),
        ],
    )
    assert result.exit_code == 0, result.output
    k = json.loads(report.read_text())
    assert set(k) >= KEYS
    planned = 7 * 24 * 12
    assert k["availability"] == pytest.approx(1 - k["downtime_h"] / planned)
    assert k["oee"] == pytest.approx(k["availability"] * k["performance"] * k["quality"])
    assert k["total_cost"] == pytest.approx(
        k["maintenance_cost"] + k["failure_cost"] + k["tardiness_cost"]
    )
    assert k["throughput"] == pytest.approx(k["orders_done"] / 7)
    out = runner.invoke(
        app,
        [
            "query",
            "samples",
            "--db",
            str(db),
            "--machine",
            "pump1",
            "--signal",
            "flow",
            "--bucket",
            "1d",
        ],
    )
    assert out.exit_code == 0, out.output
    assert "pump1" in out.output
    ev = runner.invoke(app, ["query", "events", "--db", str(db), "--kind", "order_released"])
    assert ev.exit_code == 0 and "order_released" in ev.output


def test_bad_plant_file_is_a_clear_error(tmp_path: Path) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_text("plant:\n  name: x\n")
    result = runner.invoke(app, ["demo", "--days", "1", "--plant", str(bad)])
    assert result.exit_code == 2
    assert "bad.yaml" in result.output and "Traceback" not in result.output
    result = runner.invoke(app, ["demo", "--days", "1", "--policy", "magic"])
    assert result.exit_code == 2 and "unknown policy" in result.output


def test_query_without_a_database(tmp_path: Path) -> None:
    result = runner.invoke(app, ["query", "events", "--db", str(tmp_path / "none.duckdb")])
    assert result.exit_code == 2 and "no historian there" in result.output
