"""`jayul bench gym`, small: the speed figures and the baselines through the environment."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

pytest.importorskip("gymnasium")

from typer.testing import CliRunner

from jayul.bench.gym.harness import run_baselines, time_steps
from jayul.cli.main import app
from jayul.plant import load_demo_plant


def test_speed_and_baselines_small() -> None:
    plant = load_demo_plant()
    speed = time_steps(plant, 48, signals=False)
    assert speed["steps"] == 48 and speed["decisions_per_s"] > 0 and speed["cpu_s"] > 0
    out = run_baselines(plant, days=10, seeds=1, condition=False)
    assert set(out) == {"reactive", "preventive"}
    for p in out.values():
        (run,) = p["runs"]
        assert run["steps"] == 240 and run["return"] == pytest.approx(-run["total_cost"])


def test_command_writes_its_report(tmp_path: Path) -> None:
    report = tmp_path / "gym.json"
    args = ["bench", "gym", "--steps", "24", "--signal-steps", "0", "--days", "2"]
    result = CliRunner().invoke(
        app, [*args, "--seeds", "1", "--no-condition", "--report", str(report)]
    )
    assert result.exit_code == 0, result.output
    figures = json.loads(report.read_text())
    assert figures["speed"][0]["steps"] == 24 and "preventive" in figures["policies"]
