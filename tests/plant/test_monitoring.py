"""The plant file's `monitoring:` section: the health monitor's alert timing (smoothing, raise
and clear hours), with defaults, checked where it is read, and used by every monitor built on
the plant (`jayul run`, `jayul demo`) unless overridden."""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import pytest

from jayul.autopilot import HealthMonitor
from jayul.plant import Monitoring, PlantFileError, load_plant, parse_plant
from jayul.records import MachineState

sys.path.insert(0, str(Path(__file__).parent))
from test_sensors_only import EXAMPLE, hour_of_rows


def with_monitoring(section: str) -> str:
    """The sensors-only example with `section` as its plant's monitoring: section."""
    text = EXAMPLE.read_text()
    return text.replace("  machines:\n", f"  monitoring: {section}\n  machines:\n", 1)


def test_defaults_and_values_from_the_file() -> None:
    assert load_plant(EXAMPLE).monitoring == Monitoring(smoothing_h=2.0, raise_h=1.0, clear_h=24.0)
    plant = parse_plant(with_monitoring("{raise_h: 6, smoothing_h: 0.5}"), "hall.yaml")
    assert plant.monitoring == Monitoring(smoothing_h=0.5, raise_h=6.0, clear_h=24.0)
    monitor = HealthMonitor(plant)
    assert (monitor.smoothing_h, monitor.raise_h, monitor.clear_h) == (0.5, 6.0, 24.0)
    given = HealthMonitor(plant, raise_h=2.0)  # an option given to the monitor wins
    assert (given.smoothing_h, given.raise_h) == (0.5, 2.0)


@pytest.mark.parametrize(
    ("section", "field", "problem"),
    [
        ("{raise_h: 0}", "plant.monitoring.raise_h", "greater than 0"),
        ("{smoothing_h: -1}", "plant.monitoring.smoothing_h", "greater than 0"),
        ("{clear_h: soon}", "plant.monitoring.clear_h", "valid number"),
        ("{raise_hours: 2}", "plant.monitoring.raise_hours", "not permitted"),
    ],
)
def test_bad_values_name_the_file_and_the_field(section: str, field: str, problem: str) -> None:
    with pytest.raises(PlantFileError) as err:
        parse_plant(with_monitoring(section), "hall.yaml")
    text = str(err.value)
    assert text.startswith("hall.yaml:") and field in text and problem in text


def test_the_raise_window_decides_whether_a_short_episode_alerts() -> None:
    """An hour of high vibration on p2: an alert with the default 1 h raise window, none
    when the file asks for 12 h (the score must stay high for 6 h)."""
    patient = parse_plant(with_monitoring("{raise_h: 12}"), "hall.yaml")
    found = {}
    for name, plant in (("default", load_plant(EXAMPLE)), ("patient", patient)):
        monitor = HealthMonitor(plant, fit_h=24.0)
        rng = np.random.default_rng(7)
        running = dict.fromkeys(plant.machine_ids, MachineState.RUNNING)
        alerts = []
        for hour in range(40):
            shift = 2.0 if hour == 30 else 0.0
            alerts += monitor.update(hour_of_rows(hour, rng, vib_shift=shift), states=running)
        found[name] = [a.machine for a in alerts]
    assert found == {"default": ["p2"], "patient": []}
