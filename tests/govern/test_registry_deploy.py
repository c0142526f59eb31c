"""The registry, the deployment gate, drift and the retraining policy."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from sklearn.ensemble import IsolationForest

from jayul.govern import (
    DriftMonitor,
    ModelCard,
    Registry,
    RetrainingPolicy,
    Scorecard,
    deployment_gate,
    fingerprint,
    psi,
)
from jayul.govern.db import connect
from jayul.govern.scorecard import Rating
from jayul.records.events import RiskClass
from jayul.records.timebase import NS_PER_H

RNG = np.random.default_rng(1)
X = RNG.normal(size=(600, 4))


def card(level: RiskClass, name: str = "iforest", version: int = 1) -> Scorecard:
    low = Rating(level=RiskClass.LOW, evidence="ok")
    return Scorecard(
        model=name,
        version=version,
        safety_impact=low,
        autonomy=low,
        robustness=Rating(level=level, evidence="probes"),
        data_quality=low,
        drift=low,
    )


def test_deployment_gate() -> None:
    assert deployment_gate(card(RiskClass.LOW)).allowed
    assert deployment_gate(card(RiskClass.MEDIUM)).allowed
    assert not deployment_gate(card(RiskClass.HIGH)).allowed
    assert not deployment_gate(card(RiskClass.HIGH), "  ").allowed
    assert deployment_gate(card(RiskClass.HIGH), "Dana Park").allowed
    assert not deployment_gate(card(RiskClass.CRITICAL), "the CEO").allowed
    assert not deployment_gate(None, "anyone").allowed


def test_registry_records_and_promotion(tmp_path: Path) -> None:
    con = connect(tmp_path / "p.duckdb")
    reg = Registry(con)
    model = IsolationForest(n_estimators=20, random_state=0).fit(X)
    m1 = reg.register(
        "iforest",
        model,
        X,
        {"f1": 0.61},
        "ana",
        1,
        ModelCard(intended_use="pump anomalies", data="demo twin, 600 rows"),
    )
    assert (m1.version, m1.params["n_estimators"], m1.fingerprint) == (1, 20, fingerprint(X))
    assert m1.class_name.endswith("IsolationForest")
    assert fingerprint(X) != fingerprint(X[:-1]) and fingerprint(X) != fingerprint(X.T)
    refused = reg.promote("iforest", 1, "ana", 2)
    assert not refused.allowed and "scorecard" in refused.reason
    reg.set_scorecard(card(RiskClass.MEDIUM), "ana", 3)
    assert reg.promote("iforest", 1, "ana", 4).allowed
    assert reg.champion("iforest").version == 1  # type: ignore[union-attr]
    reg.register("iforest", model, X[:300], {"f1": 0.66}, "ana", 5)
    reg.set_scorecard(card(RiskClass.HIGH, version=2), "ana", 6)
    assert not reg.promote("iforest", 2, "ana", 7).allowed
    assert reg.promote("iforest", 2, "ana", 8, approver="Dana Park").allowed
    statuses = {m.version: m.status for m in reg.models()}
    assert statuses == {1: "retired", 2: "deployed"}
    assert reg.get("iforest").deployed_by == "Dana Park"
    kinds = [r.kind for r in reg.audit.records()]
    assert kinds.count("deployment") == 2 and kinds.count("deployment_refused") == 2
    assert reg.audit.verify().ok
    with pytest.raises(KeyError, match="no model"):
        reg.get("nope")
    con.close()


def test_drift_monitor() -> None:
    mon = DriftMonitor(X, X[:, 0], names=["a", "b", "c", "d"])
    same = mon.check(RNG.normal(size=(500, 4)), RNG.normal(size=500))
    assert same.level is RiskClass.LOW
    shifted = RNG.normal(size=(500, 4))
    shifted[:, 2] += 1.0
    report = mon.check(shifted)
    assert report.level is RiskClass.HIGH and report.features["c"][0] > 0.25
    assert report.features["c"][1] < 1e-6
    assert "c:" in report.rating().evidence
    assert psi(X[:, 0], X[:, 0]) < 1e-9
    with pytest.raises(ValueError):
        mon.check(X[:, :2])


def test_retraining_policy() -> None:
    policy = RetrainingPolicy()
    day = 24 * NS_PER_H
    assert not policy.due(10 * day, 0).due
    assert policy.due(31 * day, 0).reason.startswith("schedule")
    assert policy.due(day, 0, metric_now=0.5, metric_at_deploy=0.7).reason.startswith("decay")
    assert not policy.due(day, 0, metric_now=0.68, metric_at_deploy=0.7).due
    shifted = RNG.normal(size=(300, 4)) + 2.0
    assert policy.due(day, 0, DriftMonitor(X).check(shifted)).reason.startswith("drift")
    assert policy.training_window(20 * day) == (6 * day, 20 * day)
    assert policy.challenger_wins(0.60, 0.65, 1000.0, 990.0).due
    assert not policy.challenger_wins(0.60, 0.58, 1000.0, 900.0).due
    assert not policy.challenger_wins(0.60, 0.65, 1000.0, 1100.0).due  # worse on the twin


def test_the_gate_holds_a_version_to_its_cards_declared_back_test_limits() -> None:
    from jayul.govern import MetricLimit

    limits = ModelCard(intended_use="x", data="y", acceptance=[
        MetricLimit(metric="holdout_interval_coverage", low=0.8),
        MetricLimit(metric="holdout_rmse", high=1.0),
    ])  # fmt: skip
    met = {"holdout_interval_coverage": 0.85, "holdout_rmse": 0.5}
    ok = deployment_gate(card(RiskClass.LOW), None, limits, met)
    assert ok.allowed and ok.reason == "low risk, back-test within the declared limits"
    missed = deployment_gate(card(RiskClass.LOW), "Dana Park", limits,
                             {"holdout_interval_coverage": 0.6})  # fmt: skip
    assert not missed.allowed  # no approver overrides a back-test outside its limits
    assert missed.reason == (
        "back-test outside the declared limits: holdout_interval_coverage 0.6 below the "
        "declared 0.8; holdout_rmse was not measured"
    )
    assert "0.8 <= holdout_interval_coverage" in limits.to_markdown("m")


def test_a_version_keeps_its_model_and_the_model_is_checked_on_read(tmp_path: Path) -> None:
    reg = Registry(connect(tmp_path / "p.duckdb"))
    model = IsolationForest(n_estimators=5, random_state=0).fit(X)
    with_model = reg.register("m", model, X, {}, "me", 1, artifact=b"serialised")
    without = reg.register("m", model, X, {}, "me", 2)
    assert reg.artifact("m", with_model.version) == b"serialised"
    with pytest.raises(KeyError, match="m version 2 was registered without its model"):
        reg.artifact("m", without.version)
    reg.con.execute("UPDATE model_artifacts SET data = ?", [b"swapped"])
    with pytest.raises(ValueError, match="does not match its hash"):
        reg.artifact("m", with_model.version)
