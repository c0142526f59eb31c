"""Password hashing and the user store."""

from __future__ import annotations

import pytest

from jayul.govern.audit import AuditLog
from jayul.govern.db import connect
from jayul.server.users import Role, Sessions, UserStore, check_password, hash_password


def test_hash_is_salted_scrypt_and_checks() -> None:
    a, b = hash_password("correct horse"), hash_password("correct horse")
    assert a != b and a.startswith("scrypt$") and "correct" not in a
    assert check_password("correct horse", a)
    assert not check_password("wrong horse", a)
    assert not check_password("x", "garbage")


def test_store_rules() -> None:
    con = connect()
    store = UserStore(con, AuditLog(con))
    store.add("ada", Role.ADMIN, "long-enough", by="test")
    with pytest.raises(ValueError, match="already exists"):
        store.add("ada", Role.ADMIN, "long-enough", by="test")
    with pytest.raises(ValueError, match="at least"):
        store.add("bob", Role.VIEWER, "short", by="test")
    with pytest.raises(ValueError, match="role"):
        store.add("bob", "boss", "long-enough", by="test")
    with pytest.raises(ValueError, match="last admin"):
        store.remove("ada", by="test")
    assert store.authenticate("ada", "long-enough") is not None
    assert store.authenticate("ada", "nope-nope") is None
    assert store.authenticate("ghost", "long-enough") is None
    stored = con.execute("SELECT password FROM users").fetchall()[0][0]
    assert "long-enough" not in stored


def test_sessions_expire_and_close() -> None:
    sessions = Sessions(idle_s=0.0)
    con = connect()
    user = UserStore(con, AuditLog(con)).add("v", Role.VIEWER, "long-enough", by="t")
    s = sessions.open(user)
    assert sessions.get(s.token) is None  # idle timeout of zero
    sessions.idle_s = 60.0
    s = sessions.open(user)
    assert sessions.get(s.token) is not None
    sessions.close_user("v")
    assert sessions.get(s.token) is None
