"""Sparkplug B (the MQTT source's `format: sparkplug`): protobuf payloads, decoded by hand.

Topics ``spBv1.0/<group>/<type>/<edge node>[/<device>]``: NBIRTH, DBIRTH, NDATA and DDATA
carry metrics; the machine is the device id (the edge node id for node messages) and each
metric's name is the signal. BIRTH messages declare metric aliases, which later DATA messages
may use instead of names. Metric timestamps (milliseconds) default to the payload's. Other
message types (NDEATH, DDEATH, NCMD, DCMD, STATE) carry no samples and are ignored.

Only the fields jayul needs are read from the protobuf wire format (Payload: timestamp 1,
metrics 2; Metric: name 1, alias 2, timestamp 3, datatype 4, is_null 7, int_value 10,
long_value 11, float_value 12, double_value 13, boolean_value 14); the rest is skipped.
"""

from __future__ import annotations

import struct
from dataclasses import dataclass

import numpy as np

from jayul.connect.validate import Candidates
from jayul.historian.base import DeadLetter
from jayul.records import utc_now_ns

NS_PER_MS = 1_000_000
_SIGNED_BITS = {1: 8, 2: 16, 3: 32, 4: 64}  # Int8, Int16, Int32, Int64 datatypes
_DATA_TYPES = ("NBIRTH", "DBIRTH", "NDATA", "DDATA")


def _varint(buf: bytes, pos: int) -> tuple[int, int]:
    result = shift = 0
    while True:
        if pos >= len(buf) or shift > 63:
            raise ValueError("truncated varint")
        b = buf[pos]
        pos += 1
        result |= (b & 0x7F) << shift
        if not b & 0x80:
            return result, pos
        shift += 7


def _fields(buf: bytes) -> list[tuple[int, int | bytes | float]]:
    """(field number, value) pairs of one protobuf message (fixed32 as float, fixed64 as
    double, since those are the only fixed-width Sparkplug fields jayul reads)."""
    out: list[tuple[int, int | bytes | float]] = []
    pos = 0
    while pos < len(buf):
        key, pos = _varint(buf, pos)
        number, wire = key >> 3, key & 7
        if wire == 0:
            value, pos = _varint(buf, pos)
            out.append((number, value))
        elif wire == 1:
            out.append((number, struct.unpack_from("<d", buf, pos)[0]))
            pos += 8
        elif wire == 2:
            length, pos = _varint(buf, pos)
            if pos + length > len(buf):
                raise ValueError("truncated field")
            out.append((number, buf[pos : pos + length]))
            pos += length
        elif wire == 5:
            out.append((number, struct.unpack_from("<f", buf, pos)[0]))
            pos += 4
        else:
            raise ValueError(f"unsupported wire type {wire}")
    return out


@dataclass
class Metric:
    name: str | None
    alias: int | None
    timestamp_ms: int | None
    value: float | None


def _metric(buf: bytes) -> Metric:
    m = Metric(None, None, None, None)
    datatype = 0
    raw_int: int | None = None
    for number, value in _fields(buf):
        if number == 1 and isinstance(value, bytes):
            m.name = value.decode()
        elif number == 2 and isinstance(value, int):
            m.alias = value
        elif number == 3 and isinstance(value, int):
            m.timestamp_ms = value
        elif number == 4 and isinstance(value, int):
            datatype = value
        elif number == 7 and value:
            m.value = float("nan")
        elif number in (10, 11, 14) and isinstance(value, int):
            raw_int = value
        elif number in (12, 13) and isinstance(value, float):
            m.value = value
    if raw_int is not None and m.value is None:
        bits = _SIGNED_BITS.get(datatype)
        if bits is not None and raw_int >= 1 << (bits - 1):
            raw_int -= 1 << (32 if bits < 64 else 64)  # two's complement, as Sparkplug sends it
        m.value = float(raw_int)
    return m


def decode_payload(buf: bytes) -> tuple[int | None, list[Metric]]:
    """The payload's timestamp (ms) and its metrics."""
    timestamp: int | None = None
    metrics = []
    for number, value in _fields(buf):
        if number == 1 and isinstance(value, int):
            timestamp = value
        elif number == 2 and isinstance(value, bytes):
            metrics.append(_metric(value))
    return timestamp, metrics


class SparkplugParser:
    """Sparkplug B messages into candidate samples (same interface as `PayloadParser`)."""

    def __init__(self, max_message_bytes: int) -> None:
        self.max_message_bytes = max_message_bytes
        self.aliases: dict[tuple[str, int], str] = {}  # (machine, alias) -> metric name

    def parse(self, topic: str, payload: bytes) -> tuple[Candidates | None, list[DeadLetter]]:
        source = f"mqtt:{topic}"

        def reject(reason: str) -> tuple[None, list[DeadLetter]]:
            return None, [DeadLetter(utc_now_ns(), source, reason, bytes(payload[:65_536]))]

        if len(payload) > self.max_message_bytes:
            return reject(f"message of {len(payload)} bytes exceeds {self.max_message_bytes}")
        parts = topic.split("/")
        if len(parts) not in (4, 5) or parts[0] != "spBv1.0":
            return reject("topic is not spBv1.0/<group>/<type>/<edge node>[/<device>]")
        if parts[2] not in _DATA_TYPES:
            return None, []
        machine = parts[4] if len(parts) == 5 else parts[3]
        try:
            stamp, metrics = decode_payload(payload)
        except (ValueError, struct.error, UnicodeDecodeError) as exc:
            return reject(f"not a Sparkplug B payload: {exc}")
        names, times, values, dead = [], [], [], []
        for m in metrics:
            if m.name is not None and m.alias is not None and parts[2].endswith("BIRTH"):
                self.aliases[(machine, m.alias)] = m.name
            name = m.name or (self.aliases.get((machine, m.alias)) if m.alias is not None else None)
            t = m.timestamp_ms if m.timestamp_ms is not None else stamp
            if name is None or t is None or m.value is None:
                why = (
                    "metric without a name or known alias"
                    if name is None
                    else ("metric without a timestamp" if t is None else "metric without a number")
                )
                dead.append(DeadLetter(utc_now_ns(), source, why, repr(m).encode()))
                continue
            names.append(name)
            times.append(t * NS_PER_MS)
            values.append(m.value)
        if not names:
            return None, dead
        n = len(names)
        c = Candidates(
            machine,
            names,
            np.asarray(times, np.int64),
            np.asarray(values, np.float64),
            np.zeros(n, np.int64),
        )
        return c, dead
