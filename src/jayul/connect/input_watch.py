"""`jayul run` watches its inputs, so that it never runs blind without saying so.

Every few seconds `InputWatch.check` looks at:

- each signal: silent for longer than `connect.no_data.periods` sampling periods -> a "no data"
  alert for that signal (`NoDataWatch`, once per silence);
- each source: not connected (MQTT broker lost, no OPC UA session, Modbus polls failing) for
  longer than `connect.no_data.source_down_s` -> an `input_down` alert naming the source
  (`connect.sources[i]`) and its last error, once per outage, and an `input_up` event when it
  is back; the historian writer failing to store, the same;
- the plant: no sample from any source for `connect.no_data.stop_after_s` seconds (when set)
  -> `InputCheck.fatal`, and `jayul run` stops with that message and exit code 4 rather than
  deciding on data that no longer comes. A source that gave up for good (`Ingest.failure`)
  is fatal at once (exit code 1).

Alerts go to the historian (and so to the console's events) and to the log; `status()` is what
`GET /api/inputs` shows.
"""

from __future__ import annotations

import logging
import threading
from dataclasses import dataclass, field
from typing import Any

from jayul.connect.bindings import Bindings, NoData
from jayul.connect.ingest import Ingest
from jayul.connect.source_health import NoDataWatch
from jayul.records import Event, EventKind

log = logging.getLogger(__name__)
NO_DATA_EXIT = 4  # the exit code of `jayul run` stopped by silence
INGEST_EXIT = 1  # the exit code of `jayul run` stopped by a source or writer that gave up


@dataclass
class InputCheck:
    """What one check found: alerts to store, and why `jayul run` must stop (or None)."""

    events: list[Event] = field(default_factory=list)
    fatal: str | None = None
    exit_code: int = 0


def source_problem(source: object, polls_before: int | None) -> str | None:
    """Why a running source delivers nothing now, or None while it is connected.
    `polls_before`: a polling source's poll count at the last check (Modbus)."""
    connected = getattr(source, "connected", None) or getattr(source, "subscribed", None)
    stats = getattr(source, "stats", None)
    error = str(getattr(stats, "last_error", "") or "")
    if isinstance(connected, threading.Event):  # MQTT (subscribed), OPC UA (session)
        return None if connected.is_set() else (error or "not connected")
    polls = getattr(stats, "polls", None)
    if polls is not None and error and polls == polls_before:  # Modbus: polls failing
        return error
    return None


class InputWatch:
    """See the module docstring. Thread-safe: `check` runs on one thread, `status` on others."""

    def __init__(
        self, ingest: Ingest, bindings: Bindings, started_ns: int, settings: NoData | None = None
    ) -> None:
        self.ingest = ingest
        self.bindings = bindings
        self.settings = settings or bindings.connect.no_data
        self.started_ns = started_ns
        self.signals = NoDataWatch(
            ingest.intake.board,
            bindings.plant,
            started_ns,
            self.settings.periods,
            self.settings.signals,
        )
        self.down_since: dict[str, int] = {}  # source -> when it was first seen down
        self.alerted: set[str] = set()
        self.problems: dict[str, str] = {}
        self.fatal: str | None = None
        self.last_sample_ns = started_ns
        self._polls: dict[str, int] = {}
        self._lock = threading.Lock()

    def _names(self) -> list[tuple[str, object]]:
        out: list[tuple[str, object]] = []
        configs = [
            (i, c)
            for i, c in enumerate(self.bindings.connect.sources)
            if not (c.kind == "opcua" and getattr(c, "nodes", None) == [])
        ]  # the same sources, in the same order, as Ingest starts
        for (i, cfg), src in zip(configs, self.ingest.sources, strict=True):
            out.append((f"connect.sources[{i}] ({cfg.kind} {cfg.name})", src))
        return out

    def check(self, now_ns: int) -> InputCheck:
        found = InputCheck(self.signals.events(now_ns))
        gave_up = self.ingest.failure()
        if gave_up is not None:
            return self._stop(found, now_ns, f"ingestion stopped: {gave_up}", INGEST_EXIT)
        problems = {}
        for name, src in self._names():
            why = source_problem(src, self._polls.get(name))
            self._polls[name] = int(getattr(getattr(src, "stats", None), "polls", 0))
            if why is not None:
                problems[name] = why
        writer = self.ingest.writer.stats
        if writer.last_error:
            problems["historian writer"] = f"storing fails: {writer.last_error}"
        for name, why in problems.items():
            since = self.down_since.setdefault(name, now_ns)
            down_s = (now_ns - since) / 1e9
            if down_s >= self.settings.source_down_s and name not in self.alerted:
                self.alerted.add(name)
                reason = f"{name}: no input for {down_s:.0f} s: {why}"
                log.error("%s", reason)
                found.events.append(_event(now_ns, "input_down", name, reason, down_s))
        for name in list(self.down_since):
            if name not in problems:
                del self.down_since[name]
                if name in self.alerted:
                    self.alerted.discard(name)
                    log.warning("%s: input is back", name)
                    found.events.append(_event(now_ns, "input_up", name, f"{name}: back", 0.0))
        seen = [s.last_seen_ns for s in self._board_sources() if s.last_seen_ns is not None]
        self.last_sample_ns = max([self.started_ns, *seen])
        with self._lock:
            self.problems = problems
        limit = self.settings.stop_after_s
        silent_s = (now_ns - self.last_sample_ns) / 1e9
        if limit is not None and silent_s > limit:
            why = "; ".join(f"{k}: {v}" for k, v in problems.items()) or "every source connected"
            return self._stop(
                found,
                now_ns,
                f"no sample from any source for {silent_s:.0f} s (connect.no_data.stop_after_s "
                f"is {limit:g} s; {why}): stopping rather than running blind",
                NO_DATA_EXIT,
            )
        for e in found.events:
            if e.payload.get("detector") == "no_data":
                log.warning("%s: %s", e.machine, e.payload["reason"])
        return found

    def _board_sources(self) -> list[Any]:
        board = self.ingest.intake.board
        with board._lock:
            return list(board.sources.values())

    def _stop(self, found: InputCheck, now_ns: int, why: str, code: int) -> InputCheck:
        log.error("%s", why)
        found.events.append(_event(now_ns, "input_stopped", None, why, 0.0))
        found.fatal, found.exit_code = why, code
        with self._lock:
            self.fatal = why
        return found

    def status(self) -> dict[str, Any]:
        """What `GET /api/inputs` shows: problems now, the silence, per source and signal."""
        with self._lock:
            problems, fatal = dict(self.problems), self.fatal
        board = self.ingest.intake.board.snapshot()
        return {
            "ok": not problems and fatal is None and not self.signals.silent,
            "problems": problems,
            "silent_signals": sorted(f"{m}.{s}" for m, s in self.signals.silent),
            "last_sample_ns": self.last_sample_ns,
            "stop_after_s": self.settings.stop_after_s,
            "stopping": fatal,
            **board,
        }


def _event(now_ns: int, detector: str, source: str | None, reason: str, down_s: float) -> Event:
    return Event(
        time=now_ns,
        machine=None,
        kind=EventKind.ALERT,
        payload={"detector": detector, "source": source, "down_s": round(down_s, 1),
                 "reason": reason},
    )  # fmt: skip
