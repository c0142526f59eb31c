"""A plant file needs only what a plant has: machines, signals and bindings are enough to load,
monitor and alert; the twin refuses such a file, naming what simulation would need."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from jayul.autopilot import HealthMonitor
from jayul.connect.bindings import load_bindings
from jayul.plant import PlantFileError, load_plant, parse_plant
from jayul.plant.model import NotModelledError
from jayul.records import MachineState, Samples
from jayul.records.timebase import NS_PER_H
from jayul.twin import Twin

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "plants" / "sensors-only.yaml"
LEVELS = {"force": (800.0, 8.0), "oil_temp": (48.0, 0.4), "vib_rms": (3.0, 0.15)}


def hour_of_rows(hour: int, rng: np.random.Generator, vib_shift: float = 0.0) -> Samples:
    n = 60
    t = (hour * NS_PER_H + np.arange(n) * 60 * 10**9).astype(np.int64)
    times, machines, signals, values = [], [], [], []
    for machine in ("p1", "p2", "p3"):
        load = rng.uniform(0.9, 1.1)
        for signal, (level, noise) in LEVELS.items():
            v = level * load + noise * rng.normal(size=n)
            if machine == "p2" and signal == "vib_rms":
                v = v + vib_shift
            times.append(t)
            machines += [machine] * n
            signals += [signal] * n
            values.append(v)
    return Samples.build(
        np.concatenate(times), np.array(machines), np.array(signals), np.concatenate(values)
    )


def test_a_sensors_only_plant_file_loads_with_its_bindings() -> None:
    bindings = load_bindings(EXAMPLE)
    plant = bindings.plant
    assert plant.machine_ids == ["p1", "p2", "p3"]
    assert plant.lines == ["main"]
    assert plant.orders is None and plant.crews == {}
    assert plant.machine_type("p1").failure_modes == []
    assert len(plant.simulation_gaps()) == 7  # orders, and nominal and noise of 3 signals
    assert bindings.connect.sources


def test_a_sensors_only_plant_is_monitored_and_alerts() -> None:
    plant = load_plant(EXAMPLE)
    monitor = HealthMonitor(plant, fit_h=24.0)
    rng = np.random.default_rng(7)
    running = dict.fromkeys(plant.machine_ids, MachineState.RUNNING)
    for hour in range(30):
        assert monitor.update(hour_of_rows(hour, rng), states=running) == []
    assert all(mh.scorer is not None for mh in monitor.machines.values())
    alerts = []
    for hour in range(30, 36):
        alerts += monitor.update(hour_of_rows(hour, rng, vib_shift=2.0), states=running)
    assert [a.machine for a in alerts] == ["p2"]
    assert alerts[0].contributions[0].signal == "vib_rms"
    assert monitor.machines["p2"].suspect_mode is None  # no failure modes named: none guessed


def test_the_twin_refuses_a_plant_without_simulation_parameters() -> None:
    with pytest.raises(NotModelledError) as caught:
        Twin(load_plant(EXAMPLE))
    message = str(caught.value)
    assert "cannot simulate plant 'press-shop'" in message
    assert "plant.orders" in message
    assert "plant.machine_types.press.signals[0].nominal" in message


def test_errors_still_name_the_file_the_field_path_and_the_problem() -> None:
    text = """
plant:
  name: x
  machine_types:
    press:
      signals:
        - {unit: kN}
        - {id: t, low: 5, high: 1}
  machines:
    - {id: p1, type: pres}
"""
    with pytest.raises(PlantFileError) as caught:
        parse_plant(text, "shop.yaml")
    message = str(caught.value)
    assert message.startswith("shop.yaml:")
    assert "plant.machine_types.press.signals[0].id: Field required" in message
    assert "plant.machine_types.press.signals[1]: Value error, low (5.0) must be below" in message
    unknown_type = text.replace("{unit: kN}", "{id: f}").replace("low: 5, high: 1", "low: 1")
    with pytest.raises(PlantFileError) as caught:
        parse_plant(unknown_type, "shop.yaml")
    assert str(caught.value).startswith("shop.yaml:")
    assert "machine 'p1' has unknown type 'pres'" in str(caught.value)


def test_failure_modes_without_physics_still_name_the_suspect() -> None:
    text = EXAMPLE.read_text().replace(
        "        - {id: vib_rms, unit: mm/s}\n",
        "        - {id: vib_rms, unit: mm/s}\n"
        "      failure_modes:\n"
        "        - {id: die_wear, effects: {vib_rms: 3.0}}\n",
    )
    plant = parse_plant(text.split("connect:")[0], "shop.yaml")
    monitor = HealthMonitor(plant, fit_h=24.0)
    rng = np.random.default_rng(8)
    for hour in range(30):
        monitor.update(hour_of_rows(hour, rng))
    alerts = []
    for hour in range(30, 36):
        alerts += monitor.update(hour_of_rows(hour, rng, vib_shift=2.0))
    assert [a.machine for a in alerts] == ["p2"]
    assert monitor.machines["p2"].suspect_mode == "die_wear"
    assert "failure_modes[0].wear_per_h" in "\n".join(plant.simulation_gaps())


def test_a_maintenance_action_needs_neither_crew_nor_cost_and_no_crews_means_no_limit() -> None:
    text = EXAMPLE.read_text().replace(
        "      signals:\n",
        "      maintenance:\n"
        "        - {id: service, restores: [], duration_h: 2}\n"
        "      signals:\n",
        1,
    )
    plant = parse_plant(text, "sensors-only+maintenance.yaml")
    action = plant.machine_type("p1").maintenance[0]
    assert (action.crew, action.cost) == ("maintenance", 0.0)
    assert plant.crews == {}
    assert plant.crew_capacity() == {"maintenance": 3}  # room for every machine at once
    assert any(g.startswith("plant.crews") for g in plant.simulation_gaps())


def test_declared_crews_are_the_planning_capacity() -> None:
    plant = load_plant(EXAMPLE.parent / "demo.yaml")
    assert plant.crew_capacity() == plant.crews
