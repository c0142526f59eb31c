"""`jayul run`'s alert timing: the plant file's `monitoring:` section, each of `--smoothing-h`,
`--raise-h`, `--clear-h` replacing the file's value for the run; said at start; a bad section
stops the run with the file and the field named."""

from __future__ import annotations

from pathlib import Path

from typer.testing import CliRunner

from jayul.cli.main import app
from jayul.cli.run_cmd import start_notes
from jayul.cli.run_pilot import alert_timing
from jayul.plant import Monitoring, parse_plant

PLANT = """
plant:
  name: hall
  machine_types:
    extruder:
      signals:
        - {id: melt_temp, unit: degC, period_s: 60}
  machines:
    - {id: e1, type: extruder}
  MONITORING
connect:
  historian: duckdb:///hall.duckdb
  sources:
    - {kind: mqtt, topic_root: hall}
"""


def plant_text(monitoring: str) -> str:
    return PLANT.replace("MONITORING", monitoring)


def test_an_option_overrides_the_file_and_the_rest_comes_from_it() -> None:
    plant = parse_plant(plant_text("monitoring: {raise_h: 3, clear_h: 12}"))
    assert alert_timing(plant, None, None, None) == Monitoring(raise_h=3, clear_h=12)
    assert alert_timing(plant, 0.5, 6.0, None) == Monitoring(
        smoothing_h=0.5, raise_h=6.0, clear_h=12
    )
    bare = parse_plant(plant_text(""))
    assert alert_timing(bare, None, 2.0, None) == Monitoring(raise_h=2.0)  # defaults else


def test_the_run_says_its_alert_timing() -> None:
    timing = Monitoring(smoothing_h=0.5, raise_h=6.0, clear_h=12)
    notes = start_notes("duckdb:///h.duckdb", Path("g.duckdb"), 96.0, timing)
    assert "raised after 3 h above the level within 6 h (--raise-h)" in notes[-1]
    assert "smoothed over 0.5 h (--smoothing-h)" in notes[-1] and "12 h below" in notes[-1]


def test_a_bad_monitoring_section_stops_the_run_naming_file_and_field(tmp_path: Path) -> None:
    bad = tmp_path / "hall.yaml"
    bad.write_text(plant_text("monitoring: {raise_h: -2}"))
    result = CliRunner().invoke(app, ["run", "--plant", str(bad), "--seconds", "1"])
    assert result.exit_code != 0
    assert str(bad) in result.output and "plant.monitoring.raise_h" in result.output
    assert ("Traceback" not in result.output and result.exception is None) or isinstance(
        result.exception, SystemExit
    )
    good = tmp_path / "ok.yaml"
    good.write_text(plant_text(""))
    refused = CliRunner().invoke(app, ["run", "--plant", str(good), "--raise-h", "0"])
    assert refused.exit_code == 2 and "--raise-h" in refused.output
