"""The setpoint optimiser: every candidate and every proposal stays inside the envelope, and a
proposal never steps further than the envelope's largest step."""

from __future__ import annotations

from pathlib import Path

from jayul.decide.policy import MachineView, Observation
from jayul.decide.process_setpoints import (
    HELD,
    CostOnFork,
    SetpointWalk,
    free_setpoints,
    search_setpoints,
)
from jayul.plant import load_plant
from jayul.records import ActionKind, MachineState
from jayul.twin.process import ProcessTwin

TEP = Path(__file__).resolve().parents[2] / "examples" / "plants" / "tep.yaml"


def test_the_search_stays_inside_every_envelope_and_holds_the_product() -> None:
    plant = load_plant(TEP)
    objective = CostOnFork(ProcessTwin(plant), horizon_h=0.1, judge_h=0.05)
    best = search_setpoints(objective, budget=5)
    assert len(objective.evaluations) == 5
    for ev in [*objective.evaluations, best]:
        for (m, sp), v in ev.setpoints.items():
            env = plant.setpoint(m, sp).envelope
            assert env.low <= v <= env.high
            assert sp not in HELD
    assert {k for k in best.setpoints} == set(free_setpoints(plant))


def test_the_walk_steps_toward_targets_beyond_the_envelope_no_more_than_allowed() -> None:
    plant = load_plant(TEP)
    # targets outside the envelope (a stale result, a hand edit): the walk still steps by at
    # most max_step and the gate's interlock refuses what leaves the envelope
    walk = SetpointWalk({("reactor", "reactor_pressure"): 2900.0, ("feed", "ya"): 54.955})
    views = {
        m: MachineView(m, m, MachineState.RUNNING, {}, (),
                       setpoints={sp.id: sp.default for sp in plant.machine_type(m).setpoints})
        for m in plant.machine_ids
    }  # fmt: skip
    actions = walk.decide(plant, Observation(0, 0.0, views))
    assert len(actions) == 1  # ya is at its target already
    (a,) = actions
    assert a.kind is ActionKind.CHANGE_SETPOINT and a.params["setpoint"] == "reactor_pressure"
    assert a.params["value"] == 2705.0 + 25.0
    assert a.params["unit"] == "kPa"
