"""Exported audit trails: JSON lines a third party can verify with nothing but this file.

The file holds one canonical JSON record per line, then a trailer line
`{"count":N,"head":"<hash>","type":"audit_trailer"}` so a cut-off tail is caught. A forger who
rewrites the whole tail and the trailer can only be caught by comparing the head hash with one
published earlier (`jayul audit verify --file F --head HASH`).
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from pathlib import Path

from jayul.govern.audit_chain import (
    AuditRecord,
    AuditReport,
    Link,
    canonical,
    json_string,
    verify_chain,
)

_KEYS = {"seq", "time", "actor", "kind", "subject", "reason", "payload", "prev", "hash"}


def trailer_line(count: int, head: str) -> str:
    return canonical({"count": count, "head": head, "type": "audit_trailer"})


def write_trail(path: Path, records: Iterable[AuditRecord], count: int, head: str) -> None:
    """Write `records` and the trailer to `path` (parents created)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", encoding="utf-8", newline="\n") as out:
        for rec in records:
            out.write(rec.line())
            out.write("\n")
        out.write(trailer_line(count, head))
        out.write("\n")


def _parse_line(line: str) -> Link | None:
    """The line's link (its hashed text is the line without its hash), None if malformed.

    The hash is checked against the line's own bytes, so any byte change shows, even one
    that a JSON parser would read back as the same value.
    """
    try:
        data = json.loads(line)
    except ValueError:
        return None
    if not isinstance(data, dict) or data.keys() != _KEYS:
        return None
    seq, prev, hash_, actor = data["seq"], data["prev"], data["hash"], data["actor"]
    if type(seq) is not int or not isinstance(prev, str) or not isinstance(hash_, str):
        return None
    if not isinstance(actor, str):
        return None
    cut = len('{"actor":') + len(json_string(actor)) + 1
    segment = f'"hash":"{hash_}",'
    if not line.startswith(segment, cut):
        return None
    return (seq, prev, hash_, line[:cut] + line[cut + len(segment) :])


def verify_trail_text(text: str) -> AuditReport:
    """Verify an exported trail given as text (the whole file)."""
    if not text.endswith("\n"):
        return AuditReport(False, 0, "", 0, "changed", "the file does not end with a newline")
    lines = text[:-1].split("\n")
    records: list[Link] = []
    for pos, line in enumerate(lines[:-1]):
        rec = _parse_line(line)
        if rec is None:
            return AuditReport(
                False, pos, "", pos, "changed", f"line {pos + 1} is not a canonical audit record"
            )
        records.append(rec)
    last = lines[-1]
    try:
        trailer = json.loads(last)
    except ValueError:
        trailer = None
    ok_trailer = (
        isinstance(trailer, dict)
        and trailer.get("type") == "audit_trailer"
        and isinstance(trailer.get("count"), int)
        and isinstance(trailer.get("head"), str)
        and last == trailer_line(trailer["count"], trailer["head"])
    )
    if not ok_trailer:
        report = verify_chain(records + ([r] if (r := _parse_line(last)) else []))
        if not report.ok:
            return report
        return AuditReport(
            False,
            report.records,
            report.head,
            report.records,
            "deleted",
            "the trailer line (count and head hash) is missing or altered",
        )
    assert isinstance(trailer, dict)
    return verify_chain(records, (trailer["count"], trailer["head"]))


def verify_trail_file(path: Path) -> AuditReport:
    """Verify an exported trail file; `ValueError` naming the file when it cannot be read."""
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise ValueError(f"{path}: cannot read the audit trail ({exc.strerror})") from None
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        pos = data[: exc.start].count(b"\n")
        return AuditReport(False, pos, "", pos, "changed", f"{path}: line {pos + 1} is not UTF-8")
    if not text:
        raise ValueError(f"{path}: the audit trail file is empty")
    return verify_trail_text(text)
