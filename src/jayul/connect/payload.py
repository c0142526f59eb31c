"""The MQTT topic and JSON payload scheme (docs/connect.md), parsed into candidate samples.

Topics, under a root (default ``jayul/<plant>``):

- ``<root>/<machine>/<signal>``: one sample ``{"t": 1767225600000000000, "v": 42.1, "q": 0}``
  or several of that signal ``{"samples": [{"t": ..., "v": ...}, ...]}``;
- ``<root>/<machine>``: a batch of that machine ``{"samples": [{"signal": "flow", "t": ...,
  "v": ...}, ...]}``;
- ``<root>/<machine>/cmd`` is the command topic of the MQTT sink, ignored by the source.

``t`` is integer nanoseconds since the epoch (UTC) or an ISO 8601 string with a zone; ``v`` a
number; ``q`` (optional, default 0) a quality code 0 good, 1 uncertain, 2 bad. A message that
cannot be read at all (oversize, not JSON, wrong shape, unknown topic) becomes one dead letter
with its raw bytes; a sample with wrong types becomes one dead letter of its own, and the rest
of its batch is kept. The `Intake` runs `parse` under a guard (`Intake.put_message`), so an
exception this module does not foresee dead-letters its message too.
"""

from __future__ import annotations

import json
import reprlib
from datetime import datetime
from typing import Any

import numpy as np

from jayul.connect.validate import Candidates
from jayul.historian.base import DeadLetter
from jayul.records import to_ns, utc_now_ns

COMMAND_SUFFIX = "cmd"
_NUMBER = (int, float)


def _time_ns(t: Any) -> int | None:
    if type(t) is int:
        return t if -(2**63) <= t < 2**63 else None
    if isinstance(t, str):
        try:
            moment = datetime.fromisoformat(t)
            ns = to_ns(moment) if moment.tzinfo is not None else None
        except (ValueError, OverflowError):
            return None
        # a valid ISO time can still lie outside int64 nanoseconds (year 9999, year 1)
        return ns if ns is not None and -(2**63) <= ns < 2**63 else None
    return None


def _raw_item(item: Any) -> bytes:
    """One sample's raw JSON for its dead letter (bounded: deep or giant items are cut)."""
    try:
        raw = json.dumps(item, default=repr).encode()
    except (ValueError, RecursionError, TypeError):
        raw = reprlib.repr(item).encode("utf-8", "backslashreplace")
    return raw if len(raw) <= 65_536 else raw[:65_536]


def _item_problem(item: Any, need_signal: bool) -> str | None:
    """Why one sample object is unusable, or None."""
    if not isinstance(item, dict):
        return "sample is not a JSON object"
    if need_signal and not isinstance(item.get("signal"), str):
        return "sample has no string 'signal'"
    if _time_ns(item.get("t")) is None:
        return "'t' is not integer nanoseconds or an ISO 8601 time with a zone"
    v = item.get("v")
    if type(v) not in _NUMBER:
        return "'v' is not a number"
    if type(v) is int and abs(v) > 1e300:
        return "'v' is too large for a float"
    if type(item.get("q", 0)) is not int:
        return "'q' is not an integer"
    return None


class PayloadParser:
    """Turns (topic, payload) into candidate samples and dead letters."""

    def __init__(self, topic_root: str, max_message_bytes: int) -> None:
        self.root = topic_root.rstrip("/") + "/"
        self.max_message_bytes = max_message_bytes

    def parse(self, topic: str, payload: bytes) -> tuple[Candidates | None, list[DeadLetter]]:
        """Candidates of one message (one machine), and dead letters for what is unusable."""
        source = f"mqtt:{topic}"

        def reject(reason: str) -> tuple[None, list[DeadLetter]]:
            raw = payload if len(payload) <= 65_536 else payload[:65_536]
            return None, [DeadLetter(utc_now_ns(), source, reason, bytes(raw))]

        if len(payload) > self.max_message_bytes:
            return reject(
                f"message of {len(payload)} bytes exceeds {self.max_message_bytes} "
                "(raw bytes truncated to 64 KiB)"
            )
        if not topic.startswith(self.root):
            return reject(f"topic outside {self.root}#")
        parts = topic[len(self.root) :].split("/")
        if len(parts) not in (1, 2) or not all(parts):
            return reject("topic is not <root>/<machine> or <root>/<machine>/<signal>")
        machine = parts[0]
        signal = parts[1] if len(parts) == 2 else None
        try:
            body = json.loads(payload.decode("utf-8"))  # strict: bytes json.loads passes surrogates
        except (ValueError, RecursionError) as exc:
            # ValueError: bad UTF-8, bad JSON, an integer of more than 4300 digits;
            # RecursionError: arrays or objects nested deeper than the interpreter's stack
            why = "nested too deeply" if isinstance(exc, RecursionError) else str(exc)
            return reject(f"not JSON: {why}")
        if isinstance(body, dict) and "samples" in body:
            items = body["samples"]
            if not isinstance(items, list):
                return reject("'samples' is not a list")
        elif isinstance(body, dict) and signal is not None:
            items = [body]
        else:
            return reject("expected {'samples': [...]} or, on a signal topic, one sample object")
        return self._items(machine, signal, items, source)

    def _items(
        self, machine: str, signal: str | None, items: list[Any], source: str
    ) -> tuple[Candidates | None, list[DeadLetter]]:
        need_signal = signal is None
        try:  # fast path: every item well typed, times as integers
            names = [it["signal"] for it in items] if need_signal else [signal] * len(items)
            ts = [it["t"] for it in items]
            vs = [it["v"] for it in items]
            qs = [it.get("q", 0) for it in items]
            if (
                {type(x) for x in names} <= {str}
                and {type(x) for x in ts} <= {int}
                and {type(x) for x in vs} <= {int, float}
                and {type(x) for x in qs} <= {int}
            ):
                c = Candidates(
                    machine,
                    names,  # type: ignore[arg-type, unused-ignore]  # mypy 1 and 2 differ
                    np.asarray(ts, dtype=np.int64),
                    np.asarray(vs, dtype=np.float64),
                    np.asarray(qs, dtype=np.int64),
                )
                return c, []
        except (TypeError, KeyError, AttributeError, OverflowError):
            pass
        return self._items_one_by_one(machine, signal, items, source)

    def _items_one_by_one(
        self, machine: str, signal: str | None, items: list[Any], source: str
    ) -> tuple[Candidates | None, list[DeadLetter]]:
        names: list[str] = []
        ts: list[int] = []
        vs: list[float] = []
        qs: list[int] = []
        dead = []
        now = utc_now_ns()
        for item in items:
            problem = _item_problem(item, signal is None)
            if problem is not None:
                dead.append(DeadLetter(now, source, problem, _raw_item(item)))
                continue
            t = _time_ns(item["t"])
            assert t is not None
            names.append(signal if signal is not None else item["signal"])
            ts.append(t)
            vs.append(float(item["v"]))
            q = item.get("q", 0)
            qs.append(q if -(2**62) < q < 2**62 else -1)
        if not names:
            return None, dead
        c = Candidates(
            machine,
            names,
            np.asarray(ts, dtype=np.int64),
            np.asarray(vs, dtype=np.float64),
            np.asarray(qs, dtype=np.int64),
        )
        return c, dead
