"""Autonomy settings per plant, line and action class, and the kill switch.

Scopes, most specific first: `line:<id>/action:<kind>`, `action:<kind>`, `line:<id>`,
`plant`. The most specific setting wins. The kill switch forces L0 everywhere until an
engineer clears it. Settings live in the `autonomy` table of the plant database so the command
line and a running autopilot share them; every change is audited.

DuckDB lets one process write a file, so while a demo holds the database `jayul kill` cannot
reach the table. It then writes a kill file next to the database (`<db>.kill`); the gate looks
for it before every proposal and at every tick, engages the kill switch (audited) and removes
the file. Pulling the kill switch never waits for a lock.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

from jayul.govern.audit import AuditLog
from jayul.govern.db import Connection, as_connection
from jayul.records.autonomy import AutonomyLevel
from jayul.records.events import ActionKind

SCHEMA = """
CREATE TABLE IF NOT EXISTS autonomy (
    scope VARCHAR PRIMARY KEY, level INTEGER NOT NULL, set_by VARCHAR NOT NULL,
    set_at BIGINT NOT NULL, reason VARCHAR NOT NULL);
"""
KILL_SCOPE = "kill"
CLEAR_KILL_ROLES = frozenset({"engineer"})


def scope_name(line: str | None = None, kind: ActionKind | str | None = None) -> str:
    """The scope key for a plant-wide (both None), line, action-class or line+class setting."""
    parts = []
    if line:
        parts.append(f"line:{line}")
    if kind:
        parts.append(f"action:{ActionKind(kind).value}")
    return "/".join(parts) or "plant"


def kill_file_for(db: str | Path) -> Path:
    """Where `jayul kill` leaves word for a gate that holds the database `db`."""
    return Path(f"{db}.kill")


def write_kill_file(path: Path, by: str, now: int, reason: str) -> None:
    path.write_text(json.dumps({"by": by, "at": now, "reason": reason}))


@dataclass(frozen=True)
class Setting:
    scope: str
    level: AutonomyLevel
    set_by: str
    set_at: int
    reason: str


class AutonomyConfig:
    """Autonomy levels of one plant, read and written through its database."""

    def __init__(
        self,
        db: str | Path | Connection,
        audit: AuditLog,
        default: AutonomyLevel = AutonomyLevel.L1,
        kill_file: Path | None = None,
    ) -> None:
        self.con = as_connection(db)
        if kill_file is None and isinstance(db, str | Path) and str(db) != ":memory:":
            kill_file = kill_file_for(db)
        self.kill_file = kill_file
        self.audit = audit
        self.default = default
        self.con.execute(SCHEMA)
        self._cache: dict[str, Setting] | None = None

    def settings(self) -> dict[str, Setting]:
        """Every stored setting by scope (the kill switch under "kill")."""
        if self._cache is None:
            rows = self.con.execute("SELECT scope, level, set_by, set_at, reason FROM autonomy")
            self._cache = {
                r[0]: Setting(r[0], AutonomyLevel(r[1]), r[2], r[3], r[4]) for r in rows.fetchall()
            }
        return self._cache

    def reload(self) -> None:
        """Forget the cached settings (another process may have changed them)."""
        self._cache = None

    @property
    def killed(self) -> bool:
        return KILL_SCOPE in self.settings()

    def level_for(self, line: str | None, kind: ActionKind) -> AutonomyLevel:
        """The level in force for an action of `kind` on `line` (L0 while the kill is on)."""
        found = self.settings()
        if KILL_SCOPE in found:
            return AutonomyLevel.L0
        for scope in (scope_name(line, kind), scope_name(None, kind), scope_name(line, None)):
            if scope in found and scope != "plant":
                return found[scope].level
        return found["plant"].level if "plant" in found else self.default

    def set_level(
        self,
        level: AutonomyLevel,
        by: str,
        now: int,
        reason: str,
        line: str | None = None,
        kind: ActionKind | None = None,
    ) -> str:
        """Set the level of a scope; audited. Returns the scope key."""
        scope = scope_name(line, kind)
        before = self.settings().get(scope)
        self._store(Setting(scope, level, by, now, reason))
        self.audit.append(
            now,
            by,
            "autonomy",
            scope,
            reason,
            {"level": level.name, "before": before.level.name if before else None},
        )
        return scope

    def start_level(self, level: AutonomyLevel, by: str, now: int, reason: str) -> Setting:
        """The plant-wide level a process starts with: `level` only when none is stored yet.

        A level stored earlier (`jayul autonomy set L0`, the console) and the kill switch
        outlive restarts: a restart must never raise autonomy that a person lowered. Returns
        the plant setting in force (the kill switch, when it is on)."""
        found = self.settings()
        if KILL_SCOPE in found:
            return found[KILL_SCOPE]
        if "plant" not in found:
            self.set_level(level, by, now, reason)
        return self.settings()["plant"]

    def clear_level(self, by: str, now: int, reason: str, scope: str) -> None:
        """Remove a line or class override (the plant setting cannot be removed, only set)."""
        if scope in ("plant", KILL_SCOPE):
            raise ValueError(f"scope {scope!r} cannot be cleared this way")
        self.con.execute("DELETE FROM autonomy WHERE scope = ?", [scope])
        self._cache = None
        self.audit.append(now, by, "autonomy", scope, reason, {"level": None})

    def kill(self, by: str, now: int, reason: str) -> None:
        """Drop the whole plant to L0 at once; audited."""
        self._store(Setting(KILL_SCOPE, AutonomyLevel.L0, by, now, reason))
        self.audit.append(now, by, "kill", "plant", reason, {"engaged": True})

    def clear_kill(self, by: str, role: str, now: int, reason: str) -> None:
        """Release the kill switch; only an engineer may. Audited (refusals too)."""
        if role not in CLEAR_KILL_ROLES:
            self.audit.append(now, by, "kill_clear_refused", "plant", f"role {role!r} may not")
            raise PermissionError(f"role {role!r} may not clear the kill switch (engineer only)")
        self.con.execute("DELETE FROM autonomy WHERE scope = ?", [KILL_SCOPE])
        self._cache = None
        self.audit.append(now, by, "kill", "plant", reason, {"engaged": False, "role": role})

    def check_kill_file(self, now: int) -> bool:
        """Engage the kill switch if a kill file is waiting (then remove it); True if so."""
        if self.kill_file is None or not self.kill_file.exists():
            return False
        try:
            note = json.loads(self.kill_file.read_text())
            by, reason = str(note["by"]), str(note["reason"])
        except (OSError, ValueError, KeyError, TypeError):
            by, reason = "unknown", "unreadable kill file"  # still a kill: fail safe
        self.kill(by, now, f"{reason} (via kill file)")
        self.kill_file.unlink(missing_ok=True)
        return True

    def _store(self, s: Setting) -> None:
        self.con.execute(
            "INSERT OR REPLACE INTO autonomy VALUES (?, ?, ?, ?, ?)",
            [s.scope, int(s.level), s.set_by, s.set_at, s.reason],
        )
        self._cache = None
