"""The approval queue: who may approve what, timeouts and escalation.

A request waits as `pending` for the roles allowed to approve its action class. When it times
out it is `escalated` (the escalation role may now decide too, and the clock restarts); when
the escalation times out too it is `expired`. A timed-out request is never executed unless a
person approves it. An approved request is `approved` until the gate executes it (after the
interlock runs again) and then `executed`, `refused` or `failed`. Every step is audited.

Four eyes: whoever proposed an action may not approve it (`FourEyes`, on by default for every
action class at every level; it can be narrowed per action class and autonomy level). The
proposer is kept with each request and shown with it; a refused self-approval is audited.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from pathlib import Path

from jayul.gate.levels import AutonomyLevel
from jayul.govern.audit import AuditLog
from jayul.govern.db import Connection, as_connection
from jayul.records.events import Action, ActionKind, new_id
from jayul.records.timebase import NS_PER_H

SCHEMA = """
CREATE TABLE IF NOT EXISTS approvals (
    id VARCHAR PRIMARY KEY, action VARCHAR NOT NULL, machine VARCHAR NOT NULL,
    kind VARCHAR NOT NULL, requested_at BIGINT NOT NULL, expires_at BIGINT NOT NULL,
    roles VARCHAR NOT NULL, status VARCHAR NOT NULL, reason VARCHAR NOT NULL,
    decided_by VARCHAR, decided_role VARCHAR, decided_at BIGINT, note VARCHAR,
    escalations INTEGER NOT NULL);
ALTER TABLE approvals ADD COLUMN IF NOT EXISTS proposed_by VARCHAR;
ALTER TABLE approvals ADD COLUMN IF NOT EXISTS level INTEGER;
"""
_COLUMNS = (
    "id, action, machine, kind, requested_at, expires_at, roles, status, reason, "
    "decided_by, decided_role, decided_at, note, escalations, proposed_by, level"
)

APPROVER_ROLES: dict[ActionKind, frozenset[str]] = {
    ActionKind.START_MAINTENANCE: frozenset({"operator", "engineer"}),
    ActionKind.CHANGE_SCHEDULE: frozenset({"operator", "engineer"}),
    ActionKind.RELEASE_ORDER: frozenset({"operator", "engineer"}),
    ActionKind.CHANGE_SETPOINT: frozenset({"engineer"}),
    ActionKind.STOP_MACHINE: frozenset({"engineer"}),
}
ESCALATION_ROLE = "manager"
OPEN = ("pending", "escalated")


@dataclass(frozen=True)
class FourEyes:
    """Where the proposer of an action may not approve it: the action classes and the
    autonomy levels (at the time of the request) the rule covers. Default: everywhere."""

    kinds: frozenset[ActionKind] = frozenset(ActionKind)
    levels: frozenset[AutonomyLevel] = frozenset(AutonomyLevel)

    def applies(self, kind: ActionKind, level: AutonomyLevel | None) -> bool:
        return kind in self.kinds and (level is None or level in self.levels)


def same_person(proposer: str | None, name: str) -> bool:
    """True when `name` is who proposed (`proposer` is "user:<name>", "agent:<name>", or the
    name itself)."""
    if proposer is None:
        return False
    return proposer.removeprefix("user:").removeprefix("agent:") == name


@dataclass(frozen=True)
class Approval:
    """One request for a person's decision on an action."""

    id: str
    action: Action
    requested_at: int
    expires_at: int
    roles: frozenset[str]
    status: str
    reason: str
    decided_by: str | None = None
    decided_role: str | None = None
    decided_at: int | None = None
    note: str | None = None
    escalations: int = 0
    proposed_by: str | None = None  # who proposed: "user:<name>", "autopilot", ...
    level: AutonomyLevel | None = None  # the autonomy level when it was requested


class ApprovalQueue:
    """Approval requests in the `approvals` table of the plant database."""

    def __init__(
        self,
        db: str | Path | Connection,
        audit: AuditLog,
        timeout_ns: int = NS_PER_H,
        four_eyes: FourEyes | None = None,
    ) -> None:
        self.con = as_connection(db)
        self.audit = audit
        self.timeout_ns = timeout_ns
        self.four_eyes = four_eyes or FourEyes()
        self.con.execute(SCHEMA)

    def request(
        self,
        action: Action,
        reason: str,
        now: int,
        proposed_by: str | None = None,
        level: AutonomyLevel | None = None,
    ) -> Approval:
        """Queue `action` for approval by the roles of its class; audited."""
        item = Approval(
            new_id(),
            action,
            now,
            now + self.timeout_ns,
            APPROVER_ROLES[action.kind],
            "pending",
            reason,
            proposed_by=proposed_by,
            level=level,
        )
        self._store(item)
        self.audit.append(
            now,
            "gate",
            "approval_requested",
            action.machine,
            reason,
            {
                "approval": item.id,
                "action": action.id,
                "roles": item.roles,
                "expires_at": item.expires_at,
                "proposed_by": proposed_by,
            },
            durable=True,
        )
        return item

    def get(self, approval_id: str) -> Approval:
        rows = self.con.execute(f"SELECT {_COLUMNS} FROM approvals WHERE id = ?", [approval_id])
        found = rows.fetchall()
        if not found:
            raise KeyError(f"no approval request {approval_id!r}")
        return _from_row(found[0])

    def requests(self, statuses: tuple[str, ...] | None = None) -> list[Approval]:
        """Requests in the order they were made, optionally only some statuses."""
        sql = f"SELECT {_COLUMNS} FROM approvals"
        params: list[str] = []
        if statuses:
            sql += f" WHERE status IN ({', '.join('?' for _ in statuses)})"
            params = list(statuses)
        rows = self.con.execute(sql + " ORDER BY requested_at, id", params).fetchall()
        return [_from_row(r) for r in rows]

    def requests_for(self, machine: str, statuses: tuple[str, ...]) -> list[Approval]:
        """One machine's requests in some statuses, in the order they were made."""
        marks = ", ".join("?" for _ in statuses)
        rows = self.con.execute(
            f"SELECT {_COLUMNS} FROM approvals WHERE machine = ? AND status IN ({marks}) "
            "ORDER BY requested_at, id",
            [machine, *statuses],
        ).fetchall()
        return [_from_row(r) for r in rows]

    def count_open(self) -> int:
        rows = self.con.execute(
            "SELECT count(*) FROM approvals WHERE status IN ('pending', 'escalated')"
        ).fetchall()
        return int(rows[0][0])

    def decide(
        self, approval_id: str, approve: bool, by: str, role: str, now: int, note: str = ""
    ) -> Approval:
        """Approve or reject an open request; PermissionError for a role that may not."""
        self.expire(now)
        item = self.get(approval_id)
        if item.status not in OPEN:
            raise ValueError(f"approval {approval_id} is {item.status}, not open")
        if role not in item.roles:
            self.audit.append(
                now,
                by,
                "approval_denied",
                item.action.machine,
                f"role {role!r} may not decide {item.action.kind.value}",
                {"approval": item.id, "roles": item.roles},
                durable=True,
            )
            raise PermissionError(
                f"role {role!r} may not decide this request (allowed: {sorted(item.roles)})"
            )
        if (
            approve
            and same_person(item.proposed_by, by)
            and self.four_eyes.applies(item.action.kind, item.level)
        ):
            self.audit.append(
                now,
                by,
                "approval_denied",
                item.action.machine,
                "four eyes: the proposer may not approve their own proposal",
                {"approval": item.id, "proposed_by": item.proposed_by},
                durable=True,
            )
            raise PermissionError(
                f"{by} proposed this action and may not approve it too (four-eyes rule): "
                "another person must decide"
            )
        status = "approved" if approve else "rejected"
        item = replace(
            item, status=status, decided_by=by, decided_role=role, decided_at=now, note=note
        )
        self._store(item)
        self.audit.append(
            now,
            by,
            f"approval_{status}",
            item.action.machine,
            note or status,
            {
                "approval": item.id,
                "action": item.action.id,
                "role": role,
                "proposed_by": item.proposed_by,
            },
            durable=True,
        )
        return item

    def expire(self, now: int) -> list[Approval]:
        """Escalate timed-out pending requests and expire timed-out escalations; audited."""
        changed = []
        for item in self.requests(OPEN):
            if now < item.expires_at:
                continue
            if item.status == "pending":
                new = replace(
                    item,
                    status="escalated",
                    escalations=item.escalations + 1,
                    roles=item.roles | {ESCALATION_ROLE},
                    expires_at=now + self.timeout_ns,
                )
                why = "no decision before the timeout: escalated"
            else:
                new = replace(item, status="expired", decided_at=now)
                why = "no decision after escalation: expired, not executed"
            self._store(new)
            self.audit.append(
                now,
                "gate",
                f"approval_{new.status}",
                item.action.machine,
                why,
                {"approval": item.id, "action": item.action.id, "roles": new.roles},
            )
            changed.append(new)
        return changed

    def mark(self, approval_id: str, status: str, now: int, note: str) -> Approval:
        """Record what became of an approved request (executed, refused, failed)."""
        item = replace(self.get(approval_id), status=status, note=note)
        self._store(item)
        return item

    def _store(self, a: Approval) -> None:
        self.con.execute(
            f"INSERT OR REPLACE INTO approvals ({_COLUMNS}) VALUES "
            "(?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            [
                a.id,
                a.action.model_dump_json(),
                a.action.machine,
                a.action.kind.value,
                a.requested_at,
                a.expires_at,
                ",".join(sorted(a.roles)),
                a.status,
                a.reason,
                a.decided_by,
                a.decided_role,
                a.decided_at,
                a.note,
                a.escalations,
                a.proposed_by,
                None if a.level is None else int(a.level),
            ],
        )


def _from_row(r: tuple[object, ...]) -> Approval:
    return Approval(
        id=str(r[0]),
        action=Action.model_validate_json(str(r[1])),
        requested_at=int(str(r[4])),
        expires_at=int(str(r[5])),
        roles=frozenset(str(r[6]).split(",")),
        status=str(r[7]),
        reason=str(r[8]),
        decided_by=None if r[9] is None else str(r[9]),
        decided_role=None if r[10] is None else str(r[10]),
        decided_at=None if r[11] is None else int(str(r[11])),
        note=None if r[12] is None else str(r[12]),
        escalations=int(str(r[13])),
        proposed_by=None if r[14] is None else str(r[14]),
        level=None if r[15] is None else AutonomyLevel(int(str(r[15]))),
    )
