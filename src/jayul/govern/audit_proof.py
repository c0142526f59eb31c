"""What the key and signed checkpoints prove beyond the bare hash chain.

- Every record's MAC (HMAC-SHA256 of its hash with the audit key) must match: a record
  changed and rehashed, with or without recomputing the chain after it, fails here because
  the forger has no key. A MAC missing after a keyed record means MACs were stripped.
- The head (count and last hash) is MACed too, so cutting the tail and rewriting the head
  fails.
- A checkpoint is a signed statement "the trail had N records and its hash at N-1 was H" made
  at a time T. Kept elsewhere (a file on another machine, a second database, a syslog), it
  catches what nothing inside the database can: the whole database rolled back to an older
  copy, or records written before the trail had a key rewritten and rehashed.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace
from pathlib import Path

from jayul.govern.audit_chain import AuditReport, canonical
from jayul.govern.audit_key import AuditKeyring, head_text, record_text


@dataclass(frozen=True)
class Checkpoint:
    """A signed (count, head hash, time) of a trail; `time` in ns since the epoch."""

    count: int
    head: str
    time: int
    mac: str

    def text(self) -> str:
        return canonical(
            {"count": self.count, "head": self.head, "time": self.time, "type": "audit_checkpoint"}
        )

    def line(self) -> str:
        return canonical(
            {
                "count": self.count,
                "head": self.head,
                "mac": self.mac,
                "time": self.time,
                "type": "audit_checkpoint",
            }
        )


def make_checkpoint(count: int, head: str, time: int, keyring: AuditKeyring) -> Checkpoint:
    unsigned = Checkpoint(count, head, time, "")
    return replace(unsigned, mac=keyring.sign(unsigned.text()))


def parse_checkpoint(line: str, where: str) -> Checkpoint:
    """One checkpoint line; ValueError naming `where` when it is not one."""
    try:
        d = json.loads(line)
        cp = Checkpoint(int(d["count"]), str(d["head"]), int(d["time"]), str(d["mac"]))
        if d.get("type") != "audit_checkpoint":
            raise ValueError
    except (ValueError, KeyError, TypeError):
        raise ValueError(f"{where}: not an audit checkpoint") from None
    return cp


SYSLOG_MARK = '"type":"audit_checkpoint"'


def read_checkpoints(path: Path) -> list[Checkpoint]:
    """Every checkpoint in an anchor file (JSON lines; ValueError naming a bad line), or in a
    syslog collector's log file: there a line carrying a checkpoint after the syslog prefix
    (`... jayul-audit: {...}`) is read, and every other line skipped."""
    try:
        text = path.read_text(encoding="utf-8", errors="replace")
    except OSError as exc:
        raise ValueError(f"{path}: cannot read the checkpoints ({exc})") from None
    found = []
    for i, line in enumerate(text.splitlines()):
        line = line.strip().rstrip("\x00")
        if line.startswith("{"):
            found.append(parse_checkpoint(line, f"{path} line {i + 1}"))
        elif SYSLOG_MARK in line and "{" in line:
            found.append(parse_checkpoint(line[line.index("{") :], f"{path} line {i + 1}"))
    return found


def append_checkpoint(path: Path, cp: Checkpoint) -> None:
    """Append one checkpoint line to an anchor file and make it durable (fsync)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("a", encoding="utf-8", newline="\n") as out:
        out.write(cp.line() + "\n")
        out.flush()
        os.fsync(out.fileno())


Signed = tuple[int, str, str | None]
"""What MAC checking needs of a record: (seq, hash, mac)."""


def prove(
    report: AuditReport,
    records: Sequence[Signed],
    head: tuple[int, str, str | None] | None,
    keyring: AuditKeyring | None,
    checkpoints: Iterable[Checkpoint] = (),
) -> AuditReport:
    """Add the key's and the checkpoints' verdict to an intact chain's `report`."""
    if not report.ok or keyring is None:
        return report
    count = len(records)

    def broken(at: int, kind: str, detail: str) -> AuditReport:
        return AuditReport(False, count, report.head, at, kind, detail, keyed=True)

    unkeyed = 0
    for seq, hash_, mac in records:
        if mac is None:
            if unkeyed != seq:
                return broken(seq, "changed", f"record {seq} has no MAC but earlier ones do")
            unkeyed += 1
            continue
        problem = keyring.check(record_text(hash_), mac)
        if problem:
            return broken(seq, "forged", f"record {seq}: {problem}")
    if head is not None and unkeyed < count:
        head_count, head_hash, head_mac = head
        if head_mac is None:
            return broken(count, "changed", "the recorded head carries no MAC")
        problem = keyring.check(head_text(head_count, head_hash), head_mac)
        if problem:
            return broken(count, "forged", f"the recorded head: {problem}")
    matched, covered = 0, 0
    for cp in checkpoints:
        problem = keyring.check(cp.text(), cp.mac)
        if problem:
            return broken(cp.count, "forged", f"checkpoint of {cp.count} records: {problem}")
        if cp.count > count:
            return broken(
                count,
                "deleted",
                f"a signed checkpoint vouches for {cp.count} records; the trail has {count} "
                "(cut, or rolled back to an older copy)",
            )
        if cp.count > 0 and records[cp.count - 1][1] != cp.head:
            return broken(
                cp.count - 1,
                "changed",
                f"the hash at seq {cp.count - 1} differs from the signed checkpoint: "
                f"records up to {cp.count - 1} were rewritten",
            )
        matched += 1
        covered = max(covered, cp.count)
    detail = ""
    if unkeyed and covered >= unkeyed:
        detail = (
            f"a signed checkpoint covers records 0..{covered - 1}: the unkeyed ones are "
            "unchanged since it was made"
        )
        unkeyed = 0
    return replace(report, keyed=True, unkeyed=unkeyed, checkpoints=matched, detail=detail)
