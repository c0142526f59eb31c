"""A person's decision on an approval request as a plant event, for the historian.

The gate's audit trail holds every decision already; the historian holds what happened on the
plant (samples, alerts, actions, maintenance), and the history explorer, `jayul query events`
and the exports read it. A decision recorded there too shows who approved or rejected what, and
when, beside the alert and the action it was about.
"""

from __future__ import annotations

from jayul.gate.approvals import Approval
from jayul.gate.context import GateOutcome
from jayul.records.events import Event, EventKind


def approval_event(
    item: Approval, approved: bool, note: str, outcome: GateOutcome | None = None
) -> Event:
    """The `approval` event of a decided request: the person's `note` (the request's own note
    becomes the gate's outcome once an approved action runs), and `outcome`, what the gate
    did after an approval. Its id is derived from the request and the decision, so recording
    it twice stores it once."""
    if item.decided_at is None or item.decided_by is None:
        raise ValueError(f"approval {item.id} is not decided yet ({item.status})")
    decision = "approved" if approved else "rejected"
    action = item.action
    what = f"{action.kind.value} on {action.machine}"
    reason = f"{decision} by {item.decided_by} ({item.decided_role}): {what}"
    if note:
        reason += f": {note}"
    if outcome is not None:
        reason += f" -> {outcome.status.value}"
    return Event(
        id=f"approval-{item.id}-{decision}",
        time=item.decided_at,
        machine=action.machine,
        kind=EventKind.APPROVAL,
        payload={
            "reason": reason,
            "approval": item.id,
            "decision": decision,
            "by": item.decided_by,
            "role": item.decided_role,
            "note": note,
            "action_id": action.id,
            "action": action.kind.value,
            "params": dict(action.params),
            "proposed_by": item.proposed_by,
            "outcome": outcome.status.value if outcome is not None else None,
        },
    )
