"""The soft sensor's first fit goes through the model registry and the deployment gate: served
when its back-test meets the plant file's declared limits, refused otherwise, and then the
loop says so, runs without a soft sensor, and the audit trail records both."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from jayul.autopilot.monitor import HealthMonitor
from jayul.autopilot.process_monitor import DRIFT_DETECTOR, ProcessMonitor
from jayul.autopilot.soft_sensor_refit import SoftSensorRefit, soft_sensor_name
from jayul.govern.registry import Registry
from jayul.plant import Plant, parse_plant
from jayul.records import Samples

PERIOD_NS = 180 * 10**9


def mixing_plant(limits: str = "") -> Plant:
    return parse_plant(
        f"""
plant:
  name: mixing
  process:
    model: tep
    soft_sensor:
      analysed: [lab.purity]
      delay_s: 900
      inputs: [mixer.flow_a, mixer.flow_b, mixer.temperature]
      {limits}
  machine_types:
    mixer:
      signals:
        - {{id: flow_a, unit: m3/h, period_s: 180}}
        - {{id: flow_b, unit: m3/h, period_s: 180}}
        - {{id: temperature, unit: degC, period_s: 180}}
    lab:
      signals:
        - {{id: purity, unit: "%", period_s: 180}}
  machines:
    - {{id: mixer, type: mixer}}
    - {{id: lab, type: lab}}
""",
        "mixing.yaml",
    )


def run(monitor: ProcessMonitor, n: int, offset_from: int | None = None) -> list[str]:
    """The mixer and its analyser (purity sampled every 5 rows, reported 5 rows later), fed
    in batches of 20 rows; from `offset_from` on, the analyser reads 0.5 high. The detectors
    of the alerts raised."""
    rng = np.random.default_rng(0)
    x = rng.normal(size=(n, 3)) + np.array([10.0, 5.0, 60.0])
    quality = 90.0 + 2.0 * (x[:, 0] - 10.0) - (x[:, 2] - 60.0) + 0.1 * rng.normal(size=n)
    reading = np.full(n, 90.0)
    for t in range(5, n):
        shift = 0.5 if offset_from is not None and t >= offset_from else 0.0
        reading[t] = quality[t - 5] + shift if t % 5 == 0 else reading[t - 1]
    raised = []
    for start in range(0, n, 20):
        rows = np.arange(start, min(start + 20, n))
        times = rows.astype(np.int64) * PERIOD_NS
        samples = Samples.build(
            np.concatenate([times, times, times, times]),
            ["mixer"] * (3 * len(rows)) + ["lab"] * len(rows),
            ["flow_a"] * len(rows) + ["flow_b"] * len(rows) + ["temperature"] * len(rows)
            + ["purity"] * len(rows),
            np.concatenate([x[rows, 0], x[rows, 1], x[rows, 2], reading[rows]]),
        )  # fmt: skip
        raised += [a.detector for a in monitor.update(samples)]
    return raised


def gated(plant: Plant, tmp_path: Path) -> tuple[ProcessMonitor, SoftSensorRefit, Registry]:
    registry = Registry(str(tmp_path / "plant.duckdb"))
    refit = SoftSensorRefit(plant, registry)
    monitor = ProcessMonitor(HealthMonitor(plant, fit_h=10.0), refit=refit,
                             first_fit=refit.first_fit, audit=registry.audit)  # fmt: skip
    return monitor, refit, registry


def audit_kinds(registry: Registry) -> list[tuple[str, str]]:
    registry.audit.flush()
    rows = registry.con.execute("SELECT kind, subject FROM audit_log ORDER BY seq").fetchall()
    return [(str(k), str(s)) for k, s in rows]


def test_a_first_fit_within_its_declared_limits_is_registered_and_served(
    tmp_path: Path,
) -> None:
    plant = mixing_plant("min_holdout_coverage: 0.5")
    monitor, refit, registry = gated(plant, tmp_path)
    assert monitor.watch is not None
    run(monitor, 600)
    name = soft_sensor_name(plant)
    first = registry.get(name, 1)
    assert first.status == "deployed", refit.outcomes
    assert first.card is not None and first.scorecard is not None
    assert [(a.metric, a.low) for a in first.card.acceptance] == [
        ("holdout_interval_coverage", 0.5)
    ]
    assert first.metrics["holdout_interval_coverage"] >= 0.5 and "holdout_rmse" in first.metrics
    assert monitor.watch.sensor is not None and not monitor.watch.refused
    assert refit.outcomes == [
        f"{name} version 1 deployed: low risk, back-test within the declared limits"
    ]
    kinds = audit_kinds(registry)
    assert ("model_registered", f"{name}@1") in kinds and ("deployment", f"{name}@1") in kinds


def test_a_first_fit_outside_its_declared_limits_is_refused_and_the_loop_runs_without_it(
    tmp_path: Path,
) -> None:
    # the analyser's noise alone (0.1 %) is above the declared held-out RMSE
    plant = mixing_plant("max_holdout_rmse: 0.001")
    monitor, refit, registry = gated(plant, tmp_path)
    assert monitor.watch is not None
    raised = run(monitor, 2500, offset_from=1200)  # an analyser drift no sensor is there to see
    name = soft_sensor_name(plant)
    first = registry.get(name, 1)
    assert first.status == "registered" and first.scorecard is not None
    assert monitor.watch.sensor is None and monitor.watch.refused
    assert DRIFT_DETECTOR not in raised
    assert [m.version for m in registry.models()] == [1]  # refused once, not retried each row
    (said,) = refit.outcomes
    assert said.startswith(f"{name} version 1 not deployed (back-test outside the declared "
                           "limits: holdout_rmse ")  # fmt: skip
    assert said.endswith("above the declared 0.001): the loop runs without the soft sensor")
    kinds = audit_kinds(registry)
    assert ("deployment_refused", f"{name}@1") in kinds
    assert ("soft_sensor_off", f"{name}@1") in kinds
    assert ("deployment", f"{name}@1") not in kinds
