"""The process monitor on a small process plant of its own (no Tennessee Eastman names): the
soft sensor the plant file declares, its drift against the analyser raised as one alert, the
refit registered with card and scorecard and deployed only through the gate, and the known
fault named in a unit's alert."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from jayul.autopilot.fault_naming import FaultNamer, resolve_inputs
from jayul.autopilot.monitor import HealthMonitor
from jayul.autopilot.process_monitor import DRIFT_DETECTOR, ProcessMonitor
from jayul.autopilot.soft_sensor_refit import SoftSensorRefit, soft_sensor_name
from jayul.govern.registry import Registry
from jayul.historian.base import Historian
from jayul.historian.open import open_historian
from jayul.plant import Plant, parse_plant
from jayul.records import Alert, Samples

PERIOD_NS = 180 * 10**9
MIXER = """
plant:
  name: mixing
  process:
    model: tep
    soft_sensor:
      analysed: [lab.purity]
      delay_s: 900
      inputs: [mixer.flow_a, mixer.flow_b, mixer.temperature]
    known_faults: {1: "blocked A line"}
  machine_types:
    mixer:
      signals:
        - {id: flow_a, unit: m3/h, period_s: 180}
        - {id: flow_b, unit: m3/h, period_s: 180}
        - {id: temperature, unit: degC, period_s: 180}
    lab:
      signals:
        - {id: purity, unit: "%", period_s: 180}
  machines:
    - {id: mixer, type: mixer}
    - {id: lab, type: lab}
"""


def mixing_plant() -> Plant:
    return parse_plant(MIXER, "mixing.yaml")


def stream(n: int, seed: int, offset: float = 0.0, from_row: int | None = None
           ) -> tuple[np.ndarray, np.ndarray]:  # fmt: skip
    """The mixer's inputs and the lab analyser's purity: sampled every 5 rows, reported 5
    rows (900 s) later, held in between; from `from_row` on, readings off by `offset`."""
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(n, 3)) + np.array([10.0, 5.0, 60.0])
    quality = 90.0 + 2.0 * (x[:, 0] - 10.0) - (x[:, 2] - 60.0) + 0.1 * rng.normal(size=n)
    reading = np.full(n, 90.0)
    for t in range(5, n):
        reading[t] = quality[t - 5] if t % 5 == 0 else reading[t - 1]
        if from_row is not None and t >= from_row and t % 5 == 0:
            reading[t] += offset
        elif from_row is not None and t > from_row:
            reading[t] = reading[t - 1]
    return x, reading


def feed(monitor: ProcessMonitor, x: np.ndarray, reading: np.ndarray, batch: int = 20,
         historian: Historian | None = None, written_to: int | None = None
         ) -> list[Alert]:  # fmt: skip
    """The rows in batches to the monitor; with `historian`, each batch stored first (only
    those before row `written_to` when given: a loop that has not written the rest yet)."""
    alerts = []
    for start in range(0, len(x), batch):
        t = np.arange(start, min(start + batch, len(x)), dtype=np.int64) * PERIOD_NS
        rows = range(start, start + len(t))
        samples = Samples.build(
            np.concatenate([t, t, t, t]),
            ["mixer"] * (3 * len(t)) + ["lab"] * len(t),
            ["flow_a"] * len(t) + ["flow_b"] * len(t) + ["temperature"] * len(t)
            + ["purity"] * len(t),
            np.concatenate([x[rows, 0], x[rows, 1], x[rows, 2], reading[rows]]),
        )  # fmt: skip
        if historian is not None and (written_to is None or start < written_to):
            historian.append_samples(samples)  # stored before the loop reads it
        alerts += monitor.update(samples)
    return alerts


def drift_alerts(alerts: list[Alert]) -> list[Alert]:
    return [a for a in alerts if a.detector == DRIFT_DETECTOR]


def test_the_soft_sensor_comes_from_the_plant_file() -> None:
    monitor = ProcessMonitor(HealthMonitor(mixing_plant(), fit_h=10.0))
    assert monitor.analysed == [("lab", "purity")]
    assert monitor.soft_inputs == [("mixer", "flow_a"), ("mixer", "flow_b"),
                                   ("mixer", "temperature")]  # fmt: skip
    assert monitor.watch is not None and monitor.watch.delay == 5  # 900 s of 180 s rows


def test_a_normal_run_raises_no_drift_alert() -> None:
    monitor = ProcessMonitor(HealthMonitor(mixing_plant(), fit_h=10.0))
    alerts = feed(monitor, *stream(2500, 0))
    assert monitor.watch is not None and monitor.watch.sensor is not None
    assert drift_alerts(alerts) == []


def test_an_analyser_drift_raises_exactly_one_alert() -> None:
    monitor = ProcessMonitor(HealthMonitor(mixing_plant(), fit_h=10.0))
    alerts = drift_alerts(feed(monitor, *stream(2500, 0, offset=0.5, from_row=1200)))
    assert len(alerts) == 1, [a.finding for a in alerts]
    (alert,) = alerts
    assert alert.machine == "lab" and alert.time >= 1200 * PERIOD_NS
    assert alert.reason().startswith("soft sensor for purity drifting: mean residual +0.")
    assert "% over the last" in alert.reason() and "interval coverage" in alert.reason()
    assert alert.to_event().payload["finding"] == alert.reason()


@pytest.mark.parametrize("from_historian", [False, True])
def test_a_drift_refit_is_registered_and_deployed_through_the_gate(
    tmp_path: Path, from_historian: bool
) -> None:
    plant = mixing_plant()
    registry = Registry(str(tmp_path / "plant.duckdb"))
    historian = open_historian(f"duckdb:///{tmp_path / 'history.duckdb'}")
    refit = SoftSensorRefit(plant, registry, historian=historian if from_historian else None)
    monitor = ProcessMonitor(HealthMonitor(plant, fit_h=10.0), refit=refit)
    assert monitor.watch is not None
    x, reading = stream(2500, 0, offset=0.5, from_row=1200)
    alerts = drift_alerts(feed(monitor, x, reading, historian=historian))
    assert len(alerts) == 1, refit.outcomes
    name = soft_sensor_name(plant)
    versions = [m for m in registry.models() if m.name == name]
    assert [m.version for m in versions] == [1, 2], refit.outcomes
    fresh = versions[1]
    assert fresh.card is not None and fresh.scorecard is not None
    assert "holdout_interval_coverage" in fresh.metrics
    deployed = fresh.status == "deployed"
    assert deployed == alerts[0].reason().endswith("refitted on the recent history")
    assert deployed == ("deployed" in refit.outcomes[-1])
    registry.audit.flush()  # records no action depends on are committed in batches
    kinds = [r[0] for r in registry.con.execute("SELECT kind FROM audit_log").fetchall()]
    assert "retrain_decision" in kinds and "model_registered" in kinds
    assert "challenger_decision" in kinds  # the refit against the serving version, held out
    assert fresh.metrics["holdout_rmse"] < fresh.metrics["serving_holdout_rmse"]
    assert ("deployment" in kinds) == deployed and ("deployment_refused" in kinds) != deployed


def test_a_refit_uses_the_readings_up_to_its_own_time_not_the_historians_last_write(
    tmp_path: Path,
) -> None:
    """The historian holds the rows up to row 1000 only (the loop writes it in batches); the
    drift begins at 1200, and the refit it calls for trains and back-tests on every reading
    up to the finding, the newest ones from the rows the loop holds."""
    plant = mixing_plant()
    registry = Registry(str(tmp_path / "plant.duckdb"))
    historian = open_historian(f"duckdb:///{tmp_path / 'history.duckdb'}")
    refit = SoftSensorRefit(plant, registry, historian=historian)
    monitor = ProcessMonitor(HealthMonitor(plant, fit_h=10.0), refit=refit)
    x, reading = stream(2500, 0, offset=0.5, from_row=1200)
    alerts = drift_alerts(feed(monitor, x, reading, historian=historian, written_to=1000))
    assert len(alerts) == 1, refit.outcomes
    found_at = alerts[0].time // PERIOD_NS
    versions = [m for m in registry.models() if m.name == soft_sensor_name(plant)]
    assert [m.version for m in versions] == [1, 2], refit.outcomes
    # a reading every 5 rows from row 5 to the finding; the historian alone holds 199
    assert versions[1].metrics["readings"] == found_at // 5, (found_at, versions[1].metrics)


class _Classifier:
    """A stand-in fault classifier: fault 1 when flow_a is low, with its probability."""

    window = 3
    classes_ = np.array([0, 1])

    def predict_proba(self, rows: np.ndarray) -> np.ndarray:
        p = 0.9 if rows[-1, 0] < 8.0 else 0.3
        return np.array([[1.0 - p, p]] * len(rows))


def test_the_alert_names_the_known_fault_or_says_none_matches() -> None:
    plant = mixing_plant()
    inputs = resolve_inputs(plant, ["flow_a", "mixer.flow_b", "temperature"], "model.joblib")
    namer = FaultNamer(_Classifier(), inputs, plant.process.known_faults)  # type: ignore[arg-type, union-attr]
    assert namer.say(np.array([[5.0, 5.0, 60.0]])) == "looks like blocked A line, p=0.90"
    assert namer.say(np.array([[10.0, 5.0, 60.0]])) == (
        "no known fault matches (normal most likely, p=0.70)"
    )
    namer.min_probability = 0.95
    assert namer.say(np.array([[5.0, 5.0, 60.0]])) == (
        "no known fault matches (closest blocked A line, p=0.90)"
    )
    with pytest.raises(ValueError, match=r"model\.joblib: column.*purityx"):
        resolve_inputs(plant, ["purityx"], "model.joblib")


def test_another_process_plant_gets_a_soft_sensor_panel() -> None:
    from jayul.server.soft_sensor_view import SoftSensorPanel

    panel = SoftSensorPanel(mixing_plant())
    assert panel.analysers == [("lab", "purity")] and panel.delay == 5
    assert [s for _, s in panel.inputs] == ["flow_a", "flow_b", "temperature"]
