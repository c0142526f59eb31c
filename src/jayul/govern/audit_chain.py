"""The audit trail's record format, hashing and verification (no storage here).

Each record is canonical JSON (keys sorted, no whitespace, UTF-8) with the fields `actor`,
`kind`, `payload`, `prev`, `reason`, `seq`, `subject`, `time`; its `hash` is the SHA-256 of
that text, and `prev` is the hash of the record before it (64 zeros for the first). So a
third party can check a trail with nothing but a JSON parser and SHA-256. A keyed trail adds
`mac`, the HMAC-SHA256 of the hash with the audit key (outside the hashed text; see
`jayul.govern.audit_key` and `audit_proof`): the chain shows that records fit together, the
MAC that nobody without the key wrote them.

Verification walks the chain and reports the first broken sequence number and the kind of
break: `changed` (a record's content no longer matches its hash, or it was rewritten and
rehashed so the next link breaks), `deleted` (a sequence number is missing, or the trail ends
before its recorded head), `reordered` (an intact record sits at the wrong place) or
`inserted` (a record that is not part of the chain).
"""

from __future__ import annotations

import enum
import hashlib
import json
import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

GENESIS = "0" * 64


def canonical(value: Any) -> str:
    """Canonical JSON: sorted keys, no whitespace, UTF-8 kept, NaN refused."""
    return json.dumps(
        value, sort_keys=True, separators=(",", ":"), ensure_ascii=False, allow_nan=False
    )


def jsonable(value: Any) -> Any:
    """Turn a payload into plain JSON values; a non-finite float becomes its name ("nan")."""
    if value is None or isinstance(value, bool | int | str):
        return value
    if isinstance(value, float):
        return value if math.isfinite(value) else repr(value)
    if isinstance(value, enum.Enum):
        return jsonable(value.value)
    if isinstance(value, dict):
        return {str(k): jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [jsonable(v) for v in value]
    if isinstance(value, set | frozenset):
        return sorted(jsonable(v) for v in value)
    if hasattr(value, "model_dump"):  # pydantic records
        return jsonable(value.model_dump(mode="json"))
    if hasattr(value, "item") and callable(value.item):  # numpy scalars
        return jsonable(value.item())
    return str(value)


@dataclass(frozen=True, slots=True)
class AuditRecord:
    """One link of the chain. `payload` is kept as its canonical JSON text."""

    seq: int
    time: int
    actor: str
    kind: str
    subject: str
    reason: str
    payload: str
    prev: str
    hash: str
    mac: str | None = None  # "<key id>:<HMAC-SHA256>" of the hash (None: an unkeyed record)

    def body(self) -> str:
        """The hashed text: the canonical JSON of every field but `hash`."""
        return _body(
            self.seq,
            self.time,
            self.actor,
            self.kind,
            self.subject,
            self.reason,
            self.payload,
            self.prev,
        )

    def line(self) -> str:
        """The canonical JSON of the whole record, as an exported trail holds it."""
        js = json_string
        mac = "" if self.mac is None else f'"mac":{js(self.mac)},'
        return (
            f'{{"actor":{js(self.actor)},"hash":{js(self.hash)},"kind":{js(self.kind)},{mac}'
            f'"payload":{self.payload},"prev":{js(self.prev)},"reason":{js(self.reason)},'
            f'"seq":{self.seq},"subject":{js(self.subject)},"time":{self.time}}}'
        )

    def link(self) -> Link:
        return (self.seq, self.prev, self.hash, self.body())

    def data(self) -> dict[str, Any]:
        """The payload as a dict."""
        loaded: dict[str, Any] = json.loads(self.payload)
        return loaded


# What json.dumps(text, ensure_ascii=False) does for a string, without its per-call overhead.
json_string = json.encoder.encode_basestring


def _body(
    seq: int, time: int, actor: str, kind: str, subject: str, reason: str, payload: str, prev: str
) -> str:
    # Written out by hand because it runs 100,000 times per verification; equal to
    # canonical() of the same dict (tests check that).
    js = json_string
    return (
        f'{{"actor":{js(actor)},"kind":{js(kind)},"payload":{payload},"prev":{js(prev)},'
        f'"reason":{js(reason)},"seq":{seq},"subject":{js(subject)},"time":{time}}}'
    )


def digest(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def make_record(
    seq: int,
    time: int,
    actor: str,
    kind: str,
    subject: str,
    reason: str,
    payload: dict[str, Any] | None,
    prev: str,
    sign: Callable[[str], str] | None = None,
) -> AuditRecord:
    """Build the next record of a chain whose last hash is `prev`; `sign` (the keyring's)
    MACs its hash."""
    text = canonical(jsonable(payload or {}))
    body = _body(seq, int(time), actor, kind, subject, reason, text, prev)
    hash_ = digest(body)
    mac = sign(f"jayul-audit-record:{hash_}") if sign is not None else None
    return AuditRecord(seq, int(time), actor, kind, subject, reason, text, prev, hash_, mac)


@dataclass(frozen=True)
class AuditReport:
    """The outcome of a verification: intact, or the first broken sequence number and why."""

    ok: bool
    records: int
    head: str
    first_broken: int | None = None
    kind: str | None = None
    detail: str = ""
    # what the key and checkpoints add to the bare chain (see jayul.govern.audit_proof)
    keyed: bool = False  # MACs were checked with the key
    unkeyed: int = 0  # leading records without a MAC (written before the trail had a key)
    checkpoints: int = 0  # signed checkpoints the trail was checked against

    @property
    def proven(self) -> bool:
        """Intact, and every record's content is vouched for by the key."""
        return self.ok and self.keyed and self.unkeyed == 0

    def summary(self) -> str:
        if not self.ok:
            return f"BROKEN at seq {self.first_broken}: {self.kind}: {self.detail}"
        text = f"intact: {self.records} records, head {self.head}"
        if not self.keyed:
            return text + " (chain only: MACs not checked, no key)"
        text += f"; MACs checked, {self.checkpoints} signed checkpoint(s) match"
        if self.unkeyed:
            text += (
                f"; records 0..{self.unkeyed - 1} predate the key: their chain is intact but "
                "their content is NOT proven (whoever could write the database could have "
                "rewritten and rehashed them)"
            )
        if self.detail:
            text += f"; {self.detail}"
        return text


Link = tuple[int, str, str, str]
"""What verification needs of a record: (seq, prev, hash, the hashed text)."""


def verify_chain(links: Sequence[Link], head: tuple[int, str] | None = None) -> AuditReport:
    """Check every link in order; `head` (count, last hash) catches a truncated tail."""
    expected_prev = GENESIS
    for i, (seq, prev, hash_, body) in enumerate(links):
        self_ok = digest(body) == hash_
        if self_ok and seq == i and prev == expected_prev:
            expected_prev = hash_
            continue
        return _diagnose(links, i, expected_prev, self_ok)
    count = len(links)
    if head is not None:
        head_count, head_hash = head
        if head_count > count:
            return AuditReport(
                False,
                count,
                expected_prev,
                count,
                "deleted",
                f"the trail ends at {count} records but its head says {head_count}",
            )
        if head_count < count:
            return AuditReport(
                False,
                count,
                expected_prev,
                head_count,
                "inserted",
                f"{count - head_count} record(s) after the recorded head",
            )
        if head_hash != expected_prev:
            return AuditReport(
                False,
                count,
                expected_prev,
                max(count - 1, 0),
                "changed",
                "the last record's hash differs from the recorded head",
            )
    return AuditReport(True, count, expected_prev)


def _diagnose(links: Sequence[Link], i: int, expected_prev: str, self_ok: bool) -> AuditReport:
    """Name the kind of the first break at position `i` (expected sequence number `i`)."""
    seq, prev, _hash, _body_text = links[i]
    by_hash = {link[2]: j for j, link in enumerate(links)}

    def broken(kind: str, detail: str, at: int = i) -> AuditReport:
        return AuditReport(False, len(links), expected_prev, at, kind, detail)

    if not self_ok:
        if prev != expected_prev and by_hash.get(prev, i - 1) != i - 1:
            return broken("reordered", f"record {seq} is intact but out of place")
        return broken("changed", f"record at seq {i} does not match its hash")
    if seq < i:
        return broken("inserted", f"a second record claims seq {seq}")
    if seq == i:  # intact itself, but it no longer links to the record before it
        return broken("changed", f"record {i - 1} was rewritten (the link to it broke)", i - 1)
    # seq > i: the record for seq i is not here; is it somewhere else?
    if sum(1 for link in links if link[0] == seq) > 1:
        return broken("inserted", f"a copy of record {seq} stands before seq {i}")
    follower = next((j for j, link in enumerate(links) if link[1] == expected_prev), None)
    elsewhere = next((j for j, link in enumerate(links) if link[0] == i and j != i), None)
    if follower is not None and digest(links[follower][3]) != links[follower][2]:
        return broken("changed", f"record {i} was altered (it now reads seq {links[follower][0]})")
    if elsewhere is not None or follower is not None:
        where = elsewhere if elsewhere is not None else follower
        return broken("reordered", f"record {i} is found at position {where}")
    return broken("deleted", f"records {i}..{seq - 1} are missing")
