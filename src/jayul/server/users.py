"""Console users: names, roles and password hashes in the plant database, and login sessions.

Passwords are hashed with scrypt (memory-hard, in the standard library; n=2**14, r=8, p=1,
a 16-byte random salt per user), stored as ``scrypt$n$r$p$salt_hex$hash_hex`` so the cost can
be raised later without breaking stored hashes. Sessions are random 32-byte tokens kept in
memory (a restart logs everyone out) with an idle timeout.
"""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets
import threading
import time
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path

from jayul.govern.audit import AuditLog
from jayul.govern.db import Connection, as_connection
from jayul.records.timebase import utc_now_ns

SCHEMA = """
CREATE TABLE IF NOT EXISTS users (
    name VARCHAR PRIMARY KEY, role VARCHAR NOT NULL, password VARCHAR NOT NULL,
    created_at BIGINT NOT NULL, created_by VARCHAR NOT NULL);
"""
NAME_PATTERN = re.compile(r"^[A-Za-z0-9_.@-]{1,64}$")
MIN_PASSWORD = 8
_SCRYPT = {"n": 2**14, "r": 8, "p": 1}


class Role(StrEnum):
    """What a user may do; each role may do everything the roles before it may."""

    VIEWER = "viewer"  # read everything
    # + propose actions (an AI agent through `jayul mcp`); never approve, kill or set autonomy
    AGENT = "agent"
    OPERATOR = "operator"  # + approve or reject maintenance, propose actions, pull the kill
    ENGINEER = "engineer"  # + change autonomy, clear the kill switch, approve setpoint changes
    ADMIN = "admin"  # + manage users

    @property
    def rank(self) -> int:
        return list(Role).index(self)


def hash_password(password: str) -> str:
    """A self-describing scrypt hash of `password` with a fresh random salt."""
    salt = secrets.token_bytes(16)
    digest = hashlib.scrypt(password.encode(), salt=salt, maxmem=64 * 2**20, **_SCRYPT)
    return f"scrypt${_SCRYPT['n']}${_SCRYPT['r']}${_SCRYPT['p']}${salt.hex()}${digest.hex()}"


def check_password(password: str, stored: str) -> bool:
    """True when `password` matches the stored hash (constant-time comparison)."""
    try:
        algo, n, r, p, salt, digest = stored.split("$")
        if algo != "scrypt":
            return False
        got = hashlib.scrypt(
            password.encode(),
            salt=bytes.fromhex(salt),
            n=int(n),
            r=int(r),
            p=int(p),
            maxmem=64 * 2**20,
        )
    except (ValueError, TypeError):
        return False
    return hmac.compare_digest(got.hex(), digest)


@dataclass(frozen=True)
class User:
    name: str
    role: Role
    created_at: int
    created_by: str


class UserStore:
    """The `users` table; every change is audited with the acting user's name."""

    def __init__(self, db: str | Path | Connection, audit: AuditLog) -> None:
        self.con = as_connection(db)
        self.audit = audit
        self.con.execute(SCHEMA)

    def add(
        self, name: str, role: Role | str, password: str, by: str, now: int | None = None
    ) -> User:
        """Create a user; ValueError for a bad name, role, short password or a taken name.
        `now` is the plant clock (default: the wall clock)."""
        if not NAME_PATTERN.match(name):
            raise ValueError(f"user name {name!r}: use 1-64 letters, digits, _ . @ -")
        try:
            role = Role(role)
        except ValueError:
            raise ValueError(
                f"role {role!r}: expected one of {', '.join(r.value for r in Role)}"
            ) from None
        if len(password) < MIN_PASSWORD:
            raise ValueError(f"password: at least {MIN_PASSWORD} characters")
        if self.get(name) is not None:
            raise ValueError(f"user {name!r} already exists")
        now = utc_now_ns() if now is None else now
        self.con.execute(
            "INSERT INTO users VALUES (?, ?, ?, ?, ?)",
            [name, role.value, hash_password(password), now, by],
        )
        self.audit.append(
            now, by, "user_added", name, f"role {role.value}", {"role": role.value}, durable=True
        )
        return User(name, role, now, by)

    def remove(self, name: str, by: str, now: int | None = None) -> None:
        """Delete a user; KeyError if unknown; ValueError when it is the last admin."""
        user = self.get(name)
        if user is None:
            raise KeyError(f"no user {name!r}")
        admins = [u for u in self.list() if u.role is Role.ADMIN]
        if user.role is Role.ADMIN and len(admins) == 1:
            raise ValueError(f"{name!r} is the last admin; add another admin first")
        self.con.execute("DELETE FROM users WHERE name = ?", [name])
        when = utc_now_ns() if now is None else now
        self.audit.append(when, by, "user_removed", name, "removed", durable=True)

    def get(self, name: str) -> User | None:
        rows = self.con.execute(
            "SELECT name, role, created_at, created_by FROM users WHERE name = ?", [name]
        ).fetchall()
        return User(rows[0][0], Role(rows[0][1]), rows[0][2], rows[0][3]) if rows else None

    def list(self) -> list[User]:
        rows = self.con.execute(
            "SELECT name, role, created_at, created_by FROM users ORDER BY name"
        ).fetchall()
        return [User(r[0], Role(r[1]), r[2], r[3]) for r in rows]

    def password_hash(self, name: str) -> str | None:
        """The stored hash of `name`, None for an unknown user."""
        rows = self.con.execute("SELECT password FROM users WHERE name = ?", [name]).fetchall()
        return str(rows[0][0]) if rows else None

    def authenticate(self, name: str, password: str) -> User | None:
        """The user when the password matches, else None (same work for unknown names)."""
        stored = self.password_hash(name)
        ok = check_password(password, stored or DUMMY_HASH)
        return self.get(name) if ok and stored is not None else None


DUMMY_HASH = hash_password(secrets.token_hex(8))


@dataclass
class Session:
    token: str
    user: str
    role: Role
    last_seen: float
    opened: float = 0.0


class Sessions:
    """Login tokens in memory, dropped after `idle_s` without use, `max_age_s` after login
    whatever the use (a stolen token does not live for ever), or at logout."""

    def __init__(self, idle_s: float = 8 * 3600.0, max_age_s: float = 12 * 3600.0) -> None:
        self.idle_s = idle_s
        self.max_age_s = max_age_s
        self._by_token: dict[str, Session] = {}
        self._lock = threading.Lock()

    def open(self, user: User) -> Session:
        now = time.monotonic()
        s = Session(secrets.token_urlsafe(32), user.name, user.role, now, now)
        with self._lock:
            self._by_token[s.token] = s
        return s

    def get(self, token: str) -> Session | None:
        now = time.monotonic()
        with self._lock:
            s = self._by_token.get(token)
            if s is None:
                return None
            if now - s.last_seen > self.idle_s or now - s.opened > self.max_age_s:
                del self._by_token[token]
                return None
            s.last_seen = now
            return s

    def close(self, token: str) -> None:
        with self._lock:
            self._by_token.pop(token, None)

    def close_user(self, name: str) -> None:
        """Log a removed user out everywhere."""
        with self._lock:
            for token in [t for t, s in self._by_token.items() if s.user == name]:
                del self._by_token[token]
