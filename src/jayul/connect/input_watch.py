"""`jayul run` watches its inputs, so that it never runs blind without saying so.

Every tick `InputWatch.check` looks at:

- each signal: silent for longer than `connect.no_data.periods` sampling periods -> a "no data"
  alert for that signal (`NoDataWatch`, once per silence);
- the plant: no sample from any source for `connect.no_data.stop_after_s` seconds (when set)
  -> `InputCheck.fatal` (with each source's connection state, `jayul.connect.links`), and
  `jayul run` stops with that message and exit code 4 rather than deciding on data that no
  longer comes. A source or the historian writer that gave up for good (`Ingest.failure`) is
  fatal at once (exit code 1).

Each source's connection drops and returns are the ingest's own link watch's alerts
(`jayul.connect.links`); `status()` adds what this watch knows to the device board.
"""

from __future__ import annotations

import logging
import threading
from dataclasses import dataclass, field
from typing import Any

from jayul.connect.bindings import Bindings, NoData
from jayul.connect.ingest import Ingest
from jayul.connect.source_health import NoDataWatch
from jayul.records import Event, EventKind, utc_now_ns

log = logging.getLogger(__name__)
NO_DATA_EXIT = 4  # the exit code of `jayul run` stopped by silence
INGEST_EXIT = 1  # the exit code of `jayul run` stopped by a source or writer that gave up


@dataclass
class InputCheck:
    """What one check found: alerts to store, and why `jayul run` must stop (or None)."""

    events: list[Event] = field(default_factory=list)
    fatal: str | None = None
    exit_code: int = 0


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
        self.fatal: str | None = None
        self.last_sample_ns = started_ns
        self._lock = threading.Lock()

    def problems(self, now_ns: int) -> dict[str, str]:
        """Each source not connected now: its state and last error."""
        return {
            s["id"]: f"{s['state']}" + (f": {s['last_error']}" if s["last_error"] else "")
            for s in self.ingest.links.states(now_ns)
            if s["state"] != "connected"
        }

    def check(self, now_ns: int) -> InputCheck:
        found = InputCheck(self.signals.events(now_ns))
        gave_up = self.ingest.failure()
        if gave_up is not None:
            return self._stop(found, now_ns, f"ingestion stopped: {gave_up}", INGEST_EXIT)
        seen = [s.last_seen_ns for s in self._board_sources() if s.last_seen_ns is not None]
        self.last_sample_ns = max([self.started_ns, *seen])
        limit = self.settings.stop_after_s
        silent_s = (now_ns - self.last_sample_ns) / 1e9
        if limit is not None and silent_s > limit:
            problems = self.problems(now_ns)
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
        found.events.append(_event(now_ns, "input_stopped", why))
        found.fatal, found.exit_code = why, code
        with self._lock:
            self.fatal = why
        return found

    def status(self) -> dict[str, Any]:
        """What this watch adds to the device board: the silence limit, the last sample, how
        long the plant has been silent and how long before `jayul run` stops for it, each
        source's input state (`source_inputs`), and whether all is well (every source
        connected, no signal silent, not stopping)."""
        with self._lock:
            fatal = self.fatal
        now = utc_now_ns()
        silent_s = max(0.0, (now - self.last_sample_ns) / 1e9)
        limit = self.settings.stop_after_s
        return {
            "ok": not self.problems(now) and fatal is None and not self.signals.silent,
            "silent_signals": sorted(f"{m}.{s}" for m, s in self.signals.silent),
            "last_sample_ns": self.last_sample_ns,
            "silent_s": round(silent_s, 1),
            "stop_after_s": limit,
            # None: no limit set, the watch alerts and keeps waiting
            "stops_in_s": None if limit is None else round(max(0.0, limit - silent_s), 1),
            "stopping": fatal,
            "sources": self.source_inputs(now),
        }

    def source_inputs(self, now_ns: int) -> list[dict[str, Any]]:
        """Each source's input: its last sample, how long it has been silent (since jayul
        started when it never spoke), and its state: `receiving`, `silent` (nothing for
        longer than the "no data" limit, `stale_after_s`), `never` (nothing yet, still within
        that limit) or `stopped` (the source gave up, or `jayul run` is stopping)."""
        gave_up = {s.link.id: getattr(s, "failure", None) for s in self.ingest.sources}
        with self._lock:
            stopping = self.fatal
        out = []
        for link in self.ingest.links.states(now_ns):
            last, limit = link["last_seen_ns"], link["stale_after_s"]
            silent_s = max(0.0, (now_ns - (last or self.started_ns)) / 1e9)
            why = gave_up.get(link["id"]) or stopping
            if why:
                state = "stopped"
            elif silent_s > limit:
                state = "silent"
            else:
                state = "never" if last is None else "receiving"
            out.append(
                {
                    "id": link["id"],
                    "state": state,
                    "last_sample_ns": last,
                    "silent_s": round(silent_s, 1),
                    "limit_s": limit,
                    "stopped": str(why) if why else None,
                }
            )
        return out


def _event(now_ns: int, detector: str, reason: str) -> Event:
    return Event(
        time=now_ns,
        machine=None,
        kind=EventKind.ALERT,
        payload={"detector": detector, "reason": reason},
    )
