"""The keyed audit trail: a record rewritten and the chain recomputed (head included) is
caught with the key; checkpoints catch a rollback; key files are handled safely."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from jayul.govern.audit import AuditLog, verify_database
from jayul.govern.audit_chain import GENESIS, make_record
from jayul.govern.audit_file import verify_trail_file
from jayul.govern.audit_key import (
    KEY_ENV,
    KEY_FILE_ENV,
    AuditKeyError,
    AuditKeyring,
    default_key_path,
    load_keyring,
    resolve_keyring,
)
from jayul.govern.audit_proof import read_checkpoints
from jayul.govern.db import Connection, connect


@pytest.fixture(autouse=True)
def _no_key_env(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(KEY_ENV, raising=False)
    monkeypatch.delenv(KEY_FILE_ENV, raising=False)
    monkeypatch.delenv("JAYUL_AUDIT_ANCHOR", raising=False)


def fill(log: AuditLog, n: int) -> None:
    for i in range(n):
        log.append(1000 * i, "gate", "action_refused", f"m{i % 3}", f"reason {i}", {"i": i})
    log.flush()


def rewrite_and_rehash(con: Connection, seq: int, reason: str) -> None:
    """What a forger with write access but no key does: change one record, recompute every
    hash after it and the head, so the bare chain verifies again."""
    rows = con.execute(
        "SELECT seq, time, actor, kind, subject, reason, payload FROM audit_log ORDER BY seq"
    ).fetchall()
    prev = GENESIS
    for row in rows:
        s, t, actor, kind, subject, why, payload = row
        if s == seq:
            why = reason
        rec = make_record(s, t, actor, kind, subject, why, json.loads(payload), prev)
        con.execute(
            "UPDATE audit_log SET reason = ?, prev = ?, hash = ? WHERE seq = ?",
            [rec.reason, rec.prev, rec.hash, s],
        )
        prev = rec.hash
    con.execute("UPDATE audit_head SET count = ?, hash = ? WHERE id = 0", [len(rows), prev])


def test_rewrite_with_recomputed_chain_is_detected(tmp_path: Path) -> None:
    db = tmp_path / "p.duckdb"
    con = connect(db)
    log = AuditLog(con)
    fill(log, 50)
    assert log.verify().proven
    rewrite_and_rehash(con, 17, "nothing happened here")
    report = verify_database(con, resolve_keyring(str(db)))
    assert not report.ok
    assert report.first_broken == 17 and report.kind == "forged"
    # the bare chain alone (no key) cannot tell: that is why the key is needed
    assert verify_database(con).ok
    con.close()


def test_mac_copied_from_elsewhere_or_stripped_is_detected(tmp_path: Path) -> None:
    con = connect(tmp_path / "p.duckdb")
    log = AuditLog(con)
    fill(log, 20)
    con.execute("UPDATE audit_log SET mac = (SELECT mac FROM audit_log WHERE seq = 3) WHERE seq=5")
    assert verify_database(con, log.keyring).first_broken == 5
    con.execute("UPDATE audit_log SET mac = NULL WHERE seq >= 5")
    report = verify_database(con, log.keyring)
    assert not report.ok and report.first_broken == 5
    con.close()


def test_head_cut_and_rewritten_is_detected(tmp_path: Path) -> None:
    con = connect(tmp_path / "p.duckdb")
    log = AuditLog(con, checkpoint_every=0)
    fill(log, 20)
    last = con.execute("SELECT hash FROM audit_log WHERE seq = 14").fetchall()[0][0]
    con.execute("DELETE FROM audit_log WHERE seq >= 15")
    con.execute("UPDATE audit_head SET count = 15, hash = ? WHERE id = 0", [last])
    report = verify_database(con, log.keyring)
    assert not report.ok and report.kind == "forged"
    con.close()


def test_checkpoint_file_catches_a_rolled_back_database(tmp_path: Path) -> None:
    db = tmp_path / "p.duckdb"
    anchor = tmp_path / "elsewhere" / "plant.checkpoints"
    con = connect(db)
    log = AuditLog(con, flush_every=5, checkpoint_every=10, anchor=anchor)
    fill(log, 25)
    log.checkpoint()
    cps = read_checkpoints(anchor)
    assert [c.count for c in cps] == [10, 20, 25]
    # a consistent older copy: records, head and stored checkpoints all rolled back to 12
    last = con.execute("SELECT hash FROM audit_log WHERE seq = 11").fetchall()[0][0]
    con.execute("DELETE FROM audit_log WHERE seq >= 12")
    con.execute("DELETE FROM audit_checkpoints WHERE count > 12")
    ring = log.keyring
    assert ring is not None
    from jayul.govern.audit_key import head_text

    con.execute(
        "UPDATE audit_head SET count = 12, hash = ?, mac = ? WHERE id = 0",
        [last, ring.sign(head_text(12, last))],
    )
    assert verify_database(con, ring).ok  # nothing inside the database can tell
    report = verify_database(con, ring, cps)
    assert not report.ok and report.kind == "deleted"
    con.close()


def test_unkeyed_trail_says_what_it_cannot_prove(tmp_path: Path) -> None:
    db = tmp_path / "old.duckdb"
    con = connect(db)
    fill(AuditLog(con, keyring=None), 10)  # written before jayul had keys
    log = AuditLog(con)  # the upgraded writer signs what it adds
    fill(log, 5)
    report = log.verify()
    assert report.ok and not report.proven and report.unkeyed == 10
    assert "NOT proven" in report.summary()
    cp = log.checkpoint()
    assert cp.count == 15
    report = log.verify()
    assert report.proven and "unchanged since" in report.summary()
    con.close()


def test_exported_file_with_macs(tmp_path: Path) -> None:
    con = connect(tmp_path / "p.duckdb")
    log = AuditLog(con)
    fill(log, 30)
    out = tmp_path / "trail.jsonl"
    log.export(out)
    assert verify_trail_file(out, log.keyring).proven
    assert verify_trail_file(out).ok  # a third party without the key still checks the chain
    # a well-formed rewrite: same MAC kept, content changed, rest of the chain recomputed
    rewritten = [json.loads(x) for x in out.read_text().splitlines()[:-1]]
    rewritten[7]["reason"] = "forged"
    prev = GENESIS
    text = []
    for r in rewritten:
        new = make_record(
            r["seq"], r["time"], r["actor"], r["kind"], r["subject"], r["reason"], r["payload"],
            prev, lambda _t, mac=r["mac"]: str(mac),
        )  # fmt: skip
        prev = new.hash
        text.append(new.line())
    trailer = json.loads(out.read_text().splitlines()[-1])
    trailer["head"] = prev
    text.append(json.dumps(trailer, sort_keys=True, separators=(",", ":")))
    out.write_text("\n".join(text) + "\n")
    assert verify_trail_file(out).ok  # chain-only: fooled
    report = verify_trail_file(out, log.keyring)
    assert not report.ok and report.first_broken == 7
    con.close()


def test_key_file_created_0600_rotated_and_checked(tmp_path: Path) -> None:
    db = tmp_path / "p.duckdb"
    con = connect(db)
    log = AuditLog(con)
    fill(log, 5)
    path = default_key_path(db)
    assert path.exists() and (path.stat().st_mode & 0o777) == 0o600
    ring = load_keyring(path)
    old = ring.current
    ring.rotate()
    ring.save()
    log2 = AuditLog(con)  # picks up the rotated key
    fill(log2, 5)
    report = log2.verify()
    assert report.proven
    macs = {m.split(":")[0] for (m,) in con.execute("SELECT mac FROM audit_log").fetchall()}
    assert macs == {old, ring.current}
    os.chmod(path, 0o644)
    with pytest.raises(AuditKeyError, match="chmod 600"):
        load_keyring(path)
    os.chmod(path, 0o600)
    path.write_text("{}")
    with pytest.raises(AuditKeyError, match="not a jayul audit keyring"):
        load_keyring(path)
    con.close()


def test_key_from_environment(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    a, b = AuditKeyring.generate(), AuditKeyring.generate()
    hex_a, hex_b = a.keys[a.current].hex(), b.keys[b.current].hex()
    monkeypatch.setenv(KEY_ENV, f"{hex_b},{hex_a}")
    ring = resolve_keyring(str(tmp_path / "x.duckdb"))
    assert ring is not None and ring.current == b.current and a.current in ring.keys
    assert not default_key_path(tmp_path / "x.duckdb").exists()
    monkeypatch.setenv(KEY_ENV, "zz")
    with pytest.raises(AuditKeyError, match=KEY_ENV):
        resolve_keyring(None)
