"""The process twin: the plant file round trip, a short closed-loop run, forks that share
nothing, and clear errors for a plant file the process cannot run."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from jayul.plant import PlantFileError, load_plant, parse_plant
from jayul.twin.process import ProcessTwin

TEP = Path(__file__).resolve().parents[2] / "examples" / "plants" / "tep.yaml"


def test_plant_file_round_trip() -> None:
    plant = load_plant(TEP)
    assert plant.process is not None and plant.process.model == "tep"
    again = parse_plant(yaml.safe_dump({"plant": plant.model_dump(mode="json")}))
    assert again == plant
    assert plant.setpoint("reactor", "reactor_pressure").envelope.high < 3000.0  # the trip


def test_a_limit_on_an_unknown_signal_is_refused() -> None:
    data = yaml.safe_load(TEP.read_text())
    data["plant"]["process"]["limits"][0]["signal"] = "nope"
    with pytest.raises(PlantFileError, match="unknown signal 'nope'"):
        parse_plant(yaml.safe_dump(data))


def test_a_short_closed_loop_run_samples_every_signal_in_time_order() -> None:
    plant = load_plant(TEP)
    twin = ProcessTwin(plant, seed=0)
    twin.step(0.25)
    samples = twin.drain_samples()
    n_signals = sum(len(plant.machine_type(m).signals) for m in plant.machine_ids)
    assert len(samples) == 5 * n_signals  # every 3 minutes for 15 minutes
    assert (samples.time[1:] >= samples.time[:-1]).all()
    assert len(twin.drain_samples()) == 0
    assert not twin.tripped
    assert 100.0 < twin.ledger.per_hour()["cost_per_h"] < 300.0
    assert twin.setpoints("reactor")["reactor_pressure"] == 2705.0


def test_a_fork_shares_nothing_with_its_twin() -> None:
    twin = ProcessTwin(load_plant(TEP), seed=1)
    twin.step(0.1)
    fork = twin.fork()
    assert fork.now_h == twin.now_h
    fork.set_setpoint("reactor", "reactor_pressure", 2750.0)
    fork.step(0.1)
    assert twin.setpoints("reactor")["reactor_pressure"] == 2705.0
    assert twin.now_h == pytest.approx(0.1) and fork.now_h == pytest.approx(0.2)
    twin.step(0.1)
    assert twin.meas[6] != fork.meas[6]  # the fork's pressure moved toward its new target


def test_a_signal_the_process_does_not_measure_is_named(tmp_path: Path) -> None:
    data = yaml.safe_load(TEP.read_text())
    data["plant"]["machine_types"]["reactor"]["signals"][0]["id"] = "flux"
    with pytest.raises(ValueError, match="signal 'flux' is not a measurement"):
        ProcessTwin(parse_plant(yaml.safe_dump(data)))
