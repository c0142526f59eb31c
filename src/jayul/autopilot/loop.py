"""The autopilot: source -> historian -> health -> policy -> (gate) -> executor, tick by tick."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from jayul.autopilot.counters import Counters
from jayul.autopilot.executor import ActionExecutor, TwinExecutor
from jayul.autopilot.monitor import HealthMonitor
from jayul.decide.policy import MachineView, Observation, Policy
from jayul.historian.base import Historian
from jayul.records import Action, Alert, Event, EventKind, Samples
from jayul.twin import Twin
from jayul.twin.kpis import Kpis

if TYPE_CHECKING:  # imported lazily: the RUL models pull in LightGBM
    from jayul.autopilot.rul_monitor import RulMonitor


class Autopilot:
    """Runs a plant (here the twin) under a policy, with monitoring and a record of it all."""

    def __init__(
        self,
        twin: Twin,
        policy: Policy,
        *,
        historian: Historian | None = None,
        monitor: HealthMonitor | None = None,
        executor: ActionExecutor | None = None,
        tick_h: float = 1.0,
        flush_every: int = 24,
        repropose_after_h: float = 24.0,
        rul_monitor: RulMonitor | None = None,
    ) -> None:
        self.twin = twin
        self.policy = policy
        self.historian = historian
        self.monitor = monitor
        self.rul_monitor = rul_monitor  # live RUL per machine and failure mode, when given
        self.executor: ActionExecutor = executor or TwinExecutor(twin)
        self.tick_h = tick_h
        self.flush_every = flush_every  # ticks between historian writes: big batches are cheap
        # A proposal that was not carried out (refused, waiting for a person, declined) is not
        # proposed again for this long: the gate and the verifier are not asked every tick.
        self.repropose_after_h = repropose_after_h
        self._quiet_until: dict[tuple[str, str, str], float] = {}
        self.counters = Counters()
        self._pending_samples: list[Samples] = []
        self._pending_events: list[Event] = []
        self._ticks = 0

    def observe(self, alerts: list[Alert]) -> Observation:
        indicators = self.monitor.indicators() if self.monitor else {}
        views = {}
        for mid, m in self.twin.machines.items():
            suspect = self.monitor.machines[mid].suspect_mode if self.monitor else None
            views[mid] = MachineView(
                id=mid,
                type=m.type,
                status=m.status.value,
                run_hours_since=dict(m.run_hours_since),
                pending_maintenance=tuple(m.pending_maintenance),
                indicator=indicators.get(mid),
                suspect_mode=suspect,
                rul=self.rul_monitor.view(mid) if self.rul_monitor else None,
            )
        return Observation(self.twin.time_ns(), self.twin.now_h, views, tuple(alerts))

    def tick(self) -> None:
        """One step of the loop."""
        self.twin.step(self.tick_h)
        on_tick = getattr(self.executor, "on_tick", None)
        if on_tick is not None:
            on_tick()
        samples = self.twin.drain_samples() if self.twin.signals else None
        events = self.twin.drain_events()
        alerts: list[Alert] = []
        if samples is not None and len(samples):
            self.counters.samples += len(samples)
            self._pending_samples.append(samples)
            if self.monitor is not None:
                states = self.twin.drain_operating_states()
                alerts = self.monitor.update(samples, states=states)
        if self.monitor is not None:
            for e in events:
                if e.kind in (EventKind.MAINTENANCE_END, EventKind.REPAIR_END) and e.machine:
                    self.monitor.reset_machine(e.machine)
        if self.rul_monitor is not None:
            self.rul_monitor.update(samples, events, self.twin.time_ns())
        self.counters.note_alerts(alerts)
        actions = self.policy.decide(self.twin.plant, self.observe(alerts))
        records: list[Event] = [*events, *(a.to_event() for a in alerts)]
        record = getattr(self.executor, "record", None)
        if record is not None and alerts:
            record(records[len(events) :])  # the alerts, into the gate's audit trail
        for action in actions:
            key = (action.machine, action.kind.value, str(sorted(action.params.items())))
            if self._quiet_until.get(key, -1.0) > self.twin.now_h:
                continue
            records.append(action.to_event())
            if not self._carry_out(action):
                self._quiet_until[key] = self.twin.now_h + self.repropose_after_h
        drain = getattr(self.executor, "drain_events", None)
        if drain is not None:
            records.extend(drain())
        self.counters.events += len(records)
        self._pending_events.extend(records)
        self._ticks += 1
        if self._ticks % self.flush_every == 0:
            self.flush()

    def flush(self) -> None:
        """Write what the loop has buffered to the historian."""
        if self.historian is not None:
            if self._pending_samples:
                self.historian.append_samples(Samples.concat(self._pending_samples))
            if self._pending_events:
                self.historian.append_events(self._pending_events)
        self._pending_samples, self._pending_events = [], []

    def _carry_out(self, action: Action) -> bool:
        return self.counters.note_action(self.executor.execute(action))

    def run(self, hours: float, progress: Callable[[float], None] | None = None) -> Kpis:
        """Run for `hours` of plant time; `progress` gets the hours done after each tick."""
        end = self.twin.now_h + hours
        while self.twin.now_h < end - 1e-9:
            self.tick()
            if progress is not None:
                progress(self.tick_h)
        self.flush()
        return self.twin.kpis()
