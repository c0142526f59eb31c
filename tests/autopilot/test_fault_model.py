"""The known-fault classifier as a registered model: registered with its card, scorecard and
the model itself, loadable by the loop only once the deployment gate deployed it (and only if
its held-out accuracy meets the card's declared limit), and the version that named a fault is
in the alert and in the audit trail."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from jayul.autopilot.fault_model import namer_from_registry, parse_model_ref, register_fault_model
from jayul.autopilot.monitor import HealthMonitor
from jayul.autopilot.process_monitor import ProcessMonitor
from jayul.govern.registry import Registry
from jayul.health.process.tabular import train_quality
from jayul.plant import Plant, parse_plant
from jayul.records import Samples

PERIOD_NS = 180 * 10**9
MIXER = """
plant:
  name: mixing
  process:
    model: tep
    known_faults: {1: "blocked A line"}
  machine_types:
    mixer:
      signals:
        - {id: flow_a, unit: m3/h, period_s: 180}
        - {id: flow_b, unit: m3/h, period_s: 180}
  machines:
    - {id: mixer, type: mixer}
"""


def table(noise: float = 0.3, seed: int = 0) -> pd.DataFrame:
    """Labelled runs: normal, and fault 1 (flow A down by 3); each 300 rows in time order."""
    rng = np.random.default_rng(seed)
    runs = []
    for label, shift in ((0, 0.0), (1, -3.0)):
        x = rng.normal(0.0, noise, (300, 2)) + np.array([10.0 + shift, 5.0])
        runs.append(pd.DataFrame({"mixer.flow_a": x[:, 0], "flow_b": x[:, 1], "fault": label}))
    return pd.concat(runs, ignore_index=True)


def registered(registry: Registry, data: pd.DataFrame, min_accuracy: float) -> int:
    model = train_quality("faults", data, ["fault"], where="runs.csv")
    X = data[model.inputs].to_numpy(dtype=float)
    labels = data["fault"].to_numpy().astype(int)
    rec = register_fault_model(registry, model, X, labels, where="runs.csv", by="dana", now=1,
                               min_accuracy=min_accuracy)  # fmt: skip
    return rec.version


def mixing_plant() -> Plant:
    return parse_plant(MIXER, "mixing.yaml")


def test_registered_with_its_card_and_loaded_only_once_the_gate_deployed_it() -> None:
    registry, plant = Registry(":memory:"), mixing_plant()
    version = registered(registry, table(), 0.8)
    rec = registry.get("quality-faults", version)
    assert rec.status == "registered" and rec.scorecard is not None and rec.card is not None
    assert "600 labelled rows of runs.csv" in rec.card.data and "classes (0 = normal): 0, 1" in (
        rec.card.data
    )
    assert rec.metrics["holdout_accuracy"] > 0.9
    with pytest.raises(ValueError, match="has no deployed version: deploy one through the gate"):
        namer_from_registry(registry, plant, "quality-faults")
    with pytest.raises(ValueError, match="version 1 is registered, not deployed"):
        namer_from_registry(registry, plant, "quality-faults@1")
    with pytest.raises(ValueError, match="fault model nothing is not registered"):
        namer_from_registry(registry, plant, "nothing")
    assert registry.promote("quality-faults", version, "dana", 2).allowed
    namer = namer_from_registry(registry, plant, "quality-faults")
    assert namer.source == "quality-faults@1" and namer.inputs == [
        ("mixer", "flow_a"), ("mixer", "flow_b")
    ]  # fmt: skip
    assert namer_from_registry(registry, plant, "quality-faults@1").source == "quality-faults@1"


def test_the_gate_refuses_a_classifier_below_its_declared_held_out_accuracy() -> None:
    registry = Registry(":memory:")
    # the two runs overlap: no classifier tells them apart on held-out rows
    version = registered(registry, table(noise=6.0), 0.95)
    rec = registry.get("quality-faults", version)
    assert rec.metrics["holdout_accuracy"] < 0.95
    decision = registry.promote("quality-faults", version, "dana", 2, approver="the plant manager")
    assert not decision.allowed
    assert decision.reason.startswith("back-test outside the declared limits: holdout_accuracy")
    assert registry.champion("quality-faults") is None


def test_the_version_that_named_a_fault_is_in_the_alert_and_the_audit_trail() -> None:
    registry, plant = Registry(":memory:"), mixing_plant()
    registry.promote("quality-faults", registered(registry, table(), 0.8), "dana", 2)
    namer = namer_from_registry(registry, plant, "quality-faults@1")
    monitor = ProcessMonitor(HealthMonitor(plant, fit_h=3.0), namer, audit=registry.audit)
    rng = np.random.default_rng(1)
    named = []
    for hour in range(12):  # 3 h of commissioning, then flow A drops by 3 at hour 6
        t = (np.arange(20) + 20 * hour).astype(np.int64) * PERIOD_NS
        x = rng.normal(0.0, 0.3, (20, 2)) + np.array([10.0 - 3.0 * (hour >= 6), 5.0])
        batch = Samples.build(np.concatenate([t, t]), ["mixer"] * 40,
                              ["flow_a"] * 20 + ["flow_b"] * 20, x.T.ravel())  # fmt: skip
        named += [a.reason() for a in monitor.update(batch)]
    assert any("looks like blocked A line" in r and r.endswith("(quality-faults@1)")
               for r in named), named  # fmt: skip
    registry.audit.flush()
    rows = registry.con.execute(
        "SELECT subject, reason FROM audit_log WHERE kind = 'fault_named'"
    ).fetchall()
    assert rows and all(subject == "quality-faults@1" for subject, _ in rows)
    assert any("looks like blocked A line" in reason for _, reason in rows)


def test_a_model_reference_is_a_name_and_an_optional_version() -> None:
    assert parse_model_ref("quality-faults") == ("quality-faults", None)
    assert parse_model_ref("quality-faults@3") == ("quality-faults", 3)
    with pytest.raises(ValueError, match="NAME or NAME@VERSION"):
        parse_model_ref("quality-faults@latest")
