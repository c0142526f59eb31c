"""Small runs of `jayul bench ingest` (the full ones are in docs/benchmarks/connect.md)."""

from __future__ import annotations

import json
import os
import socket
import tempfile
import uuid
from pathlib import Path

import psycopg
import pytest
from typer.testing import CliRunner

from jayul.bench.ingest.faults import run_fault_trial
from jayul.bench.ingest.opcua import run_opcua_bench, wide_plant
from jayul.cli.main import app

PG_URL = os.environ.get("JAYUL_TEST_PG", "postgresql://postgres@127.0.0.1:5432/test")


def _broker_up() -> None:
    with socket.socket() as s:
        s.settimeout(0.5)
        if s.connect_ex(("127.0.0.1", 1883)) != 0:
            pytest.fail("needs Mosquitto at 127.0.0.1:1883 (.ci/run starts it)", pytrace=False)


def test_cli_small_mqtt_run_into_duckdb(tmp_path: Path) -> None:
    _broker_up()
    report = tmp_path / "r.json"
    args = [
        "bench",
        "ingest",
        "--rate",
        "3000",
        "--seconds",
        "3",
        "--batch",
        "300",
        "--malformed",
        "30",
        "--report",
        str(report),
    ]
    result = CliRunner().invoke(app, args)
    assert result.exit_code == 0, result.output
    figures = json.loads(report.read_text())
    assert figures["samples_acked_by_broker"] > 5000
    assert figures["samples_lost"] == 0
    assert figures["samples_stored"] == figures["samples_acked_by_broker"]
    assert figures["dead_letters"] == figures["malformed_acked"] == 30
    assert figures["latency_p99_ms"] > 0


def test_fault_trial_without_the_database_restart(tmp_path: Path) -> None:
    """Broker restarted twice and the ingest process SIGKILLed, at a small rate."""
    schema = f"jayul_test_faults_{uuid.uuid4().hex[:8]}"
    url = f"{PG_URL}?schema={schema}"
    try:
        figures = run_fault_trial(url, tmp_path, rate=4000, seconds=8, batch=400, restart_pg=False)
    finally:
        with psycopg.connect(PG_URL, autocommit=True) as con:
            con.execute(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE')
    assert [what for _, what in figures["faults"]] == [
        "mosquitto restart",
        "SIGKILL jayul run",
        "mosquitto restart",
    ]
    assert figures["samples_acked_by_broker"] > 20_000
    assert figures["samples_lost"] == 0 and figures["duplicates_stored"] == 0


def test_opcua_counter_trial_small() -> None:
    assert len(wide_plant(10_000).machines) == 1000
    figures = run_opcua_bench(200, 3, workdir=Path(tempfile.mkdtemp()))
    assert figures["subscribed"] == 200 and figures["ticks_completed"] == 3
    assert figures["changes_missed"] == 0 and figures["changes_stored"] == 600
