"""A verdict on a calibrated twin carries its back-test's confidence; a twin that failed its
back-test gives the gate no verdict (ask a person)."""

from __future__ import annotations

from pathlib import Path

from jayul.plant import load_demo_plant
from jayul.records import Action, ActionKind
from jayul.twin import Twin
from jayul.verify import TwinTrust, Verifier, twin_trust


def _verdicts(trust: TwinTrust | None) -> tuple[bool, bool | None, float | None, str]:
    t = Twin(load_demo_plant(), seed=3, signals=False)
    t.run_until(24 * 10)
    action = Action(
        time=t.time_ns(),
        machine="pump1",
        kind=ActionKind.START_MAINTENANCE,
        params={"action": "overhaul"},
        origin="test",
    )
    v = Verifier(futures=2, horizon_h=24, trust=trust).verify(t, [(0.0, action)])
    return v.accept, v.gate_verdict, v.summary()["twin_confidence"], v.reason


def test_failed_backtest_gives_no_verdict_to_the_gate() -> None:
    accept, gate, confidence, reason = _verdicts(TwinTrust(passed=False, confidence=0.4))
    assert gate is None and confidence == 0.4
    assert "failed its back-test" in reason
    accept_hand, gate_hand, conf_hand, _ = _verdicts(None)
    assert gate_hand == accept_hand == accept and conf_hand is None
    _, gate_ok, conf_ok, _ = _verdicts(TwinTrust(passed=True, confidence=1.0))
    assert gate_ok == accept and conf_ok == 1.0


def test_trust_read_from_a_calibrated_plant_file(tmp_path: Path) -> None:
    f = tmp_path / "p.yaml"
    f.write_text("plant: {}\ncalibration:\n  backtest: {verdict: fails, confidence: 0.6}\n")
    trust = twin_trust(f)
    assert trust is not None and not trust.passed and trust.confidence == 0.6
    f.write_text("plant: {}\n")
    assert twin_trust(f) is None
