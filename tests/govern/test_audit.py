"""The audit trail: canonical records, the chain, tamper detection in the database and files."""

from __future__ import annotations

import json
import math
import random
from pathlib import Path

import pytest

from jayul.govern.audit import AuditLog, verify_database
from jayul.govern.audit_chain import GENESIS, canonical, digest
from jayul.govern.audit_file import verify_trail_file, verify_trail_text
from jayul.govern.audit_key import resolve_keyring
from jayul.govern.db import connect
from jayul.records.events import Alert, SignalContribution

N = 300
KEY = resolve_keyring(None)  # the key of in-memory trails in this process


def filled(db: str | Path = ":memory:", n: int = N) -> AuditLog:
    log = AuditLog(db, flush_every=64)
    for i in range(n):
        log.append(
            1000 * i,
            "gate",
            ["action_executed", "action_refused"][i % 2],
            f"m{i % 5}",
            f"reason {i} «ü»",
            {"i": i, "x": i / 7, "bad": math.nan, "nested": {"k": [i]}},
        )
    log.flush()
    return log


def test_records_are_canonical_json_and_chained() -> None:
    log = filled(n=3)
    recs = log.records()
    assert recs[0].prev == GENESIS and recs[1].prev == recs[0].hash
    for r in recs:
        full = json.loads(r.line())
        assert canonical(full) == r.line()
        body = {k: v for k, v in full.items() if k not in ("hash", "mac")}
        assert digest(canonical(body)) == r.hash  # checkable with json + sha256 alone
    assert recs[0].data()["bad"] == "nan"


def test_append_continues_the_chain_after_reopening(tmp_path: Path) -> None:
    db = tmp_path / "p.duckdb"
    con = connect(db)
    filled(con, 10).close()
    con.close()
    con = connect(db)
    log = AuditLog(con)
    assert log.count == 10
    log.append(1, "t", "note")
    assert log.verify().ok and log.verify().records == 11
    con.close()


def test_events_are_recorded() -> None:
    log = AuditLog()
    alert = Alert(
        time=5,
        machine="pump1",
        detector="iforest",
        score=3.0,
        threshold=1.0,
        contributions=[SignalContribution(signal="vib_rms", share=1.0, direction=1, z=4.2)],
    )
    rec = log.append_event(alert.to_event(), "detector:iforest")
    assert rec.kind == "alert" and "vib_rms" in rec.reason and rec.data()["event_id"] == alert.id


@pytest.mark.parametrize(
    ("sql", "kind", "at"),
    [
        ("UPDATE audit_log SET reason = 'nothing to see' WHERE seq = 100", "changed", 100),
        ("UPDATE audit_log SET time = time + 1 WHERE seq = 0", "changed", 0),
        ("UPDATE audit_log SET payload = '{\"i\":7}' WHERE seq = 7", "changed", 7),
        ("UPDATE audit_log SET hash = repeat('a', 64) WHERE seq = 50", "changed", 50),
        ("DELETE FROM audit_log WHERE seq = 42", "deleted", 42),
        ("DELETE FROM audit_log WHERE seq >= 290", "deleted", 290),
        (
            "UPDATE audit_log SET seq = CASE seq WHEN 10 THEN 11 ELSE 10 END WHERE seq IN (10, 11)",
            "reordered",
            10,
        ),
    ],
)
def test_database_tampering_is_detected(sql: str, kind: str, at: int) -> None:
    log = filled()
    assert log.verify().ok
    log.con.execute(sql)
    report = verify_database(log.con)
    assert not report.ok
    assert (report.kind, report.first_broken) == (kind, at), report


def test_rewritten_and_rehashed_record_breaks_the_next_link() -> None:
    log = filled()
    r = log.records(since=20, limit=1)[0]
    from jayul.govern.audit_chain import make_record

    forged = make_record(r.seq, r.time, r.actor, r.kind, r.subject, "forged", {}, r.prev)
    log.con.execute(
        "UPDATE audit_log SET reason = ?, payload = ?, hash = ? WHERE seq = 20",
        [forged.reason, forged.payload, forged.hash],
    )
    report = verify_database(log.con)
    assert (report.ok, report.kind, report.first_broken) == (False, "changed", 20)


def test_truncation_is_caught_by_the_head() -> None:
    log = filled()
    log.con.execute(f"DELETE FROM audit_log WHERE seq = {N - 1}")
    report = verify_database(log.con)
    assert (report.kind, report.first_broken) == ("deleted", N - 1)


def exported(tmp_path: Path) -> str:
    path = tmp_path / "trail.jsonl"
    filled().export(path)
    assert verify_trail_file(path).ok
    return path.read_text(encoding="utf-8")


def test_every_single_byte_change_of_a_line_is_detected(tmp_path: Path) -> None:
    text = exported(tmp_path)
    lines = text.split("\n")
    line = lines[37]
    start = sum(len(x) + 1 for x in lines[:37])
    for offset in range(len(line) + 1):  # every byte of the record and its newline
        pos = start + offset
        for new in {"0", "1", "e", "E", " ", "\n", '"', chr(ord(text[pos]) ^ 1)} - {text[pos]}:
            tampered = text[:pos] + new + text[pos + 1 :]
            assert not verify_trail_text(tampered, KEY).ok, (offset, new)


def test_random_byte_changes_anywhere_are_detected(tmp_path: Path) -> None:
    data = exported(tmp_path).encode()
    rng = random.Random(7)
    path = tmp_path / "t.jsonl"
    for _ in range(200):
        pos = rng.randrange(len(data))
        b = bytes([(data[pos] + rng.randrange(1, 256)) % 256])
        path.write_bytes(data[:pos] + b + data[pos + 1 :])
        assert not verify_trail_file(path, KEY).ok


def test_file_deletions_swaps_insertions(tmp_path: Path) -> None:
    lines = exported(tmp_path).split("\n")[:-1]  # records + trailer
    records, trailer = lines[:-1], lines[-1]

    def check(recs: list[str], tr: str = trailer) -> tuple[str | None, int | None]:
        r = verify_trail_text("\n".join([*recs, tr]) + "\n")
        assert not r.ok
        return r.kind, r.first_broken

    assert check(records[:5] + records[6:]) == ("deleted", 5)
    assert check(records[:-1]) == ("deleted", N - 1)
    assert check(records[1:]) == ("deleted", 0)
    swapped = list(records)
    swapped[8], swapped[9] = swapped[9], swapped[8]
    assert check(swapped) == ("reordered", 8)
    moved = list(records)
    moved.insert(200, moved.pop(3))
    assert check(moved) == ("reordered", 3)
    assert check([*records[:10], records[9], *records[10:]]) == ("inserted", 10)
    assert check([*records, records[-1]]) == ("inserted", N)
    r = verify_trail_text("\n".join(records) + "\n")  # trailer removed
    assert (r.ok, r.kind) == (False, "deleted")


def test_unreadable_file_gives_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="cannot read"):
        verify_trail_file(tmp_path / "missing.jsonl")
    empty = tmp_path / "empty.jsonl"
    empty.write_text("")
    with pytest.raises(ValueError, match="empty"):
        verify_trail_file(empty)


def test_standalone_verifier(tmp_path: Path) -> None:
    from jayul.govern.verify_trail import main

    path = tmp_path / "trail.jsonl"
    log = filled(n=20)
    log.export(path)
    assert main([str(path)]) == 0
    assert main([str(path), log.head]) == 0
    assert main([str(path), "f" * 64]) == 1
    assert main([str(tmp_path / "missing")]) == 2
    assert main([]) == 2
    path.write_text(path.read_text().replace('"seq":3', '"seq":4', 1))
    assert main([str(path)]) == 1


def test_a_big_batch_goes_in_whole_and_verifies(tmp_path: Path) -> None:
    # 1200 records in one flush take the arrow path of `audit_table.insert_records`
    log = AuditLog(tmp_path / "plant.duckdb", flush_every=10_000, max_delay_s=None)
    for i in range(1200):
        log.append(i, "gate", "action_refused", f"m{i % 5}", f"reason {i}", {"i": i})
    log.flush()
    records = log.records()
    assert [r.seq for r in records] == list(range(1200))
    assert records[-1].hash == log.head and records[700].data()["i"] == 700
    assert log.verify().ok
    log.close()
