"""`jayul bench jsp` end to end on two small instances, and its bad-input errors."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from jayul.cli.main import app

DATA = Path(__file__).resolve().parents[2] / ".." / "shared" / "data" / "jsplib"


def test_bench_jsp_small_run(tmp_path: Path) -> None:
    if not (DATA / "instances.json").exists():
        pytest.skip(f"JSPLIB data not found at {DATA}")
    report = tmp_path / "report.json"
    args = ["bench", "jsp", "--data", str(DATA), "--instances", "ft06,la01"]
    args += ["--time-limit", "5", "--workers", "1", "--out", str(tmp_path / "out")]
    result = CliRunner().invoke(app, [*args, "--report", str(report)])
    assert result.exit_code == 0, result.output
    figures = json.loads(report.read_text())
    rows = {r["instance"]: r for r in figures["instances"]}
    assert rows["ft06"]["optimum"] == 55 and rows["la01"]["optimum"] == 666
    for row in rows.values():
        assert row["feasible"] and row["gap_pct"] == 0.0 and row["peer_makespan"] > 0
        assert row["phases"][0]["phase"] == "dispatch" and "load_1min" in row
        assert row["phases"][-1]["makespan"] == row["makespan"]
    assert figures["summary"]["optimum_reached"] == 2
    with (tmp_path / "out" / "ft06.csv").open() as fh:
        lines = list(csv.DictReader(fh))
    assert list(lines[0]) == ["job", "op", "machine", "start", "end"]
    assert len(lines) == 36
    assert max(int(r["end"]) for r in lines) == 55


def test_bench_jsp_bad_data_dir(tmp_path: Path) -> None:
    result = CliRunner().invoke(
        app, ["bench", "jsp", "--data", str(tmp_path), "--out", str(tmp_path / "o")]
    )
    assert result.exit_code == 2
    assert "instances.json" in result.output


def test_bench_jsp_unknown_instance(tmp_path: Path) -> None:
    if not (DATA / "instances.json").exists():
        pytest.skip(f"JSPLIB data not found at {DATA}")
    result = CliRunner().invoke(
        app,
        ["bench", "jsp", "--data", str(DATA), "--instances", "nope", "--out", str(tmp_path)],
    )
    assert result.exit_code == 2
    assert "nope" in result.output
