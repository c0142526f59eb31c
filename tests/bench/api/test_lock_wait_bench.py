"""`jayul bench lock-wait` measures both phases and proposes through the verifier."""

from __future__ import annotations

from pathlib import Path

from jayul.bench.api.lock_wait import lock_wait, verifying_plant


def test_both_phases_are_timed_and_every_proposal_is_answered(tmp_path: Path) -> None:
    state = verifying_plant(tmp_path / "bench.duckdb", warmup_h=1.0)
    try:
        figures = lock_wait(state, seconds=1.0, every_s=0.0)
    finally:
        state.stop()
    for phase in ("reads_idle", "reads_while_verifying", "proposals"):
        f = figures[phase]
        assert f["n"] >= 1 and 0 < f["p50_ms"] <= f["p95_ms"] <= f["max_ms"], (phase, f)
    assert sum(figures["proposal_outcomes"].values()) == figures["proposals"]["n"]
    assert figures["verifier"] == {"futures": 8, "horizon_h": 168.0}
