"""A live demo plant behind the API, with the accounts the agent suite uses: a person of each
role that decides, and two agent accounts (one floods, so its rate limit spares the other)."""

from __future__ import annotations

from pathlib import Path

from jayul.autopilot.setup import assemble
from jayul.gate import AutonomyLevel, RateLimiter
from jayul.historian.open import open_historian
from jayul.plant import demo_plant_path, load_plant
from jayul.server import LiveState
from jayul.server.users import Role
from jayul.twin import Twin
from jayul.verify import Verifier

ACCOUNTS = {
    "erik": (Role.ENGINEER, "engineer-pass-1"),
    "olga": (Role.OPERATOR, "operator-pass-1"),
    "bot": (Role.AGENT, "agent-pass-1"),
    "flood": (Role.AGENT, "agent-pass-2"),
}


def agent_plant(db: Path, warmup_h: float = 48.0) -> LiveState:
    """The demo plant at L3 (the agents' ceiling holds them at L2), warmed up, not ticking.
    Its verifier looks one day ahead on two futures: enough to refuse maintenance a healthy
    machine does not need, at a tenth of a second a proposal."""
    plant = load_plant(demo_plant_path())
    historian = open_historian(str(db))
    assembly = assemble(
        plant, Twin(plant, seed=0), "condition", historian, str(db), AutonomyLevel.L3,
        verifier=Verifier(futures=2, horizon_h=24.0),
    )  # fmt: skip
    assert assembly.gate is not None
    # the suite proposes many actions per machine: the per-machine limit has its own tests
    assembly.gate.rate = RateLimiter(max_actions=10_000)
    state = LiveState(plant, assembly.pilot, historian, str(db), speed=3600.0, gate=assembly.gate)
    state.warm_up(warmup_h)
    for name, (role, password) in ACCOUNTS.items():
        state.users.add(name, role, password, by="bench")
    return state
