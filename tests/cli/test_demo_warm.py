"""The demo's console opens on the whole loop: the unpaced warm-up runs until an explained
alert and a request for approval are both there, not just the first request."""

from __future__ import annotations

from pathlib import Path

from jayul.autopilot.setup import assemble
from jayul.autopilot.warm import wear_in
from jayul.cli.demo_ui import prepare
from jayul.gate import AutonomyLevel
from jayul.historian.open import open_historian
from jayul.plant import demo_plant_path, load_plant
from jayul.records import Action, ActionKind
from jayul.twin import Twin


def test_the_warm_demo_console_opens_on_an_alert_and_a_request(tmp_path: Path) -> None:
    plant = load_plant(demo_plant_path())
    twin = Twin(plant, seed=0)
    assert wear_in(twin)
    db = tmp_path / "demo.duckdb"
    with open_historian(f"duckdb:///{db}") as historian:
        # the condition policy at L2: each proposal after an alert waits for a person
        # (no verifier: it would refuse servicing a new pump, and this test is about the wait)
        assembly = assemble(
            plant, twin, "condition", historian, str(db), AutonomyLevel.L2, verify=False
        )
        assert assembly.gate is not None
        # a person's request waits from the first hour, long before the detectors commission:
        # the warm-up goes on past it to the first alert
        action = Action(
            time=twin.time_ns(), machine="pump1", kind=ActionKind.START_MAINTENANCE,
            params={"action": "bearing_service"}, origin="console",
        )  # fmt: skip
        assembly.gate.origins.register("console")  # as the console registers it
        assembly.pilot.propose_from(action, "olga")
        assert assembly.gate.approvals.count_open() == 1
        state = prepare(
            plant, assembly.pilot, historian, 600.0, db,
            gate=assembly.gate, warmup_h=400.0, warm_until_alert=True,
        )  # fmt: skip
        assert assembly.pilot.counters.alerts > 0
        assert assembly.gate.approvals.count_open() > 0
        assert 96.0 < state.port.now_h < 400.0, "past commissioning, stopped at the alert"
