"""`jayul bench replan` on a small random problem: figures present, plans feasible, timed."""

from __future__ import annotations

import json
from pathlib import Path

from typer.testing import CliRunner

from jayul.bench.jsp.harness import replan_benchmark
from jayul.cli.main import app


def test_replan_benchmark_small() -> None:
    figures = replan_benchmark(n_machines=5, n_operations=30, time_limit_s=1.0, workers=1, seeds=1)
    (run,) = figures["runs"]
    assert run["first_feasible"] and run["replan_feasible"]
    assert run["replan_status"] in ("OPTIMAL", "FEASIBLE")
    # Hinted with the cheaper dispatch plan; integer cost scaling may move it by a hair.
    assert run["replan_cost"] <= run["dispatch_cost"] * 1.01
    # Wall-clock limit kept with some slack for a loaded machine.
    assert run["replan_s"] < 1.0 + 0.5


def test_bench_replan_cli(tmp_path: Path) -> None:
    report = tmp_path / "replan.json"
    args = ["bench", "replan", "--machines", "4", "--operations", "12", "--time-limit", "0.5"]
    args += ["--workers", "1", "--seeds", "1", "--report", str(report)]
    result = CliRunner().invoke(app, args)
    assert result.exit_code == 0, result.output
    summary = json.loads(report.read_text())["summary"]
    assert summary["all_feasible"] and summary["operations"] == 12
    bad = CliRunner().invoke(app, ["bench", "replan", "--seeds", "0"])
    assert bad.exit_code == 2
