"""Device and connection health: is each source reachable, and is each signal still talking?

- `check_sources(bindings)` is run before ingestion starts: it opens a TCP connection to every
  MQTT broker and Modbus device, and an OPC UA session to every server, where it reads every
  bound node, so that a wrong port or a misspelt node id is reported at once, naming the
  source (`connect.sources[i]`) and the node, rather than retried in silence.
- `HealthBoard` is fed by the intake with everything a source hands in: per source kind and per
  signal the last time something arrived, how many samples and dead letters, and the message
  rate over the last minute.
- `silent_signals(board, plant, now)`: the signals that said nothing for longer than N of their
  sampling periods (`Signal.period_s`; N from `connect.no_data`, per signal or a default), the
  "no data" condition, reported as one alert per silence.
"""

from __future__ import annotations

import asyncio
import socket
import threading
import time
from collections import deque
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import numpy.typing as npt

from jayul.connect.bindings import Bindings, ModbusSource, MqttSource, OpcUaSource
from jayul.plant import Plant
from jayul.records import Event, EventKind

RATE_WINDOW_S = 60.0


def _tcp_problem(host: str, port: int, timeout_s: float) -> str | None:
    try:
        with socket.create_connection((host, port), timeout=timeout_s):
            return None
    except OSError as exc:
        return exc.strerror or str(exc)


async def _opcua_problems(src: OpcUaSource, bindings: Bindings, timeout_s: float) -> list[str]:
    from asyncua import ua
    from asyncua.client.client import Client
    from asyncua.ua.uaerrors import UaStatusCodeError

    from jayul.connect.opcua_common import configure_client

    client = Client(src.endpoint, timeout=timeout_s)
    await configure_client(client, src.security, bindings.path.parent)
    try:
        async with client:
            problems = []
            for j, n in enumerate(src.nodes or []):
                node = client.get_node(ua.NodeId.from_string(n.node_id))
                try:
                    await node.read_browse_name()
                except UaStatusCodeError as exc:
                    problems.append(
                        f"nodes[{j}] ({n.machine}.{n.signal}): node {n.node_id} does not exist "
                        f"on the server ({type(exc).__name__})"
                    )
            return problems
    except (OSError, TimeoutError) as exc:
        return [f"cannot open a session: {exc or type(exc).__name__}"]


def check_sources(bindings: Bindings, timeout_s: float = 3.0) -> list[str]:
    """Problems that would keep a source from delivering, one line each ([] when all is well)."""
    problems: list[str] = []
    for i, src in enumerate(bindings.connect.sources):
        where = f"connect.sources[{i}] ({src.kind} {src.name})"
        if isinstance(src, MqttSource | ModbusSource):
            why = _tcp_problem(src.host, src.port, timeout_s)
            if why is not None:
                what = "broker" if isinstance(src, MqttSource) else "device"
                problems.append(
                    f"{where}: the {what} at {src.host}:{src.port} cannot be reached ({why}); "
                    "is it running, and are host and port right?"
                )
        elif isinstance(src, OpcUaSource):
            found = asyncio.run(_opcua_problems(src, bindings, timeout_s))
            problems.extend(f"{where} {src.endpoint}: {p}" for p in found)
    return problems


@dataclass
class Seen:
    """What arrived from one source or signal."""

    last_seen_ns: int | None = None
    samples: int = 0
    errors: int = 0
    arrivals: deque[float] = field(default_factory=deque)  # wall-clock times, for the rate

    def note(self, now_wall: float, now_ns: int, samples: int, errors: int) -> None:
        if samples:
            self.last_seen_ns = now_ns
        self.samples += samples
        self.errors += errors
        self.arrivals.append(now_wall)
        while self.arrivals and self.arrivals[0] < now_wall - RATE_WINDOW_S:
            self.arrivals.popleft()

    def rate_per_s(self, now_wall: float) -> float:
        recent = [t for t in self.arrivals if t >= now_wall - RATE_WINDOW_S]
        return len(recent) / RATE_WINDOW_S

    def as_dict(self, now_wall: float) -> dict[str, Any]:
        return {
            "last_seen_ns": self.last_seen_ns,
            "samples": self.samples,
            "errors": self.errors,
            "messages_per_s": round(self.rate_per_s(now_wall), 3),
        }


class HealthBoard:
    """Per source kind and per signal: last seen, counts, message rate (thread-safe)."""

    def __init__(self) -> None:
        self.sources: dict[str, Seen] = {}
        self.signals: dict[tuple[str, str], Seen] = {}
        self._lock = threading.Lock()

    def record(
        self,
        source: str,
        machine: str | None,
        signals: npt.NDArray[np.object_],
        dead: int,
        now_ns: int,
    ) -> None:
        kind = source.split(":", 1)[0]
        wall = time.monotonic()
        per_signal: list[tuple[str, int]] = []
        if len(signals):
            names, counts = np.unique(signals, return_counts=True)
            per_signal = [(str(x), int(n)) for x, n in zip(names, counts, strict=True)]
        with self._lock:
            self.sources.setdefault(kind, Seen()).note(wall, now_ns, len(signals), dead)
            if machine is not None:
                for s, n in per_signal:
                    self.signals.setdefault((machine, s), Seen()).note(wall, now_ns, n, 0)

    def snapshot(self) -> dict[str, Any]:
        wall = time.monotonic()
        with self._lock:
            return {
                "sources": {k: v.as_dict(wall) for k, v in self.sources.items()},
                "signals": {f"{m}.{s}": v.as_dict(wall) for (m, s), v in self.signals.items()},
            }


def silent_signals(
    board: HealthBoard,
    plant: Plant,
    now_ns: int,
    started_ns: int,
    periods: float = 5.0,
    per_signal: dict[str, float] | None = None,
) -> list[tuple[str, str, float]]:
    """(machine, signal, seconds silent) of every signal silent longer than its limit: `periods`
    sampling periods, or `per_signal["machine.signal"]` periods. A signal never seen counts
    from `started_ns` (when ingestion began)."""
    out = []
    with board._lock:
        seen = {k: v.last_seen_ns for k, v in board.signals.items()}
    for m in plant.machines:
        for s in plant.machine_type(m.id).signals:
            n = (per_signal or {}).get(f"{m.id}.{s.id}", periods)
            last = seen.get((m.id, s.id)) or started_ns
            silent_s = (now_ns - last) / 1e9
            if silent_s > n * s.period_s:
                out.append((m.id, s.id, silent_s))
    return out


class NoDataWatch:
    """One "no data" alert per silence of a signal (again only after it spoke in between)."""

    def __init__(
        self,
        board: HealthBoard,
        plant: Plant,
        started_ns: int,
        periods: float = 5.0,
        per_signal: dict[str, float] | None = None,
    ) -> None:
        self.board = board
        self.plant = plant
        self.started_ns = started_ns
        self.periods = periods
        self.per_signal = per_signal or {}
        self.silent: set[tuple[str, str]] = set()

    def events(self, now_ns: int) -> list[Event]:
        found = silent_signals(
            self.board, self.plant, now_ns, self.started_ns, self.periods, self.per_signal
        )
        now_silent = {(m, s) for m, s, _ in found}
        out = []
        for m, s, silent_s in found:
            if (m, s) in self.silent:
                continue
            period = next(x.period_s for x in self.plant.machine_type(m).signals if x.id == s)
            n = self.per_signal.get(f"{m}.{s}", self.periods)
            out.append(
                Event(
                    time=now_ns,
                    machine=m,
                    kind=EventKind.ALERT,
                    payload={
                        "detector": "no_data",
                        "signal": s,
                        "silent_s": round(silent_s, 1),
                        "limit_s": n * period,
                        "reason": f"no data from {s} for {silent_s:.0f} s "
                        f"(more than {n:g} sampling periods of {period:g} s)",
                    },
                )
            )
        self.silent = now_silent
        return out
