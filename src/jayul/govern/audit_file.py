"""Exported audit trails: JSON lines a third party can verify with nothing but this file.

The file holds one canonical JSON record per line, then a trailer line
`{"count":N,"head":"<hash>","type":"audit_trailer"}` so a cut-off tail is caught. Records of a
keyed trail carry `"mac":"<key id>:<HMAC>"` and so does the trailer: with the key
(`jayul audit verify --file F`, the key found as for the database) a rewritten and rehashed
trail is caught. Without the key, only the chain is checked: a forger who rewrites the whole
tail and the trailer is then caught only by a signed checkpoint or a head hash published
earlier (`--checkpoints FILE`, `--head HASH`).
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from pathlib import Path

from jayul.govern.audit_chain import (
    AuditRecord,
    AuditReport,
    Link,
    canonical,
    json_string,
    verify_chain,
)
from jayul.govern.audit_key import AuditKeyring
from jayul.govern.audit_proof import Checkpoint, prove

_KEYS = {"seq", "time", "actor", "kind", "subject", "reason", "payload", "prev", "hash"}


def trailer_line(count: int, head: str, mac: str | None = None) -> str:
    extra = {} if mac is None else {"mac": mac}
    return canonical({"count": count, "head": head, "type": "audit_trailer", **extra})


def write_trail(
    path: Path, records: Iterable[AuditRecord], count: int, head: str, mac: str | None = None
) -> None:
    """Write `records` and the trailer (with the head's MAC) to `path` (parents created)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", encoding="utf-8", newline="\n") as out:
        for rec in records:
            out.write(rec.line())
            out.write("\n")
        out.write(trailer_line(count, head, mac))
        out.write("\n")


def _parse_line(line: str) -> tuple[Link, str | None] | None:
    """The line's link (its hashed text is the line without its hash and MAC) and its MAC,
    None if malformed.

    The hash is checked against the line's own bytes, so any byte change shows, even one
    that a JSON parser would read back as the same value.
    """
    try:
        data = json.loads(line)
    except ValueError:
        return None
    if not isinstance(data, dict) or data.keys() - {"mac"} != _KEYS:
        return None
    seq, prev, hash_, actor = data["seq"], data["prev"], data["hash"], data["actor"]
    kind, mac = data["kind"], data.get("mac")
    if type(seq) is not int or not isinstance(prev, str) or not isinstance(hash_, str):
        return None
    if not isinstance(actor, str) or not isinstance(kind, str):
        return None
    if "mac" in data and not isinstance(mac, str):
        return None
    cut = len('{"actor":') + len(json_string(actor)) + 1
    segment = f'"hash":"{hash_}",'
    if not line.startswith(segment, cut):
        return None
    body = line[:cut] + line[cut + len(segment) :]
    if mac is not None:
        at = cut + len('"kind":') + len(json_string(kind)) + 1
        mac_segment = f'"mac":{json_string(mac)},'
        if not body.startswith(mac_segment, at):
            return None
        body = body[:at] + body[at + len(mac_segment) :]
    return (seq, prev, hash_, body), mac


def verify_trail_text(
    text: str, keyring: AuditKeyring | None = None, checkpoints: Sequence[Checkpoint] = ()
) -> AuditReport:
    """Verify an exported trail given as text (the whole file); with the key, also its MACs
    and the signed `checkpoints`."""
    if not text.endswith("\n"):
        return AuditReport(False, 0, "", 0, "changed", "the file does not end with a newline")
    lines = text[:-1].split("\n")
    records: list[Link] = []
    macs: list[str | None] = []
    for pos, line in enumerate(lines[:-1]):
        parsed = _parse_line(line)
        if parsed is None:
            return AuditReport(
                False, pos, "", pos, "changed", f"line {pos + 1} is not a canonical audit record"
            )
        records.append(parsed[0])
        macs.append(parsed[1])
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
        and isinstance(trailer.get("mac"), str | None)
        and last == trailer_line(trailer["count"], trailer["head"], trailer.get("mac"))
    )
    if not ok_trailer:
        report = verify_chain(records + ([r[0]] if (r := _parse_line(last)) else []))
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
    report = verify_chain(records, (trailer["count"], trailer["head"]))
    signed = [(link[0], link[2], mac) for link, mac in zip(records, macs, strict=True)]
    head = (trailer["count"], trailer["head"], trailer.get("mac"))
    return prove(report, signed, head, keyring, checkpoints)


def verify_trail_file(
    path: Path, keyring: AuditKeyring | None = None, checkpoints: Sequence[Checkpoint] = ()
) -> AuditReport:
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
    return verify_trail_text(text, keyring, checkpoints)
