"""Actions through the verifier and the gate: the only way the autopilot touches the plant
when a gate is configured.

For each proposal: the verifier tries it on forked twins (against doing nothing), the verdict
goes to the gate with the proposer's identity, and the gate decides (interlock, origin, rate
limit, verdict, agreement, uncertainty, autonomy level, approvals). Approved requests are
carried out at the next tick.
"""

from __future__ import annotations

from jayul.gate import Gate, GateContext, OutcomeStatus
from jayul.records import Action, ActionKind, Event, EventKind
from jayul.twin import Twin
from jayul.verify import Verifier


class GatedExecutor:
    """An `ActionExecutor` that verifies and gates every action before the twin sees it."""

    def __init__(
        self,
        twin: Twin,
        gate: Gate,
        verifier: Verifier | None = None,
        proposer: str = "autopilot",
    ) -> None:
        self.twin = twin
        self.gate = gate
        self.verifier = verifier
        self.proposer = proposer
        self.events: list[Event] = []  # verdicts, for the historian

    def execute(self, action: Action) -> bool:
        verdict: bool | None = None
        reason = ""
        # While the kill is on nothing can run: trying the action on forked twins would only
        # spend the machine's time at the moment a person stopped everything.
        verify = self.verifier is not None and not self.gate.autonomy.killed
        if verify and action.kind is ActionKind.START_MAINTENANCE:
            assert self.verifier is not None
            v = self.verifier.verify(self.twin, [(0.0, action)])
            verdict, reason = v.gate_verdict, v.reason  # None: an untrusted twin
            self.events.append(
                Event(
                    time=self.twin.time_ns(),
                    machine=action.machine,
                    kind=EventKind.VERDICT,
                    payload={"action_id": action.id, **v.summary()},
                )
            )
            self.gate.audit.append_event(self.events[-1], "verifier")
        ctx = GateContext(proposer=self.proposer, verdict=verdict, verdict_reason=reason)
        out = self.gate.propose(action, ctx, self.twin.time_ns())
        return out.status is OutcomeStatus.EXECUTED

    def record(self, events: list[Event]) -> None:
        """Put the monitor's alerts in the audit trail beside the decisions they led to."""
        for event in events:
            if event.kind is EventKind.ALERT:
                self.gate.audit.append_event(event, "health-monitor")

    def on_tick(self) -> None:
        """Expire or escalate timed-out approvals; carry out those a person approved."""
        self.gate.tick(self.twin.time_ns())

    def drain_events(self) -> list[Event]:
        out, self.events = self.events, []
        return out
