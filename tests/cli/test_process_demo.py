"""`jayul demo --plant examples/plants/tep.yaml`: the process twin under the autopilot, the
cost against the base case reported (one search run: the setpoints in force, so the run is
short)."""

from __future__ import annotations

import json
from pathlib import Path

from typer.testing import CliRunner

from jayul.cli.main import app

TEP = Path(__file__).resolve().parents[2] / "examples" / "plants" / "tep.yaml"


def test_demo_runs_the_process_plant(tmp_path: Path) -> None:
    report = tmp_path / "run.json"
    args = ["demo", "--plant", str(TEP), "--days", "0.05", "--search-runs", "1",
            "--db", str(tmp_path / "plant.duckdb"), "--report", str(report)]  # fmt: skip
    result = CliRunner().invoke(app, args)
    assert result.exit_code == 0, result.output
    assert "against the base case" in result.output
    figures = json.loads(report.read_text())
    assert figures["shutdown"] is None and figures["search_runs"] == 1
    assert 100.0 < figures["cost_per_h"] < 300.0
    assert figures["actions_executed"] == 0  # nothing to walk to: the search kept the base


def test_autonomy_off_is_refused_for_a_process(tmp_path: Path) -> None:
    args = ["demo", "--plant", str(TEP), "--autonomy", "off", "--db", str(tmp_path / "p.duckdb")]
    result = CliRunner().invoke(app, args)
    assert result.exit_code == 2 and "always go through the gate" in result.output


def test_a_bad_disturbance_is_named(tmp_path: Path) -> None:
    for text, said in (("six@24", "give it as IDV@HOUR"), ("6@99", "inside the 48 h run"),
                       ("40@1", "IDV 1-28")):  # fmt: skip
        args = ["demo", "--plant", str(TEP), "--disturbance", text,
                "--db", str(tmp_path / "p.duckdb")]  # fmt: skip
        result = CliRunner().invoke(app, args)
        assert result.exit_code == 2 and said in " ".join(result.output.split()), result.output
        assert "Traceback" not in result.output
