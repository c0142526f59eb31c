"""Who may see the fleet console: the operator console's users, sessions and login throttle
(jayul.server), over a jayul database of the centre's own (`jayul fleet serve --users`).

The fleet app mounts the operator console's `/api/login`, `/api/logout`, `/api/me` and user
management routes unchanged; they read `app.state.live`, which is a `FleetAuth` here: the
subset of the operator console's live state those routes use.
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

from jayul.govern.audit import AuditLog
from jayul.govern.db import connect
from jayul.server.throttle import LoginThrottle
from jayul.server.users import Role, Sessions, UserStore


class WallClock:
    """The centre's clock is the wall clock (the operator console's is its plant's)."""

    def time_ns(self) -> int:
        return time.time_ns()


@dataclass
class FleetAuth:
    users: UserStore
    audit: AuditLog
    lock: threading.Lock = field(default_factory=threading.Lock)
    sessions: Sessions = field(default_factory=Sessions)
    login_throttle: LoginThrottle = field(default_factory=LoginThrottle)
    client_throttle: LoginThrottle = field(default_factory=lambda: LoginThrottle(max_failures=30))
    port: WallClock = field(default_factory=WallClock)


def open_fleet_auth(db: Path, admin_password: str | None = None) -> FleetAuth:
    """The users of `db` (created when missing). With `admin_password` and no user yet, an
    `admin` is added, as `jayul serve --admin-password` does; ValueError when it is too short
    or nobody could log in."""
    con = connect(db)
    audit = AuditLog(con)
    users = UserStore(con, audit)
    if not users.list():
        if admin_password is None:
            raise ValueError(
                f"{db} has no users: nobody could log in to the fleet console "
                f"(give --admin-password once, or add users with jayul users add --db {db})"
            )
        users.add("admin", Role.ADMIN, admin_password, by="jayul fleet serve")
    return FleetAuth(users, audit)
