"""Small runs of `jayul bench gate` and `jayul bench audit` (the full runs are benchmarks)."""

from __future__ import annotations

import json
from pathlib import Path

from typer.testing import CliRunner

from jayul.bench.gate.audit import run_audit_bench
from jayul.bench.gate.command import bench_audit, bench_gate
from jayul.bench.gate.harness import EnvelopeOracle, run_gate_bench
from jayul.plant import load_demo_plant
from jayul.records.events import Action, ActionKind


def test_gate_bench_small_run() -> None:
    f = run_gate_bench(600, seed=3)
    assert f["proposals"] == 600
    assert f["executed_outside_envelope"] == 0
    assert f["refused"] > 100 and f["refusals_audited_with_reason"] == f["refused"]
    assert f["executed_total"] > 0 and f["audit_chain_ok"]
    for check in ("interlock", "origin", "rate_limit"):
        assert f["refusals_by_check"].get(check, 0) > 0, check


def test_oracle_catches_what_the_interlock_should_have_refused() -> None:
    oracle = EnvelopeOracle(load_demo_plant())
    bad = Action(
        time=0,
        machine="pump1",
        kind=ActionKind.CHANGE_SETPOINT,
        origin="x",
        params={"setpoint": "speed_rpm", "value": 1700.0, "unit": "rpm"},
    )
    oracle(bad)  # a step of 250 from the default 1450, max_step 200
    assert len(oracle.outside) == 1


def test_audit_bench_small_run(tmp_path: Path) -> None:
    f = run_audit_bench(tmp_path, n=1500, trials=4, seed=1, with_cli=False)
    assert f["verify_db_ok"] and f["verify_file_ok"] and f["intact_after_trials"]
    assert f["undetected_total"] == 0 and sum(f["trials"].values()) == 32


def test_bench_commands_write_reports(tmp_path: Path) -> None:
    import typer

    app = typer.Typer()
    app.command("gate")(bench_gate)
    app.command("audit")(bench_audit)
    runner = CliRunner()
    out = tmp_path / "gate.json"
    r = runner.invoke(app, ["gate", "--n", "200", "--report", str(out)])
    assert r.exit_code == 0, r.output
    assert json.loads(out.read_text())["executed_outside_envelope"] == 0
    out = tmp_path / "audit.json"
    r = runner.invoke(
        app,
        [
            "audit",
            "--n",
            "300",
            "--trials",
            "2",
            "--report",
            str(out),
            "--workdir",
            str(tmp_path / "w"),
        ],
    )
    assert r.exit_code == 0, r.output
    assert json.loads(out.read_text())["undetected_total"] == 0
