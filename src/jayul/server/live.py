"""The live plant behind the API: the autopilot ticking in a background thread, paced to the
wall clock, and thread-safe access to what it knows.

One lock (`LiveState.lock`) guards the twin, the gate and the plant database connection the
gate, governance and users share: the runner holds it for one tick, an API write (approve,
autonomy, kill) holds it for its change, so a person's decision and the loop never interleave.
Verifying an action is the one long stretch (a week of sampled futures on forks of the twin):
the fork is taken under the lock, the futures run with the lock let go (`unlocked`), and the
verdict is gated under it again, so approvals, alarms and exports do not wait for a twin. Ticks
never overlap: a second lock (`_ticking`) runs one at a time even while one has let go.
What the console reads many times a second (machine states, KPIs, recent rows) comes from a
snapshot published after every tick and from the signal rings, without taking the lock.
"""

from __future__ import annotations

import threading
import time
from collections import deque
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

from jayul.autopilot import Autopilot, HealthMonitor, PlantPort
from jayul.connect.input_watch import InputWatch
from jayul.connect.notify import Notifier
from jayul.decide.plan import Plan
from jayul.gate import AutonomyLevel, Gate, Origins, RateLimiter
from jayul.govern.audit import AuditLog
from jayul.govern.db import Connection, as_connection
from jayul.govern.registry import Registry
from jayul.historian.base import Historian
from jayul.plant.model import Plant
from jayul.records.timebase import NS_PER_H
from jayul.server.alarm_feed import AlarmFeed
from jayul.server.derived import derived_samples
from jayul.server.replays import ProposalReplays
from jayul.server.soft_sensor_view import SoftSensorPanel
from jayul.server.tap import LiveTap, finite_or_none
from jayul.server.throttle import LoginThrottle
from jayul.server.users import Sessions, UserStore

MANUAL_ORIGIN = "console"  # the origin of actions a person proposes through the API
# The origin of actions an AI agent proposes (role `agent`, through `jayul mcp`), and its
# autonomy ceiling: at L2 at most, every agent proposal that passes the checks waits for a
# person. The ceiling is set here and by whoever starts the server, never by an agent.
AGENT_ORIGIN = "agent"
AGENT_CEILING = AutonomyLevel.L2
AGENT_PROPOSALS_PER_MINUTE = 20  # per agent account, wall clock

BEYOND_CAP = 0.95  # a median RUL at or above this share of the models' cap reads "> N h"
RulProvider = Callable[[str], dict[str, Any] | None]
"""Machine id -> RUL distribution as JSON ({"median_h", "low_h", "high_h", "level", ...})."""
PlanProvider = Callable[[], Plan | None]


@dataclass
class Snapshot:
    """What the loop knew after its last tick, as plain JSON-ready values."""

    now_ns: int = 0
    now_h: float = 0.0
    machines: list[dict[str, Any]] = field(default_factory=list)
    kpis: dict[str, Any] = field(default_factory=dict)
    counters: dict[str, Any] = field(default_factory=dict)


class LiveState:
    """The plant, its autopilot and the stores the API reads and writes."""

    def __init__(
        self,
        plant: Plant,
        pilot: Autopilot,
        historian: Historian | None,
        db: str | Connection,
        speed: float = 60.0,
        gate: Gate | None = None,
        rul_provider: RulProvider | None = None,
        plan_provider: PlanProvider | None = None,
        approval_timeout_wall_s: float = 900.0,
    ) -> None:
        self.plant = plant
        self.pilot = pilot
        self.port: PlantPort = pilot.plant  # the twin or connected equipment
        self.historian = historian
        self.speed = speed
        self.gate = gate if gate is not None else pilot.gate
        self.lock = threading.RLock()
        self._ticking = threading.Lock()  # taken before `lock`, by `tick` alone
        if self.gate is not None:
            self.con = self.gate.con
            self.audit = self.gate.audit
            # The gate's timeouts are in plant time; a paced twin runs `speed` times faster
            # than a person reads, so give people at least this much wall-clock time.
            wanted = int(approval_timeout_wall_s * speed * 1e9)
            self.gate.approvals.timeout_ns = max(self.gate.approvals.timeout_ns, wanted)
            if MANUAL_ORIGIN not in self.gate.origins:
                self.gate.origins.register(MANUAL_ORIGIN)
            if AGENT_ORIGIN not in self.gate.origins:
                self.gate.origins.register(AGENT_ORIGIN, AGENT_CEILING)
        else:
            self.con = as_connection(db)
            self.audit = AuditLog(self.con, flush_every=1)
        self.registry = Registry(self.con, self.audit)
        self.users = UserStore(self.con, self.audit)
        self.sessions = Sessions()
        self.login_throttle = LoginThrottle()  # per client and account
        # proposals per agent account per wall-clock minute (the gate limits per machine)
        self.agent_rate = RateLimiter(AGENT_PROPOSALS_PER_MINUTE, 60 * 10**9)
        self.client_throttle = LoginThrottle(max_failures=30)  # per client, any account
        self.proposal_replays = ProposalReplays()  # answers by idempotency key
        monitor = pilot.monitor or HealthMonitor(plant)
        self.tap = monitor if isinstance(monitor, LiveTap) else LiveTap(monitor)
        pilot.monitor = self.tap
        # the product analyser's soft sensor, on a continuous process only (fitted lazily)
        self.soft_sensor = SoftSensorPanel(plant) if plant.process is not None else None
        # Alerts, actions and maintenance events reach the historian at each flush: every few
        # ticks, so the console's event views lag by seconds, not by a simulated day.
        pilot.flush_every = min(pilot.flush_every, 5)
        self.alarms = AlarmFeed(self)  # alerts and rule hits -> one alarm per problem
        self.notifier: Notifier | None = None
        # connected equipment (`jayul run`): the ingest's device-health board; None for a twin
        self.devices: Callable[[], dict[str, Any]] | None = None
        self.inputs: InputWatch | None = None  # real equipment's input watch (`jayul run`)
        self.rul_provider = rul_provider
        if rul_provider is None and pilot.rul_monitor is not None:
            self.rul_provider = self._from_rul_monitor
        self._rul: dict[str, dict[str, Any] | None] = {}
        self.plan_provider = plan_provider
        if plan_provider is None and hasattr(pilot.policy, "plan_"):
            # the predictive policy keeps the plan in force; the console shows that plan
            policy = pilot.policy
            self.plan_provider = lambda: getattr(policy, "plan_", None)
        self.kpi_history: deque[dict[str, Any]] = deque(maxlen=2000)
        self.snapshot = Snapshot()
        self.started_wall = time.time()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self.tick_errors = 0
        self.last_error = ""
        self.publish()

    # -- the loop -------------------------------------------------------------------------

    def tick(self) -> None:
        """One autopilot tick and a fresh snapshot."""
        with self._ticking, self.lock:
            self.pilot.tick(self.unlocked)
            self.alarms.after_tick()
            self.publish()
            if self.historian is not None:
                self.historian.append_samples(derived_samples(self))

    @contextmanager
    def unlocked(self) -> Iterator[None]:
        """Let go of `lock`, taken once by this thread, for work that touches nothing it
        guards (a twin's futures on a fork), and take it again after. Taken more than once
        (a caller that nested it), the lock stays held: slower for others, never unsafe."""
        self.lock.release()
        try:
            yield
        finally:
            self.lock.acquire()

    def warm_up(self, hours: float, until: Callable[[], bool] | None = None) -> None:
        """Run `hours` of plant time as fast as possible (e.g. the detectors' training
        period), stopping early when `until()` becomes true."""
        end = self.port.now_h + hours
        while self.port.now_h < end - 1e-9:
            self.tick()
            if until is not None and until():
                break
        with self.lock:
            self.pilot.flush()

    def start(self) -> None:
        """Tick in a background thread, one tick per `tick_h * 3600 / speed` wall seconds."""
        if self._thread is not None:
            return
        self._stop.clear()
        self._thread = threading.Thread(target=self._run, name="jayul-autopilot", daemon=True)
        self._thread.start()

    def attach_notifier(self, notifier: Notifier) -> None:
        """Notify alarms through `notifier`'s channels (delivered by its own thread): the open
        ones nobody acknowledged (raised in the warm-up or the last run), then each new one."""
        notifier.lines = {m.id: m.line for m in self.plant.machines}
        notifier.lookup = self.alarms.board.by_id.get  # escalations check the live alarm
        with self.lock:  # nothing raised between catching up and listening
            notifier.catch_up(self.alarms.board.alarms())
            self.alarms.board.listeners.append(notifier.on_alarm)
        self.notifier = notifier
        notifier.start()

    def stop(self) -> None:
        if self.notifier is not None:
            self.notifier.stop()
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=30)
            self._thread = None
        with self.lock:
            self.pilot.flush()
            self.audit.flush()

    def _run(self) -> None:
        period = self.pilot.tick_h * 3600.0 / self.speed
        next_at = time.monotonic()
        while not self._stop.is_set():
            try:
                self.tick()
            except Exception as exc:  # keep serving: the console shows the error
                self.tick_errors += 1
                self.last_error = f"{type(exc).__name__}: {exc}"
            next_at += period
            delay = next_at - time.monotonic()
            if delay < -5 * period:  # fell far behind (a slow tick): do not try to catch up
                next_at = time.monotonic()
            self._stop.wait(max(delay, 0.0))

    # -- what the API reads -----------------------------------------------------------------

    def publish(self) -> None:
        """Build the snapshot from the plant, the monitor and the gate (caller holds the lock
        or nothing else runs yet)."""
        port, tap = self.port, self.tap
        readings = port.machines()
        machines = []
        for spec in self.plant.machines:
            m = readings[spec.id]
            mh = tap.machines[spec.id]
            last = mh.last_alert
            machines.append(
                {
                    "id": spec.id,
                    "type": spec.type,
                    "line": spec.line,
                    "status": m.state.value,
                    "fitted": tap.fitted(spec.id),
                    "indicator": finite_or_none(mh.indicator) if tap.fitted(spec.id) else None,
                    "suspect_mode": mh.suspect_mode,
                    "alert_active": last is not None,
                    "pending_maintenance": list(m.pending_work),
                    "failed_mode": m.failed_mode,
                    "run_hours_since": {k: round(v, 1) for k, v in m.run_hours_since.items()},
                    "setpoints": dict(m.setpoints),
                }
            )
        measured = port.kpis()  # None on real equipment: the twin's ledger has no counterpart
        kpis = measured.as_dict() if measured is not None else {}
        c = self.pilot.counters
        counters: dict[str, Any] = {
            "alerts": c.alerts,
            "actions_proposed": c.actions_proposed,
            "actions_executed": c.actions_executed,
            "actions_declined": c.actions_declined,
            "samples": c.samples,
            "tick_errors": self.tick_errors,
        }
        if self.gate is not None:
            counters["gate"] = self.gate.counters()
        now_ns, now_h = port.time_ns(), port.now_h
        last_h = self.kpi_history[-1].get("hours", -1.0) if self.kpi_history else -1.0
        if kpis and (now_h - last_h >= 1.0 - 1e-9 or not self.kpi_history):
            self.kpi_history.append({"time": now_ns, **kpis})
        if self.rul_provider is not None:
            self._rul = {m.id: self.rul_provider(m.id) for m in self.plant.machines}
        counters["notices"] = list(self.pilot.notices)
        self.snapshot = Snapshot(now_ns, now_h, machines, kpis, counters)

    def machine_ids(self) -> list[str]:
        return [m.id for m in self.plant.machines]

    def rul(self, machine: str) -> dict[str, Any] | None:
        """The RUL computed at the last tick (computing it reads the loop's state)."""
        return self._rul.get(machine)

    def _from_rul_monitor(self, machine: str) -> dict[str, Any] | None:
        """The autopilot's RUL monitor as JSON: per failure mode the 10/50/90 % quantiles in
        plant hours; the machine's figure is the mode that is soonest expected to fail."""
        views = self.pilot.rul_monitor.view(machine) if self.pilot.rul_monitor else None
        if not views:
            return None
        cap = self.rul_cap_h()
        modes = {
            mode: {
                "median_h": v.p50,
                "low_h": v.p10,
                "high_h": v.p90,
                "age_h": v.age_h,
                "cap_h": cap,
                # the model learned lives capped at `cap`: a median this near it says "at
                # least", not "this long"
                "beyond": cap is not None and v.p50 >= BEYOND_CAP * cap,
            }
            for mode, v in views.items()
        }
        soonest = min(modes, key=lambda m: views[m].p50)
        return {**modes[soonest], "mode": soonest, "level": 0.8, "modes": modes}

    def rul_cap_h(self) -> float | None:
        """The longest life the RUL models were trained to tell (their label cap), if any."""
        monitor = self.pilot.rul_monitor
        settings = getattr(getattr(monitor, "models", None), "settings", None)
        cap = getattr(settings, "cap", None)
        return float(cap) if cap is not None else None

    def plan(self) -> Plan | None:
        return self.plan_provider() if self.plan_provider is not None else self.port.plan()

    def epoch_ns(self) -> int:
        """The instant plant hour 0 stands for (plans count hours from it)."""
        return self.port.time_ns() - round(self.port.now_h * NS_PER_H)

    @property
    def origins(self) -> Origins | None:
        return self.gate.origins if self.gate is not None else None
