"""Which proposals ask for work a machine already has waiting or under way.

Verification runs outside the server's lock, so two proposals for one machine (a person in the
console and an agent, or the loop and a person) can both be verified and both reach the gate.
Without this check a person would see two requests for one maintenance, and at L3/L4 both could
run. The gate refuses the second while the first is open (pending or escalated), approved and
waiting for the gate to run it, or executing.

What counts as the same work (`work_key`):
- maintenance (`start_maintenance`): any maintenance on the same machine, whatever the task. A
  machine is taken down for one service at a time, and a person asked twice for one machine
  decides the same downtime twice; a second task waits until the first is decided.
- a setpoint change: the same machine and the same setpoint. Two pending changes of one
  setpoint would run in whichever order people approve them, the later silently undoing the
  earlier; a change of another setpoint of that machine is separate work, not a duplicate.
- a stop: any stop of the same machine (stopping it twice is one stop).
- a schedule change or an order release: the same machine and the same parameters only (these
  are plant-level planning steps; different ones are different work).
"""

from __future__ import annotations

from jayul.gate.approvals import Approval, ApprovalQueue
from jayul.records.events import Action, ActionKind

WorkKey = tuple[str, ...]

# a request in these states still stands for work the machine will get: waiting for a person,
# or approved and waiting for the gate's next tick to run it
STANDING = ("pending", "escalated", "approved")


def work_key(action: Action) -> WorkKey:
    """The work an action asks for, equal for two actions that are the same work (see above)."""
    if action.kind is ActionKind.START_MAINTENANCE or action.kind is ActionKind.STOP_MACHINE:
        return (action.kind.value, action.machine)
    if action.kind is ActionKind.CHANGE_SETPOINT:
        return (action.kind.value, action.machine, str(action.params.get("setpoint", "")))
    params = ",".join(f"{k}={v}" for k, v in sorted(action.params.items()))
    return (action.kind.value, action.machine, params)


def standing_request(queue: ApprovalQueue, action: Action, now: int) -> Approval | None:
    """The request still standing for the same work as `action`, or None. An escalated request
    past its deadline counts as expired already (the gate's next tick marks it so)."""
    key = work_key(action)
    for item in queue.requests_for(action.machine, STANDING):
        if item.status == "escalated" and now >= item.expires_at:
            continue
        if work_key(item.action) == key:
            return item
    return None


def duplicate_reason(item: Approval, kind: ActionKind) -> str:
    """Why the gate refuses a proposal that repeats `item`'s work."""
    what = "maintenance" if kind is ActionKind.START_MAINTENANCE else kind.value
    state = {
        "pending": "waits for a person's decision",
        "escalated": "waits for a person's decision (escalated)",
        "approved": "is approved and about to run",
    }.get(item.status, item.status)
    return (
        f"duplicate: {item.action.machine} already has approval request {item.id} for "
        f"{what} ({item.action.kind.value} {dict(item.action.params)}), which {state}; "
        "decide that one first"
    )
