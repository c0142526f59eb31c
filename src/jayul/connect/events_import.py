"""Maintenance and failure events from a CMMS or MES export (CSV), and from the API.

A row becomes one `Event`: its time, machine and kind from the mapped columns (see
docs/data-standard.md, "Events from a CMMS or MES"), its failure mode and maintenance action
from the optional `mode` and `action` columns (the keys the twin's own events carry, so the RUL
tracker reads imported and simulated events alike), and the whole row in the payload.

- Kinds: jayul's plant-event kinds (failure, repair start/end, maintenance start/end), named
  as jayul names them or by a common synonym ("breakdown", "PM start", "repair done", ...);
  a plant's own codes are mapped with `kinds` ("BD=failure,PM-S=maintenance_start").
- Times: ISO 8601 by default ("2026-03-02T08:15:00Z", "2026-03-02 08:15", "+01:00" offsets);
  a `strptime` pattern, or `epoch_s` / `epoch_ms`. A time without a zone is read in `tz`.
- A row's event id is a hash of its time, machine, kind and external id: importing a file
  twice, or the same work order from two exports, stores it once (the historian ignores an id
  it already holds).
- A row that cannot be read is returned with its line number, the reason and the raw row, for
  the dead-letter table: nothing is lost and nothing stops the import.
"""

from __future__ import annotations

import csv
import hashlib
import io
import math
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from jayul.historian.base import DeadLetter
from jayul.records import Event, EventKind
from jayul.records.timebase import to_ns, utc_now_ns

PLANT_EVENT_KINDS = (
    EventKind.FAILURE,
    EventKind.REPAIR_START,
    EventKind.REPAIR_END,
    EventKind.MAINTENANCE_START,
    EventKind.MAINTENANCE_END,
)

# Common names for the plant-event kinds in CMMS and MES exports, after normalising (lower
# case, runs of spaces, dashes and dots as one underscore).
KIND_SYNONYMS: dict[str, EventKind] = {
    **{k.value: k for k in PLANT_EVENT_KINDS},
    "breakdown": EventKind.FAILURE,
    "fault": EventKind.FAILURE,
    "failed": EventKind.FAILURE,
    "stoppage": EventKind.FAILURE,
    "repair_started": EventKind.REPAIR_START,
    "repair_begin": EventKind.REPAIR_START,
    "repair_ended": EventKind.REPAIR_END,
    "repair_done": EventKind.REPAIR_END,
    "repair_complete": EventKind.REPAIR_END,
    "repair_completed": EventKind.REPAIR_END,
    "repaired": EventKind.REPAIR_END,
    "pm_start": EventKind.MAINTENANCE_START,
    "maintenance_started": EventKind.MAINTENANCE_START,
    "maintenance_begin": EventKind.MAINTENANCE_START,
    "pm_end": EventKind.MAINTENANCE_END,
    "pm_done": EventKind.MAINTENANCE_END,
    "maintenance_ended": EventKind.MAINTENANCE_END,
    "maintenance_done": EventKind.MAINTENANCE_END,
    "maintenance_complete": EventKind.MAINTENANCE_END,
    "maintenance_completed": EventKind.MAINTENANCE_END,
}

FIELDS = ("time", "machine", "kind", "id", "mode", "action", "note")
REQUIRED = ("time", "machine", "kind")
MAX_RAW_BYTES = 65_536


class ImportSpecError(ValueError):
    """A mapping, kind table, time format or zone that cannot be used (the whole import stops
    before any row is read, saying which option and why)."""


@dataclass(frozen=True)
class ColumnMap:
    """Which CSV column holds each of jayul's fields; by default, the field's own name."""

    time: str = "time"
    machine: str = "machine"
    kind: str = "kind"
    id: str | None = None
    mode: str | None = None
    action: str | None = None
    note: str | None = None

    @classmethod
    def parse(cls, spec: str | None) -> ColumnMap:
        """'time=Timestamp,machine=Asset,kind=Type' -> ColumnMap; unnamed fields keep defaults."""
        if not spec:
            return cls()
        values: dict[str, str] = {}
        for part in spec.split(","):
            key, sep, column = part.partition("=")
            key, column = key.strip(), column.strip()
            if not sep or not key or not column:
                raise ImportSpecError(f"--map: {part.strip()!r} is not FIELD=COLUMN")
            if key not in FIELDS:
                raise ImportSpecError(f"--map: unknown field {key!r} (fields: {', '.join(FIELDS)})")
            values[key] = column
        return cls(**values)

    def columns(self, header: Iterable[str]) -> dict[str, str]:
        """Field -> column for the fields present; ImportSpecError names a missing column."""
        present = set(header)
        found: dict[str, str] = {}
        for name in FIELDS:
            column = getattr(self, name)
            if column is None and name not in REQUIRED:
                column = name if name in present else None
            if column is None:
                continue
            if column not in present:
                if name in REQUIRED or getattr(self, name) is not None:
                    raise ImportSpecError(
                        f"the file has no column {column!r} for {name} "
                        f"(its columns: {', '.join(sorted(present))}); see --map"
                    )
                continue
            found[name] = column
        return found


def normalise_kind(text: str) -> str:
    return re.sub(r"[\s\-./]+", "_", text.strip().lower()).strip("_")


def parse_kind_table(spec: str | None) -> dict[str, EventKind]:
    """'BD=failure,PM-S=maintenance_start' -> {normalised code: kind}."""
    table: dict[str, EventKind] = {}
    for part in (spec or "").split(","):
        if not part.strip():
            continue
        code, sep, kind = part.partition("=")
        if not sep or not code.strip():
            raise ImportSpecError(f"--kinds: {part.strip()!r} is not CODE=KIND")
        target = KIND_SYNONYMS.get(normalise_kind(kind))
        if target is None:
            raise ImportSpecError(f"--kinds: {kind.strip()!r} is not a plant-event kind ({KINDS})")
        table[normalise_kind(code)] = target
    return table


KINDS = ", ".join(k.value for k in PLANT_EVENT_KINDS)


def parse_kind(text: str, table: Mapping[str, EventKind] | None = None) -> EventKind:
    """A plant-event kind from its name, a synonym or the plant's own code (`table`)."""
    key = normalise_kind(text)
    kind = (table or {}).get(key) or KIND_SYNONYMS.get(key)
    if kind is None:
        raise ValueError(f"kind {text!r} is not a plant-event kind ({KINDS}) nor mapped by --kinds")
    return kind


@dataclass(frozen=True)
class TimeParser:
    """Reads one time format; a time without a zone is taken in `tz`."""

    format: str | None = None  # None: ISO 8601; "epoch_s", "epoch_ms", or a strptime pattern
    tz: str = "UTC"

    def __post_init__(self) -> None:
        try:
            ZoneInfo(self.tz)
        except (ZoneInfoNotFoundError, ValueError):
            raise ImportSpecError(f"--tz: unknown time zone {self.tz!r}") from None

    def __call__(self, text: str) -> int:
        raw = text.strip()
        if not raw:
            raise ValueError("the time is empty")
        if self.format in ("epoch_s", "epoch_ms"):
            try:
                value = float(raw)
            except ValueError:
                raise ValueError(f"time {raw!r} is not a number ({self.format})") from None
            scale = 1e9 if self.format == "epoch_s" else 1e6
            if not math.isfinite(value) or not 0 <= value * scale < 2**63:
                raise ValueError(f"time {raw!r} is outside 1970 to 2262")
            return round(value * scale)
        try:
            if self.format is None:
                stamp = datetime.fromisoformat(raw)
            else:
                stamp = datetime.strptime(raw, self.format)
        except ValueError:
            expected = "ISO 8601" if self.format is None else repr(self.format)
            raise ValueError(f"time {raw!r} does not read as {expected}") from None
        if stamp.tzinfo is None:
            stamp = stamp.replace(tzinfo=ZoneInfo(self.tz))
        ns = to_ns(stamp)
        if not 0 <= ns < 2**63:
            raise ValueError(f"time {raw!r} is outside 1970 to 2262")
        return ns


def event_id(time_ns: int, machine: str, kind: EventKind, external_id: str = "") -> str:
    """The same occurrence gets the same id, whichever file or request brings it."""
    key = f"{time_ns}|{machine}|{kind.value}|{external_id}"
    return "ev-" + hashlib.sha256(key.encode()).hexdigest()[:24]


def make_event(
    time_ns: int,
    machine: str,
    kind: EventKind,
    *,
    external_id: str = "",
    mode: str = "",
    action: str = "",
    note: str = "",
    extra: Mapping[str, Any] | None = None,
    machines: Iterable[str] | None = None,
) -> Event:
    """A plant event, checked: a non-empty machine (one of `machines` when given)."""
    machine = machine.strip()
    if not machine:
        raise ValueError("the machine is empty")
    if machines is not None:
        known = set(machines)
        if machine not in known:
            alike = sorted(m for m in known if m.casefold() == machine.casefold())
            hint = (
                f" (it has {alike[0]!r}: --machines {machine}={alike[0]} maps the file's names)"
                if alike
                else ""
            )
            raise ValueError(f"machine {machine!r} is not in the plant file{hint}")
    payload: dict[str, Any] = {"source": "import"}
    # A failure mode belongs to failures and repairs, a maintenance action to maintenance (the
    # keys the twin's own events carry); one code column may be mapped to both.
    maintenance = kind in (EventKind.MAINTENANCE_START, EventKind.MAINTENANCE_END)
    for key, value in (
        ("external_id", external_id),
        ("mode", "" if maintenance else mode),
        ("action", action if maintenance else ""),
    ):
        if value.strip():
            payload[key] = value.strip()
    if note.strip():
        payload["reason"] = note.strip()
    if extra:
        payload.update(extra)
    return Event(
        id=event_id(time_ns, machine, kind, external_id.strip()),
        time=time_ns,
        machine=machine,
        kind=kind,
        payload=payload,
    )


@dataclass(frozen=True)
class RejectedRow:
    line: int  # the line of the file on which the row starts (the header is line 1)
    reason: str
    raw: str  # the row as CSV text

    def dead_letter(self, source: str, now_ns: int | None = None) -> DeadLetter:
        raw = self.raw.encode()[:MAX_RAW_BYTES]
        return DeadLetter(
            utc_now_ns() if now_ns is None else now_ns,
            f"{source}:{self.line}",
            self.reason,
            raw,
        )


@dataclass
class EventsFile:
    """What one CSV file gave: events to store and rows that could not be read."""

    events: list[Event] = field(default_factory=list)
    rejected: list[RejectedRow] = field(default_factory=list)
    duplicates: int = 0  # rows repeating an event earlier in the same file


def _as_csv(row: list[str]) -> str:
    out = io.StringIO()
    csv.writer(out, lineterminator="").writerow(row)
    return out.getvalue()


def read_events_csv(
    text: str,
    columns: ColumnMap,
    *,
    kinds: Mapping[str, EventKind] | None = None,
    parse_time: TimeParser | None = None,
    machines: Iterable[str] | None = None,
    source: str = "",
    delimiter: str = ",",
    machine_names: Mapping[str, str] | None = None,
) -> EventsFile:
    """Read a CSV export (its first line the header). ImportSpecError when the mapping does not
    fit the header; every row after that is either an event or a rejected row. `machine_names`
    renames the export's machine names (a CMMS's asset codes) to the plant's machine ids."""
    parse_time = parse_time or TimeParser()
    known = set(machines) if machines is not None else None
    reader = csv.reader(io.StringIO(text), delimiter=delimiter)
    try:
        header = next(reader)
    except StopIteration:
        raise ImportSpecError("the file is empty (no header line)") from None
    header = [h.strip() for h in header]
    if len(header) == 1:  # one column: most likely another separator than the one given
        other = next((d for d in ";,\t|" if d != delimiter and d in header[0]), None)
        if other is not None:
            shown = "\\t" if other == "\t" else other
            raise ImportSpecError(
                f"the header is one column ({header[0]!r}): its fields look separated by "
                f"{shown!r}; give --delimiter '{shown}'"
            )
    where = columns.columns(header)
    index = {name: header.index(column) for name, column in where.items()}
    mapped = set(index.values())
    result = EventsFile()
    seen: set[str] = set()
    line = reader.line_num + 1
    while True:
        try:
            row = next(reader)
        except StopIteration:
            break
        except csv.Error as exc:  # e.g. a NUL byte or an unterminated quote: this row only
            start, line = line, reader.line_num + 1
            result.rejected.append(RejectedRow(start, f"unreadable CSV: {exc}", ""))
            continue
        start, line = line, reader.line_num + 1
        if not row or all(not cell.strip() for cell in row):
            continue
        if len(row) != len(header):
            reason = f"the row has {len(row)} fields, the header {len(header)}"
            result.rejected.append(RejectedRow(start, reason, _as_csv(row)))
            continue

        def cell(name: str, row: list[str] = row) -> str:
            return row[index[name]] if name in index else ""

        try:
            extra = {
                "import": {"file": source, "line": start},
                "fields": {
                    h: v
                    for j, (h, v) in enumerate(zip(header, row, strict=True))
                    if j not in mapped
                },
            }
            machine = cell("machine").strip()
            event = make_event(
                parse_time(cell("time")),
                (machine_names or {}).get(machine, machine),
                parse_kind(cell("kind"), kinds),
                external_id=cell("id"),
                mode=cell("mode"),
                action=cell("action"),
                note=cell("note"),
                extra=extra,
                machines=known,
            )
        except ValueError as exc:
            result.rejected.append(RejectedRow(start, str(exc), _as_csv(row)))
            continue
        if event.id in seen:
            result.duplicates += 1
            continue
        seen.add(event.id)
        result.events.append(event)
    return result


def read_events_file(
    path: Path, columns: ColumnMap, encoding: str = "utf-8-sig", **options: Any
) -> EventsFile:
    """`read_events_csv` on a file (UTF-8 by default, a byte-order mark allowed)."""
    try:
        text = path.read_text(encoding=encoding)
    except UnicodeDecodeError as exc:
        raise ImportSpecError(
            f"{path}: not {encoding} text (byte {exc.start}); give --encoding"
        ) from None
    except LookupError:
        raise ImportSpecError(f"--encoding: unknown encoding {encoding!r}") from None
    return read_events_csv(text, columns, source=path.name, **options)


def dead_letters_for(rejected: list[RejectedRow], source: str) -> list[DeadLetter]:
    now = utc_now_ns()
    return [row.dead_letter(source, now) for row in rejected]


def new_dead_letters(stored: Iterable[DeadLetter], letters: list[DeadLetter]) -> list[DeadLetter]:
    """The letters not already kept (same source line and raw row): a second import of the same
    file adds no second copy of its bad rows."""
    have = {(d.source, d.raw) for d in stored}
    return [d for d in letters if (d.source, d.raw) not in have]


def parse_machine_names(spec: str) -> dict[str, str]:
    """`--machines 'E1=e1,E2=e2'`: the export's machine name -> the plant's machine id."""
    names: dict[str, str] = {}
    for part in filter(None, (p.strip() for p in spec.split(","))):
        theirs, sep, ours = (x.strip() for x in part.partition("="))
        if not sep or not theirs or not ours:
            raise ImportSpecError(f"--machines: {part!r} is not NAME_IN_FILE=MACHINE_ID")
        names[theirs] = ours
    return names
