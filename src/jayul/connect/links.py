"""The connection of each source while jayul runs: connected, stale or disconnected.

Each running source owns a `Link` and says what happens to its connection: `connected()` when
a session is up (MQTT: subscribed; OPC UA: subscribed; Modbus: a poll answered), `dropped(why,
retry_in_s)` when it fails (with the backoff wait before the next try), `seen()` whenever data
arrives. `LinkBoard.states(now)` reads them as one state per source:

- `connecting`: never connected yet (and no failure so far);
- `connected`: up, and data arrived within `stale_after_s` (or up for less than that);
- `stale`: up, but nothing arrived for longer than `stale_after_s` (a gateway that stopped
  publishing while the connection stands). MQTT only: an OPC UA server reports changes only,
  so a value that holds still is not silence (its session is probed instead), and a Modbus
  poll that answers is data;
- `disconnected`: down since `since_ns`, with the reason and when the next try is.

`LinkWatch.events(now)` turns each change of state into one alert event (detector
`connection`), so that a drop is recorded with its time and reason, and its end too (the first
connection is not an event; a first failure to connect is). A drop and reconnection between
two looks is still told, by the link's count of drops.
How soon a drop is noticed depends on the protocol; docs/connect.md gives the bounds.
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass
from typing import Any

from jayul.records import Event, EventKind, utc_now_ns


@dataclass
class Link:
    """The connection of one source (see module doc); thread-safe enough for counters and
    single assignments from the source's own thread, read by others."""

    id: str  # connect.sources[i]
    kind: str  # mqtt, opcua, modbus
    address: str  # host:port or endpoint
    up: bool = False
    since_ns: int | None = None  # when the current state (up or down) began
    last_seen_ns: int | None = None  # when data last arrived
    last_error: str = ""
    connects: int = 0
    drops: int = 0
    retry_at: float | None = None  # wall-clock time of the next try while down
    can_go_stale: bool = False  # silence means trouble (module doc)
    stale_after_s: float | None = None  # its own limit (its signals' periods); None: the board's

    def connected(self) -> None:
        self.up, self.since_ns, self.retry_at = True, utc_now_ns(), None
        self.connects += 1

    def dropped(self, why: str, retry_in_s: float | None = None) -> None:
        if self.up or self.since_ns is None:
            self.since_ns = utc_now_ns()
            self.drops += 1 if self.up else 0
        self.up, self.last_error = False, why
        self.retry_at = time.time() + retry_in_s if retry_in_s is not None else None

    def seen(self, now_ns: int | None = None) -> None:
        self.last_seen_ns = now_ns if now_ns is not None else utc_now_ns()


class LinkBoard:
    """Every source's `Link`, read as states (module doc)."""

    def __init__(self, links: list[Link], stale_after_s: float = 60.0) -> None:
        self.links = links
        self.stale_after_s = stale_after_s
        self.started_ns = utc_now_ns()

    def state(self, link: Link, now_ns: int) -> str:
        if not link.up:
            return "disconnected" if link.last_error else "connecting"
        last = max(link.last_seen_ns or 0, link.since_ns or 0)
        silent = link.can_go_stale and (now_ns - last) / 1e9 > self.limit_s(link)
        return "stale" if silent else "connected"

    def limit_s(self, link: Link) -> float:
        """How long `link` may be silent before it reads stale."""
        return link.stale_after_s if link.stale_after_s is not None else self.stale_after_s

    def states(self, now_ns: int | None = None) -> list[dict[str, Any]]:
        now = now_ns if now_ns is not None else utc_now_ns()
        out = []
        for x in self.links:
            retry = None if x.retry_at is None else round(max(x.retry_at - time.time(), 0.0), 1)
            out.append(
                {
                    "id": x.id,
                    "kind": x.kind,
                    "address": x.address,
                    "state": self.state(x, now),
                    "since_ns": x.since_ns,
                    "last_seen_ns": x.last_seen_ns,
                    "last_error": x.last_error,
                    "connects": x.connects,
                    "drops": x.drops,
                    "retry_in_s": retry,
                    "stale_after_s": self.limit_s(x),
                }
            )
        return out


class LinkWatch:
    """One alert event per change of a source's state (module doc)."""

    def __init__(self, board: LinkBoard) -> None:
        self.board = board
        self.last: dict[str, str] = {}
        self.drops: dict[str, int] = {}
        self._lock = threading.Lock()

    def events(self, now_ns: int | None = None) -> list[Event]:
        now = now_ns if now_ns is not None else utc_now_ns()
        out = []
        with self._lock:
            for s in self.board.states(now):
                before = self.last.get(s["id"], "connecting")
                self.last[s["id"]] = s["state"]
                dropped = s["drops"] > self.drops.get(s["id"], 0)
                self.drops[s["id"]] = s["drops"]
                if dropped and s["state"] != "disconnected":
                    # down and up again between two looks: the drop is still told
                    down = {**s, "state": "disconnected", "retry_in_s": None}
                    out.append(
                        Event(time=now, kind=EventKind.ALERT, payload=_payload(down, "connected"))
                    )
                    before = "disconnected"
                elif dropped:
                    before = "connected"  # it was up since the last look, however briefly
                first = before == "connecting" and s["state"] == "connected"
                if s["state"] == before or first:
                    continue  # the first connection is not news; a first failure is
                out.append(Event(time=now, kind=EventKind.ALERT, payload=_payload(s, before)))
        return out


def _payload(s: dict[str, Any], before: str) -> dict[str, Any]:
    where = f"{s['id']} ({s['kind']} {s['address']})"
    if s["state"] == "disconnected":
        retry = f"; retrying in {s['retry_in_s']:g} s" if s["retry_in_s"] is not None else ""
        reason = f"{where} disconnected: {s['last_error']}{retry}"
    elif s["state"] == "stale":
        reason = f"{where} connected but silent for more than {s['stale_after_s']:g} s"
    else:
        reason = f"{where} {'reconnected' if before != 'stale' else 'delivering again'}"
    return {
        "detector": "connection",
        "source": s["id"],
        "kind": s["kind"],
        "address": s["address"],
        "state": s["state"],
        "previous": before,
        "last_seen_ns": s["last_seen_ns"],
        "reason": reason,
    }
