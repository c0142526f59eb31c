"""Applying payload mappings (`mapping_spec`): foreign JSON messages into candidate samples.

`MappingParser` has the same `parse(topic, payload)` as jayul's own `PayloadParser` and the
Sparkplug parser, so the MQTT source calls whichever `make_parser` picks. Every message or
record a mapping cannot read becomes a dead letter whose reason names the mapping and the field
that did not match, with its raw bytes; the rest of the message is kept.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

import jmespath
import numpy as np
from jmespath.parser import ParsedResult

from jayul.connect.mapping_spec import PayloadMapping
from jayul.connect.payload import PayloadParser
from jayul.connect.sparkplug import SparkplugParser
from jayul.connect.validate import Candidates
from jayul.historian.base import DeadLetter
from jayul.records import to_ns, utc_now_ns

# Epoch magnitudes: a value below the bound is read in that unit (s until the year 5138).
_AUTO_UNITS = ((1e11, 10**9, "s"), (1e14, 10**6, "ms"), (1e17, 10**3, "us"))
_UNIT_NS = {"s": 10**9, "ms": 10**6, "us": 10**3, "ns": 1}
_RAW_LIMIT = 65_536


class FieldError(ValueError):
    """A field of a message that did not match its mapping; the message says which."""


def epoch_ns(t: int | float, unit: str) -> int:
    """Nanoseconds of a numeric epoch in `unit` ('auto' guesses it from the magnitude)."""
    if not math.isfinite(t):
        raise FieldError(f"{t!r} is not a finite number")
    if unit == "auto":
        per = next((p for bound, p, _ in _AUTO_UNITS if abs(t) < bound), 1)
    else:
        per = _UNIT_NS[unit]
    # a float through its shortest decimal form: 1767225600.25 s is ...250000000 ns exactly
    ns = t * per if isinstance(t, int) else round(Decimal(repr(t)) * per)
    if not -(2**63) <= ns < 2**63:
        raise FieldError(f"{t!r} {unit} is outside the representable time range")
    return ns


def text_time_ns(text: str, unit: str, fmt: str | None, zone: ZoneInfo | None) -> int:
    """Nanoseconds of a time string: ISO 8601, `fmt` (strptime) or a numeric epoch."""
    if fmt is None and unit != "iso":
        try:
            number = float(text) if any(c in text for c in ".eE") else int(text)
        except ValueError:
            pass
        else:
            return epoch_ns(number, unit)
    try:
        moment = datetime.strptime(text, fmt) if fmt else datetime.fromisoformat(text)
    except ValueError:
        want = f"format {fmt!r}" if fmt else "ISO 8601"
        raise FieldError(f"{text!r} is not a time in {want}") from None
    if moment.tzinfo is None:
        if zone is None:
            raise FieldError(f"{text!r} has no zone and the mapping declares no time_zone")
        moment = moment.replace(tzinfo=zone)
    return to_ns(moment)


def _number(x: Any) -> float | None:
    if isinstance(x, bool):
        return float(x)
    if isinstance(x, int | float):
        return float(x)
    if isinstance(x, str):
        try:
            return float(x)
        except ValueError:
            return None
    return None


def _plain_key(path: str | None) -> str | None:
    """The top-level key a path reads when it is just an identifier (flat records skip it)."""
    if path and path.replace("_", "a").isalnum():
        return path
    return None


@dataclass
class _Row:
    signals: list[str]
    times: list[int]
    values: list[float]
    qualities: list[int]


class CompiledMapping:
    """One `PayloadMapping` with its paths compiled."""

    def __init__(self, spec: PayloadMapping) -> None:
        self.spec = spec
        self.levels = spec.topic.split("/")
        self.zone = ZoneInfo(spec.time_zone) if spec.time_zone else None

        def compile_(path: str | None, field: str) -> ParsedResult | None:
            if path is None:
                return None
            try:
                return jmespath.compile(path)
            except jmespath.exceptions.JMESPathError as exc:
                raise ValueError(f"mapping {spec.label!r}: {field} path {path!r}: {exc}") from None

        const = spec.constant_machine
        self.machine = None if const is not None else compile_(spec.machine, "machine")
        self.records = compile_(spec.records, "records")
        self.signal = compile_(spec.signal, "signal")
        self.value = compile_(spec.value, "value")
        self.quality = compile_(spec.quality, "quality")
        self.time = compile_(spec.time, "time")
        self.skip = set(spec.ignore) | {
            k for k in map(_plain_key, (spec.time, spec.machine, spec.quality)) if k
        }

    def match(self, parts: list[str]) -> dict[str, str] | None:
        """The named levels of a topic (relative to the root), or None if it does not match."""
        got: dict[str, str] = {}
        for i, level in enumerate(self.levels):
            if level == "#":
                return got
            if i >= len(parts) or not parts[i]:
                return None
            if level in ("{machine}", "{signal}"):
                got[level[1:-1]] = parts[i]
            elif level != "+" and level != parts[i]:
                return None
        return got if len(parts) == len(self.levels) else None

    def _find(self, expr: ParsedResult | None, record: Any, message: Any) -> Any:
        if expr is None:
            return None
        found = expr.search(record)
        if found is None and record is not message:
            found = expr.search(message)
        return found

    def _time(self, record: Any, message: Any, arrival: int) -> int:
        if self.time is None:
            return arrival
        raw = self._find(self.time, record, message)
        where = f"time ({self.spec.time!r})"
        if raw is None:
            raise FieldError(f"{where}: no such field")
        unit = self.spec.time_unit
        try:
            if isinstance(raw, str):
                return text_time_ns(raw, unit, self.spec.time_format, self.zone)
            if isinstance(raw, int | float) and not isinstance(raw, bool):
                if unit == "iso":
                    raise FieldError(f"{raw!r} is a number but time_unit is iso")
                return epoch_ns(raw, unit)
        except FieldError as exc:
            raise FieldError(f"{where}: {exc}") from None
        raise FieldError(f"{where}: {raw!r} is neither a number nor a time string")

    def _quality(self, record: Any, message: Any) -> int:
        if self.quality is None:
            return 0
        raw = self._find(self.quality, record, message)
        if isinstance(raw, bool):  # Kepware: q true = good
            return 0 if raw else 2
        if isinstance(raw, int) and raw in (0, 1, 2):
            return raw
        raise FieldError(f"quality ({self.spec.quality!r}): {raw!r} is not 0, 1, 2 or a boolean")

    def _signal_name(self, name: str) -> str:
        return self.spec.rename.get(name, name)

    def _pairs(self, record: Any, message: Any, index: int, topic_signal: str | None) -> Any:
        """(signal, raw value, field label) of one record."""
        spec = self.spec
        if spec.flat:
            if not isinstance(record, dict):
                raise FieldError("flat record is not a JSON object")
            return [(k, v, f"field {k!r}") for k, v in record.items() if k not in self.skip]
        value = self._find(self.value, record, message)
        if value is None:
            raise FieldError(f"value ({spec.value!r}): no such field")
        if topic_signal is not None:
            return [(topic_signal, value, f"value ({spec.value!r})")]
        if spec.signals is not None:
            if index >= len(spec.signals):
                raise FieldError(f"record {index}: only {len(spec.signals)} signals are named")
            return [(spec.signals[index], value, f"value {index}")]
        name = self._find(self.signal, record, message)
        if not isinstance(name, str) or not name:
            raise FieldError(f"signal ({spec.signal!r}): {name!r} is not a name")
        return [(name, value, f"value ({spec.value!r})")]

    def convert(
        self, named: dict[str, str], message: Any, arrival: int
    ) -> tuple[str, _Row, list[tuple[str, Any]]]:
        """The machine, its rows, and (reason, raw record) of each record that failed."""
        spec = self.spec
        machine = named.get("machine") or spec.constant_machine
        if machine is None:
            found = self._find(self.machine, message, message)
            if not isinstance(found, str) or not found:
                raise FieldError(f"machine ({spec.machine!r}): {found!r} is not a machine id")
            machine = found
        if self.records is not None:
            records = self.records.search(message)
            if not isinstance(records, list):
                raise FieldError(f"records ({spec.records!r}): {type(records).__name__} not a list")
        else:
            records = [message]
        row = _Row([], [], [], [])
        failed: list[tuple[str, Any]] = []
        for i, record in enumerate(records):
            try:
                t = self._time(record, message, arrival)
                q = self._quality(record, message)
                pairs = self._pairs(record, message, i, named.get("signal"))
            except FieldError as exc:
                failed.append((str(exc), record))
                continue
            for name, raw, label in pairs:
                v = _number(raw)
                if v is None:
                    failed.append((f"{label}: {raw!r} is not a number", {name: raw}))
                    continue
                signal = self._signal_name(name)
                unit = spec.units.get(signal)
                row.signals.append(signal)
                row.times.append(t)
                row.values.append(v * unit.scale + unit.offset if unit else v)
                row.qualities.append(q)
        return machine, row, failed


class MappingParser:
    """Turns (topic, payload) into candidates with the first mapping whose topic matches."""

    def __init__(self, topic_root: str, mappings: list[PayloadMapping], max_bytes: int) -> None:
        self.root = topic_root.rstrip("/") + "/"
        self.mappings = [CompiledMapping(m) for m in mappings]
        self.max_message_bytes = max_bytes

    def parse(self, topic: str, payload: bytes) -> tuple[Candidates | None, list[DeadLetter]]:
        source = f"mqtt:{topic}"
        now = utc_now_ns()

        def letter(reason: str, raw: bytes) -> DeadLetter:
            return DeadLetter(now, source, reason, bytes(raw[:_RAW_LIMIT]))

        if len(payload) > self.max_message_bytes:
            reason = f"message of {len(payload)} bytes exceeds {self.max_message_bytes}"
            return None, [letter(reason + " (raw bytes truncated to 64 KiB)", payload)]
        if not topic.startswith(self.root):
            return None, [letter(f"topic outside {self.root}#", payload)]
        parts = topic[len(self.root) :].split("/")
        for mapping in self.mappings:
            named = mapping.match(parts)
            if named is not None:
                break
        else:
            patterns = ", ".join(m.spec.topic for m in self.mappings)
            return None, [letter(f"topic matches no mapping ({patterns})", payload)]
        label = f"mapping {mapping.spec.label!r}"
        try:
            message = json.loads(payload)
        except (UnicodeDecodeError, json.JSONDecodeError) as exc:
            return None, [letter(f"{label}: payload is not JSON: {exc}", payload)]
        try:
            machine, row, failed = mapping.convert(named, message, now)
        except FieldError as exc:
            return None, [letter(f"{label}: {exc}", payload)]
        dead = [
            letter(f"{label}: {reason}", json.dumps(raw, default=repr).encode())
            for reason, raw in failed
        ]
        if not row.signals:
            if not dead:
                dead = [letter(f"{label}: the message holds no samples", payload)]
            return None, dead
        candidates = Candidates(
            machine,
            row.signals,
            np.asarray(row.times, dtype=np.int64),
            np.asarray(row.values, dtype=np.float64),
            np.asarray(row.qualities, dtype=np.int64),
        )
        return candidates, dead


Parser = PayloadParser | SparkplugParser | MappingParser


def make_parser(
    fmt: str, mappings: list[PayloadMapping] | None, topic_root: str, max_bytes: int
) -> Parser:
    """The parser an MQTT source uses: Sparkplug B, declared mappings, or jayul's own scheme."""
    if fmt == "sparkplug":
        return SparkplugParser(max_bytes)
    if mappings:
        return MappingParser(topic_root, mappings, max_bytes)
    return PayloadParser(topic_root, max_bytes)
