"""The source-driven autopilot behind `jayul run`: what the plant file binds, not the twin.

Samples arrive from the ingest pipeline once stored; each `tick` feeds them to the health
monitor, turns its alerts into events, asks the policy, and hands its actions to the bound
action sinks (OPC UA writes and method calls, MQTT commands). With no sink bound, actions are
recorded but not carried out (advice only). With a gate (as `jayul run` builds it), actions
reach the sinks only when the gate executes them. The plant's machine states are not observable
from samples alone, so a machine counts as running, and an action sent is remembered as
pending for `pending_h` hours so that it is not proposed again every tick.
"""

from __future__ import annotations

import queue
import time

from jayul.autopilot.counters import Counters
from jayul.autopilot.executor import ActionExecutor
from jayul.autopilot.monitor import HealthMonitor
from jayul.decide.policy import MachineView, Observation, Policy
from jayul.gate import Gate, GateContext
from jayul.plant import Plant
from jayul.records import Action, Alert, Event, Samples, utc_now_ns
from jayul.records.timebase import NS_PER_H


class SourcePilot:
    """Monitor, policy and sinks over stored samples (see module doc)."""

    def __init__(
        self,
        plant: Plant,
        policy: Policy,
        monitor: HealthMonitor,
        sinks: list[ActionExecutor],
        pending_h: float = 8.0,
        gate: Gate | None = None,
    ) -> None:
        self.plant = plant
        self.policy = policy
        self.monitor = monitor
        self.sinks = sinks
        self.pending_h = pending_h
        # With a gate, every action is proposed to it and the sinks run only when the gate
        # executes it (interlock, rate limit, autonomy level, approvals, audit trail).
        self.gate = gate
        self.counters = Counters()
        self.inbox: queue.Queue[Samples] = queue.Queue()
        self._pending: dict[str, tuple[str, int]] = {}  # machine -> (action id, until ns)

    def on_stored(self, batch: Samples) -> None:
        """Give to the ingest pipeline as `on_stored` (called on its writer thread)."""
        self.inbox.put(batch)

    def tick(self) -> list[Event]:
        """Process what arrived; return the events to store (alerts, actions)."""
        batches = []
        while True:
            try:
                batches.append(self.inbox.get_nowait())
            except queue.Empty:
                break
        alerts: list[Alert] = []
        if batches:
            batch = Samples.concat(batches)
            order = batch.time.argsort(kind="stable")
            batch = Samples(
                batch.time[order],
                batch.machine[order],
                batch.signal[order],
                batch.value[order],
                batch.quality[order],
            )
            self.counters.samples += len(batch)
            alerts = self.monitor.update(batch)
        self.counters.note_alerts(alerts)
        events: list[Event] = [a.to_event() for a in alerts]
        for action in self.policy.decide(self.plant, self._observe(alerts)):
            events.append(action.to_event())
            self._carry_out(action)
        return events

    def _observe(self, alerts: list[Alert]) -> Observation:
        now = utc_now_ns()
        self._pending = {m: p for m, p in self._pending.items() if p[1] > now}
        indicators = self.monitor.indicators()
        views = {
            m.id: MachineView(
                id=m.id,
                type=m.type,
                status="busy",
                run_hours_since={},
                pending_maintenance=(self._pending[m.id][0],) if m.id in self._pending else (),
                indicator=indicators.get(m.id),
                suspect_mode=self.monitor.machines[m.id].suspect_mode,
            )
            for m in self.plant.machines
        }
        return Observation(now, time.time() / 3600.0, views, tuple(alerts))

    def send(self, action: Action) -> bool:
        """Hand the action to every bound sink; True when one carried it out. The gate calls
        this as its executor."""
        return any([sink.execute(action) for sink in self.sinks])

    def _carry_out(self, action: Action) -> None:
        until = utc_now_ns() + int(self.pending_h * NS_PER_H)
        self._pending[action.machine] = (str(action.params.get("action", action.kind)), until)
        if self.gate is not None:
            ctx = GateContext(proposer="autopilot")
            executed = self.gate.propose(action, ctx, utc_now_ns()).status.value == "executed"
        else:
            executed = self.send(action)
        self.counters.note_action(executed)
