"""Time in jayul: UTC, integer nanoseconds since the Unix epoch (numpy `datetime64[ns]`)."""

from __future__ import annotations

import time
from datetime import UTC, datetime

NS_PER_S = 1_000_000_000
NS_PER_H = 3600 * NS_PER_S


def to_ns(moment: datetime) -> int:
    """Nanoseconds since the epoch for an aware datetime (naive ones are taken as UTC)."""
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    delta = moment - datetime(1970, 1, 1, tzinfo=UTC)
    return (delta.days * 86_400 + delta.seconds) * NS_PER_S + delta.microseconds * 1000


def from_ns(ns: int) -> datetime:
    """The aware UTC datetime of a nanosecond timestamp (sub-microsecond digits dropped)."""
    return datetime.fromtimestamp(ns / NS_PER_S, tz=UTC)


def utc_now_ns() -> int:
    """The wall clock now, in nanoseconds since the epoch."""
    return time.time_ns()
