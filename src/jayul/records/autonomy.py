"""Autonomy levels: how far jayul may act on its own (see docs/autonomy.md).

- L0 monitor: watch and record; nothing is proposed to anyone, nothing acts.
- L1 advise: proposals are shown to people and recorded; nothing acts.
- L2 approve: an action runs only after a person with the right role approves it.
- L3 supervised: actions inside the envelope run alone; exceptions (no twin verdict,
  disagreeing checks on a critical action, high uncertainty, critical risk) go to a person.
- L4 autonomous: actions run alone; only high uncertainty, a missing verdict or disagreeing
  checks still go to a person.

Whatever the level, the safe-envelope interlock runs first and cannot be switched off.

The level is a record, not gate machinery: the gate acts on it and governance (risk scorecards,
assessments) names the level a model may serve at, so it sits below both. `jayul.gate` re-exports
it.
"""

from __future__ import annotations

from enum import IntEnum


class AutonomyLevel(IntEnum):
    L0 = 0
    L1 = 1
    L2 = 2
    L3 = 3
    L4 = 4

    @property
    def label(self) -> str:
        return _LABELS[self]

    @classmethod
    def parse(cls, text: str | int) -> AutonomyLevel:
        """'L3', 'l3' or 3 -> L3; ValueError naming the accepted forms otherwise."""
        raw = str(text).strip().upper().removeprefix("L")
        if raw.isdigit() and int(raw) in range(5):
            return cls(int(raw))
        raise ValueError(f"autonomy level {text!r}: expected one of L0, L1, L2, L3, L4")


_LABELS = {
    AutonomyLevel.L0: "monitor only",
    AutonomyLevel.L1: "advise",
    AutonomyLevel.L2: "act after a person approves",
    AutonomyLevel.L3: "act alone within the envelope, escalate exceptions",
    AutonomyLevel.L4: "act alone",
}
