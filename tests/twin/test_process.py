"""The process twin: the plant file round trip, a short closed-loop run, forks that share
nothing, and clear errors for a plant file the process cannot run."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from jayul.plant import PlantFileError, load_plant, parse_plant
from jayul.plant.model import EmissionFactors
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
    del data["plant"]["process"]["soft_sensor"]  # which names it too (the plant file says so)
    with pytest.raises(ValueError, match="signal 'flux' is not a measurement"):
        ProcessTwin(parse_plant(yaml.safe_dump(data)))


def test_energy_and_carbon_per_m3_at_the_plant_files_factors() -> None:
    from jayul.twin.process import ProcessLedger

    factors = EmissionFactors(
        electricity_kg_co2e_per_kwh=0.5, steam_mj_per_kg=3.6, steam_kg_co2e_per_kg=0.2
    )
    ledger = ProcessLedger(
        hours=2.0, product_m3=40.0, compressor_kwh=600.0, steam_kg=400.0, emissions=factors
    )
    # by hand: (600 kWh + 400 kg x 3.6 MJ/kg / 3.6 MJ/kWh) / 40 m3; (600 x 0.5 + 400 x 0.2) / 40
    assert ledger.energy_per_m3() == {
        "compressor_kwh_per_m3": 15.0,
        "steam_kg_per_m3": 10.0,
        "energy_kwh_per_m3": 25.0,
        "carbon_kg_per_m3": 9.5,
    }


def test_the_process_run_carries_its_carbon_at_the_plant_files_factors() -> None:
    data = yaml.safe_load(TEP.read_text())
    data["plant"]["process"]["emissions"] = {"electricity_kg_co2e_per_kwh": 0.0}
    steam_only = ProcessTwin(parse_plant(yaml.safe_dump(data)), seed=0, record=False)
    default = ProcessTwin(load_plant(TEP), seed=0, record=False)
    for twin in (steam_only, default):
        twin.step(0.1)
    a, b = steam_only.ledger.per_hour(), default.ledger.per_hour()
    assert a["steam_kg_per_m3"] == b["steam_kg_per_m3"] > 0  # the same process, same noise
    assert a["carbon_kg_per_m3"] == pytest.approx(a["steam_kg_per_m3"] * 0.154)
    assert b["carbon_kg_per_m3"] == pytest.approx(
        b["compressor_kwh_per_m3"] * 0.46 + b["steam_kg_per_m3"] * 0.154
    )


def test_a_disturbance_moves_the_process_and_only_where_it_is_switched_on() -> None:
    twin = ProcessTwin(load_plant(TEP), seed=0, record=False)
    twin.step(0.05)
    fork = twin.fork()
    twin.set_disturbance(6)  # IDV(6): the A feed is lost
    twin.step(0.25)
    fork.step(0.25)
    assert twin.meas[0] < 0.1 < fork.meas[0]  # the A feed flow, kscmh (base about 0.25)
    assert fork.idv.sum() == 0
    with pytest.raises(ValueError, match="disturbances 1-28"):
        twin.set_disturbance(29)
