"""`jayul demo` end to end: a report whose KPIs are internally consistent."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from jayul.cli.demo import _print_decisions
from jayul.cli.main import app
from jayul.gate import AutonomyLevel, Gate, GateContext, Origins
from jayul.plant import load_demo_plant
from jayul.records.events import Action, ActionKind

T0 = 1_767_225_600_000_000_000  # 2026-01-01 00:00 UTC

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
    kpis_doc = (Path(__file__).resolve().parents[2] / "docs" / "kpis.md").read_text()
    assert [key for key in k if f"`{key}`" not in kpis_doc] == [], "keys docs/kpis.md lacks"
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


def test_the_summary_shows_the_gates_last_decisions_with_their_reasons(
    capsys: pytest.CaptureFixture[str],
) -> None:
    plant = load_demo_plant()
    origins = Origins()
    origins.register("policy:cbm")
    gate = Gate(plant, ":memory:", lambda action: None, origins)
    gate.autonomy.set_level(AutonomyLevel.L4, "test", T0, "test")
    for machine, verdict, why in (
        ("pump1", True, "expected cost 40 against 46; safe in 8 futures"),
        ("pump2", False, "worse in expectation: 42 against 41 (current plan)"),
    ):
        action = Action(
            time=T0,
            machine=machine,
            kind=ActionKind.START_MAINTENANCE,
            params={"action": "bearing_service"},
            origin="policy:cbm",
        )
        gate.propose(action, GateContext("autopilot", verdict, why), T0)
    _print_decisions(gate)
    out = " ".join(capsys.readouterr().out.split())  # the console wraps long lines
    # an executed action is explained by the verifier's reason, a refused one by the gate's
    executed = "executed 2026-01-01 00:00 pump1 bearing_service: expected cost 40 against 46"
    refused = "refused 2026-01-01 00:00 pump2 bearing_service: the verifier rejected it: worse"
    assert executed in out and refused in out
    assert out.index(executed) < out.index(refused)


def test_the_summary_prints_only_requests_that_still_wait_and_counts_the_expired(
    capsys: pytest.CaptureFixture[str],
) -> None:
    plant = load_demo_plant()
    origins = Origins()
    origins.register("policy:cbm")
    gate = Gate(plant, ":memory:", lambda action: None, origins)
    gate.autonomy.set_level(AutonomyLevel.L2, "test", T0, "test")
    for machine, at in (("pump1", T0), ("pump2", T0 + 3 * gate.approvals.timeout_ns)):
        action = Action(
            time=at,
            machine=machine,
            kind=ActionKind.START_MAINTENANCE,
            params={"action": "bearing_service"},
            origin="policy:cbm",
        )
        gate.propose(action, GateContext("autopilot", True, "cheaper"), at)
        if machine == "pump1":  # no one answers: escalated, then expired
            gate.approvals.expire(T0 + gate.approvals.timeout_ns)
            gate.approvals.expire(T0 + 2 * gate.approvals.timeout_ns)
    # pump1's request escalated, then expired; pump2's was made after and still waits
    assert [a.status for a in gate.approvals.requests()] == ["expired", "pending"]
    _print_decisions(gate)
    out = " ".join(capsys.readouterr().out.split())
    assert "pending 2026-01-01 00:00 pump1" not in out
    assert "pump2 bearing_service" in out
    assert "1 request(s) for approval expired" in out
