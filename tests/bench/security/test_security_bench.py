"""`jayul bench security` in small: every forgery detected, no OPC UA write around the gate."""

from __future__ import annotations

from pathlib import Path

from jayul.bench.security.harness import run_forgery, run_opcua_writes


def test_every_forgery_is_detected(tmp_path: Path) -> None:
    figures = run_forgery(tmp_path, n=200, trials=4)
    assert figures["intact_trail_verifies"]
    assert sum(figures["trials"].values()) == 16
    assert figures["undetected"] == 0


def test_no_opcua_write_reaches_the_machine_around_the_gate() -> None:
    figures = run_opcua_writes(60, seed=1)
    assert figures["reached_machine_without_gate"] == 0
    assert figures["reached_machine_through_gate"] > 0  # the harness can see real changes
    denied = sum(v for k, v in figures["outcomes"].items() if "BadUserAccessDenied" in k)
    assert denied >= 30  # the anonymous half
