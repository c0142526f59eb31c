"""Calibrating a small plant from its own history: the file loads and runs, a mode that never
failed gets a marked prior, bad history is refused with a clear message and nothing stored
changes."""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

from jayul.calibrate import HistoryError, calibrate
from jayul.calibrate.plantfile import read_calibration, write_calibrated
from jayul.cli.main import app
from jayul.historian import Historian, open_historian
from jayul.plant import load_plant, parse_plant
from jayul.plant.model import Plant
from jayul.records import Event, EventKind
from jayul.records.timebase import NS_PER_H, to_ns
from jayul.twin import Twin

SMALL = (Path(__file__).parent / "small_plant.yaml").read_text()


def _history(plant: Plant, days: float, seed: int = 3, url: str = ":memory:") -> Historian:
    """The plant's history as a real plant exposes it: signals and events, no health."""
    twin = Twin(plant, seed=seed)
    hist = open_historian(url)
    t = 0.0
    while t < days * 24:
        t += 24.0
        twin.run_until(t)
        if int(t / 24) % 9 == 0:  # some preventive maintenance: censored runs
            twin.request_maintenance("saw1", "blade_change")
        hist.append_samples(twin.drain_samples())
        hist.append_events(twin.drain_events())
    return hist


@pytest.fixture(scope="module")
def small() -> Plant:
    return parse_plant(SMALL)


@pytest.fixture(scope="module")
def history(small: Plant) -> Historian:
    return _history(small, 60)


def test_calibrated_plant_recovers_and_runs(
    small: Plant, history: Historian, tmp_path: Path
) -> None:
    cal = calibrate(small, history)
    p = cal.parameters
    assert p["saw/blade.wear_per_h"].covers(0.01)
    assert p["saw/blade.wear_per_h"].n >= 10
    assert p["saw/blade.repair_h"].value == pytest.approx(6.0)
    assert p["saw/cut.hours_per_work"].value == pytest.approx(1.5)
    assert p["orders.arrivals_per_h"].covers(1.0)
    assert abs(p["saw/temp.noise"].value / 0.5 - 1) < 0.1
    assert abs(p["saw/vib.load_gain"].value / 1.0 - 1) < 0.1
    assert "vib" in cal.plant.machine_types["saw"].failure_modes[0].effects
    # the motor never failed: its parameters are the plant file's, marked as priors
    assert p["saw/motor.wear_per_h"].prior and "fewer" in p["saw/motor.wear_per_h"].note
    assert "saw/motor.wear_per_h" in cal.report()["priors"]
    out = tmp_path / "calibrated.yaml"
    write_calibrated(out, cal)
    again = load_plant(out)  # the twin runs the file as it is
    twin = Twin(again, seed=1, signals=False)
    twin.run_until(200.0)
    assert twin.kpis().orders_done > 50
    meta = read_calibration(out)
    assert meta is not None and meta["parameters"]["saw/blade.wear_per_h"]["events"] >= 10


def test_no_events_is_refused(small: Plant) -> None:
    with open_historian(":memory:") as empty, pytest.raises(HistoryError, match="no events"):
        calibrate(small, empty)


def _ev(t_h: float, kind: EventKind, machine: str | None = "saw1", **payload: object) -> Event:
    return Event(
        time=to_ns(parse_plant(SMALL).start) + round(t_h * NS_PER_H),
        machine=machine,
        kind=kind,
        payload=payload,
    )


def test_overlapping_operations_are_named(small: Plant) -> None:
    with open_historian(":memory:") as h:
        h.append_events(
            [
                _ev(1.0, EventKind.OPERATION_START, order=0, op=0, name="cut"),
                _ev(2.0, EventKind.OPERATION_START, order=1, op=0, name="cut"),
                _ev(3.0, EventKind.OPERATION_END, order=1, op=0),
            ]
        )
        with pytest.raises(HistoryError, match=r"overlapping operations.*saw1"):
            calibrate(small, h)


def test_time_going_backwards_is_named(small: Plant) -> None:
    from jayul.calibrate.history import build_history

    events = [_ev(5.0, EventKind.OPERATION_START, name="cut"), _ev(4.0, EventKind.OPERATION_END)]
    with pytest.raises(HistoryError, match="time goes backwards"):
        build_history(small, events, events[1].time - 1, events[0].time + 1)


def test_cli_bad_history_changes_nothing(tmp_path: Path) -> None:
    plant_file = tmp_path / "small.yaml"
    plant_file.write_text(SMALL)
    db = tmp_path / "h.duckdb"
    with open_historian(str(db)) as h:
        h.append_events(
            [
                _ev(1.0, EventKind.MAINTENANCE_START, action="blade_change"),
                _ev(1.5, EventKind.MAINTENANCE_START, action="blade_change"),
            ]
        )
    before = db.read_bytes()
    out = tmp_path / "out.yaml"
    res = CliRunner().invoke(
        app, ["twin", "calibrate", "--plant", str(plant_file), "--db", str(db), "--out", str(out)]
    )
    assert res.exit_code == 2
    assert "overlapping maintenance" in res.output and "Traceback" not in res.output
    assert not out.exists()
    with open_historian(str(db)) as h:
        assert len(h.query_events()) == 2 and h.count_samples() == 0
    assert len(before) > 0


def test_cli_calibrates_and_backtests(small: Plant, tmp_path: Path) -> None:
    plant_file = tmp_path / "small.yaml"
    plant_file.write_text(SMALL)
    db = tmp_path / "h.duckdb"
    _history(small, 30, seed=5, url=str(db)).close()
    out, report = tmp_path / "cal.yaml", tmp_path / "rep.json"
    args = ["twin", "calibrate", "--plant", str(plant_file), "--db", str(db), "--out", str(out)]
    res = CliRunner().invoke(app, [*args, "--report", str(report), "--runs", "3"])
    assert res.exit_code == 0, res.output
    meta = read_calibration(out)
    assert meta is not None
    bt = meta["backtest"]
    assert bt["verdict"] in ("passes", "fails") and 0.0 <= bt["confidence"] <= 1.0
    assert set(bt["kpis"]) == {"failures", "downtime_h", "oee", "throughput_per_day"}
    assert bt["kpis"]["throughput_per_day"]["real"] > 0
    assert load_plant(out).name == "small"
