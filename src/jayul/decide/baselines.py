"""The three classic maintenance policies, as tuned references for every benchmark.

- reactive: repair on failure only (the twin repairs a failed machine by itself);
- preventive: maintain each failure mode after a fixed number of operating hours, one interval
  per machine type and failure mode;
- condition-based: maintain when the health monitor's indicator crosses a threshold, restoring
  the failure mode its explanation points at.
"""

from __future__ import annotations

from collections.abc import Mapping

from jayul.decide.policy import Observation, cheapest_action_for
from jayul.plant.model import Plant
from jayul.records import Action, ActionKind, RiskClass


def _maintain(obs: Observation, machine: str, action_id: str, origin: str, why: str) -> Action:
    return Action(
        time=obs.now_ns,
        machine=machine,
        kind=ActionKind.START_MAINTENANCE,
        params={"action": action_id},
        origin=origin,
        expected_effect=why,
        risk=RiskClass.MEDIUM,
    )


def parse_intervals(raw: Mapping[str, float]) -> dict[tuple[str, str], float]:
    """Intervals keyed "machine type/failure mode" (as JSON stores them) as pairs."""
    out = {}
    for key, hours in raw.items():
        machine_type, _, mode = key.partition("/")
        out[(machine_type, mode)] = float(hours)
    return out


class Reactive:
    """Do nothing until a machine fails; the corrective repair follows the failure."""

    name = "reactive"

    def decide(self, plant: Plant, obs: Observation) -> list[Action]:
        return []


class Preventive:
    """Maintain a failure mode every `intervals[(machine type, mode)]` operating hours."""

    name = "preventive"

    def __init__(self, intervals: Mapping[tuple[str, str], float]) -> None:
        self.intervals = dict(intervals)

    def decide(self, plant: Plant, obs: Observation) -> list[Action]:
        actions = []
        for m in obs.machines.values():
            if m.status == "down" or m.pending_maintenance:
                continue
            for mode, hours in m.run_hours_since.items():
                interval = self.intervals.get((m.type, mode))
                if interval is not None and hours >= interval:
                    action = cheapest_action_for(plant, m.id, mode)
                    actions.append(
                        _maintain(
                            obs,
                            m.id,
                            action.id,
                            self.name,
                            f"{mode}: {hours:.0f} operating hours >= interval {interval:.0f}",
                        )
                    )
                    break
        return actions


class ConditionBased:
    """Maintain when the monitor's indicator reaches `threshold` (1 = the alarm level)."""

    name = "condition"

    def __init__(self, threshold: float = 1.0) -> None:
        self.threshold = threshold

    def decide(self, plant: Plant, obs: Observation) -> list[Action]:
        actions = []
        for m in obs.machines.values():
            if m.status == "down" or m.pending_maintenance or m.indicator is None:
                continue
            if m.indicator >= self.threshold and m.suspect_mode is not None:
                action = cheapest_action_for(plant, m.id, m.suspect_mode)
                actions.append(
                    _maintain(
                        obs,
                        m.id,
                        action.id,
                        self.name,
                        f"health indicator {m.indicator:.2f} >= {self.threshold:.2f}, "
                        f"signals point at {m.suspect_mode}",
                    )
                )
        return actions
