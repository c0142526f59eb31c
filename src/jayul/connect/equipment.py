"""Connected equipment as a `PlantPort`: what a plant file's `connect:` section binds.

- samples: from the ingest pipeline once stored (give `on_stored` to `Ingest`);
- machine states, run-hour counters and setpoints: from the tags of `connect.machines`
  (`jayul.connect.tags`), states mapped from the PLC's codes;
- events: derived from state changes (into `down`: a failure; out of it: a repair's end; into
  and out of `maintenance`: a maintenance's start and end), plus any posted with `post_event`
  (an event feed: a CMMS export, the API);
- actions: handed to the bound action sinks (OPC UA writes and method calls, MQTT commands);
  an action carried out is pending on its machine until the machine's state shows the
  maintenance ended, or for `pending_h` hours when no state is bound;
- no MES: `production()` shows no open work, so the predictive policy plans maintenance alone;
- a twin only when given one: with a calibrated twin of the plant (`jayul run --twin`,
  `jayul.calibrate.plant_twin`), `fork()` is that twin standing where the plant stands (its run
  hours); without, `fork()` is None, so the verifier says an action could not be tried and the
  gate asks a person.
"""

from __future__ import annotations

import queue
import threading
from collections.abc import Mapping

from jayul.autopilot.executor import ActionExecutor
from jayul.autopilot.plant_port import MachineReading, PlantUpdate
from jayul.calibrate.plant_twin import PlantTwin
from jayul.connect.bindings import Bindings, CounterTag, MachineBinding, StateTag
from jayul.connect.tags import Reader, TagRef, TagValue, TagValues, make_readers
from jayul.decide.plan import Plan
from jayul.decide.policy import LiveCondition
from jayul.decide.production import ProductionView
from jayul.plant.model import Plant
from jayul.records import Action, ActionKind, Event, EventKind, MachineState, Samples, utc_now_ns
from jayul.records.timebase import NS_PER_H
from jayul.twin import Twin
from jayul.twin.kpis import Kpis

_UP = (MachineState.RUNNING, MachineState.IDLE, MachineState.SETUP)


def code_text(value: TagValue) -> str:
    """A tag's value as the text a state map's keys use: "3" for 3.0, "true", "RUN"."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value).strip()


def state_of(value: TagValue, binding: StateTag) -> MachineState:
    """The state a PLC's value stands for; UNKNOWN for a code the map does not list."""
    text = code_text(value)
    if binding.map:
        name = binding.map.get(text) or binding.map.get(text.lower())
        return MachineState(name) if name is not None else MachineState.UNKNOWN
    try:
        return MachineState(text.lower())
    except ValueError:
        return MachineState.UNKNOWN


class ConnectedPlant:
    """The real plant behind the `PlantPort` interface (see the module docstring)."""

    def __init__(
        self,
        bindings: Bindings,
        sinks: list[ActionExecutor],
        *,
        values: TagValues | None = None,
        pending_h: float = 8.0,
        twin: PlantTwin | None = None,
    ) -> None:
        self.bindings = bindings
        self.twin = twin
        self.sinks = sinks
        self.values = values or TagValues()
        self.pending_h = pending_h
        self.binding: dict[str, MachineBinding] = {b.machine: b for b in bindings.connect.machines}
        tags: list[TagRef] = []
        for b in bindings.connect.machines:
            tags += [b.state.tag] if b.state else []
            tags += [b.run_hours.tag] if b.run_hours else []
            tags += list(b.setpoints.values())
        self.readers: list[Reader] = make_readers(bindings, tags, self.values)
        self._inbox: queue.Queue[Samples] = queue.Queue()
        self._lock = threading.Lock()
        self._posted: list[Event] = []
        self._last_state: dict[str, MachineState] = {}
        self._pending: dict[str, tuple[str, int]] = {}  # machine -> (action id, until ns)
        self._restored_at: dict[tuple[str, str], float] = {}  # (machine, mode) -> counter h
        self._plan: Plan | None = None

    # -- lifecycle --------------------------------------------------------------------------

    def start(self) -> ConnectedPlant:
        for reader in self.readers:
            reader.start()
        return self

    def stop(self) -> None:
        for reader in self.readers:
            reader.stop()

    # -- feeds ------------------------------------------------------------------------------

    def on_stored(self, batch: Samples) -> None:
        """Give to the ingest pipeline as `on_stored` (called on its writer thread)."""
        self._inbox.put(batch)

    def waiting(self) -> int:
        """Sample batches stored and not yet collected."""
        return self._inbox.qsize()

    def post_event(self, event: Event) -> None:
        """An event from a feed (maintenance or failure from a CMMS or a person)."""
        with self._lock:
            self._posted.append(event)

    # -- the PlantPort ----------------------------------------------------------------------

    @property
    def model(self) -> Plant:
        return self.bindings.plant

    @property
    def now_h(self) -> float:
        return utc_now_ns() / NS_PER_H

    def time_ns(self) -> int:
        return utc_now_ns()

    def advance(self, hours: float) -> None:
        """Real equipment keeps its own time: nothing to do."""

    def collect(self) -> PlantUpdate:
        batches = []
        while True:
            try:
                batches.append(self._inbox.get_nowait())
            except queue.Empty:
                break
        samples = None
        if batches:
            batch = Samples.concat(batches)
            order = batch.time.argsort(kind="stable")
            samples = Samples(
                batch.time[order],
                batch.machine[order],
                batch.signal[order],
                batch.value[order],
                batch.quality[order],
            )
        with self._lock:
            events, self._posted = self._posted, []
        events += self._state_changes()
        for event in events:
            self._note_restoration(event)
        return PlantUpdate(samples, tuple(sorted(events, key=lambda e: e.time)), True)

    def machines(self) -> Mapping[str, MachineReading]:
        now = utc_now_ns()
        states = {m.id: self._state(self.binding.get(m.id)) for m in self.model.machines}
        # a request not taken up within pending_h is dropped, unless its maintenance is under way
        self._pending = {
            m: p
            for m, p in self._pending.items()
            if p[1] > now or states[m] is MachineState.MAINTENANCE
        }
        out = {}
        for spec in self.model.machines:
            b = self.binding.get(spec.id)
            pending = self._pending.get(spec.id)
            out[spec.id] = MachineReading(
                id=spec.id,
                state=states[spec.id],
                run_hours_since=self._run_hours(spec.id, b),
                pending_work=(pending[0],) if pending else (),
                setpoints=self._setpoints(b),
            )
        return out

    def execute(self, action: Action) -> bool:
        """Hand the action to every bound sink; True when one carried it out."""
        done = any([sink.execute(action) for sink in self.sinks])
        if done and action.kind is ActionKind.START_MAINTENANCE:
            until = utc_now_ns() + int(self.pending_h * NS_PER_H)
            self._pending[action.machine] = (str(action.params["action"]), until)
        return done

    def production(self) -> ProductionView:
        """No MES is bound, so no open work is known: a planning policy plans maintenance alone,
        every machine free now and every crew of the plant file available (with no `crews:`
        section, no crew limit)."""
        now = self.now_h
        free = {m.id: now for m in self.model.machines}
        orders = self.model.orders  # None: a plant file made for monitoring only
        tardiness = orders.tardiness_cost_per_h if orders is not None else 0.0
        return ProductionView((), free, self.model.crew_capacity(), tardiness)

    def follow(self, plan: Plan | None) -> None:
        self._plan = plan

    def plan(self) -> Plan | None:
        return self._plan

    def fork(self, condition: LiveCondition | None = None) -> Twin | None:
        """The calibrated twin at the plant's live condition and run hours, or None without
        one."""
        if self.twin is None:
            return None
        readings = self.machines()
        return self.twin.at({mid: r.run_hours_since for mid, r in readings.items()}, condition)

    def kpis(self) -> Kpis | None:
        return None

    # -- reading tags -----------------------------------------------------------------------

    def _state(self, b: MachineBinding | None) -> MachineState:
        if b is None or b.state is None:
            return MachineState.UNKNOWN
        reading = self.values.get(b.state.tag)
        if reading is None:
            return MachineState.UNKNOWN
        state = state_of(reading.value, b.state)
        if state is MachineState.UNKNOWN:
            self.values.problem(
                f"code:{b.machine}:{code_text(reading.value)}",
                f"{b.machine}: state code {code_text(reading.value)!r} is not in "
                "connect.machines[].state.map",
            )
        return state

    def _counter_h(self, b: MachineBinding | None) -> tuple[CounterTag, float] | None:
        if b is None or b.run_hours is None:
            return None
        reading = self.values.get(b.run_hours.tag)
        if reading is None or isinstance(reading.value, str | bool):
            return None
        return b.run_hours, b.run_hours.hours(float(reading.value))

    def _run_hours(self, machine: str, b: MachineBinding | None) -> dict[str, float]:
        counted = self._counter_h(b)
        if counted is None:
            return {}  # no counter: no run hours (never invented)
        counter, hours = counted
        modes = [f.id for f in self.model.machine_type(machine).failure_modes]
        if counter.since == "maintenance":
            return dict.fromkeys(modes, hours)
        return {
            mode: max(hours - self._restored_at[(machine, mode)], 0.0)
            for mode in modes
            if (machine, mode) in self._restored_at
        }

    def setpoint_in_force(self, machine: str, setpoint: str) -> float:
        """The setpoint as the control system reports it (its bound tag), else the plant
        file's default: what the gate's interlock measures a step from."""
        found = self._setpoints(self.binding.get(machine)).get(setpoint)
        return found if found is not None else self.model.setpoint(machine, setpoint).default

    def _setpoints(self, b: MachineBinding | None) -> dict[str, float]:
        out: dict[str, float] = {}
        for sp, tag in (b.setpoints if b else {}).items():
            reading = self.values.get(tag)
            if reading is not None and isinstance(reading.value, float):
                out[sp] = reading.value
        return out

    # -- events from state changes ----------------------------------------------------------

    def _state_changes(self) -> list[Event]:
        events = []
        for machine, b in self.binding.items():
            if b.state is None:
                continue
            for reading in self.values.changes(b.state.tag):
                state = state_of(reading.value, b.state)
                if state is MachineState.UNKNOWN:
                    continue
                before = self._last_state.get(machine)
                self._last_state[machine] = state
                if before is not None and before != state:
                    events += self._transition(machine, before, state, reading.time_ns)
        return events

    def _transition(
        self, machine: str, before: MachineState, state: MachineState, now: int
    ) -> list[Event]:
        """The events a change of state stands for."""
        action = self._pending.get(machine, ("", 0))[0] or None
        kind = None
        payload: dict[str, object] = {"from": "state tag"}
        if state is MachineState.DOWN:
            kind, payload["mode"] = EventKind.FAILURE, None
        elif before is MachineState.DOWN and state in _UP:
            kind, payload["mode"] = EventKind.REPAIR_END, None
        elif state is MachineState.MAINTENANCE:
            kind, payload["action"] = EventKind.MAINTENANCE_START, action
        elif before is MachineState.MAINTENANCE and state in _UP:
            kind, payload["action"] = EventKind.MAINTENANCE_END, action
            self._pending.pop(machine, None)
        if kind is None:
            return []
        return [Event(time=now, machine=machine, kind=kind, payload=payload)]

    def _note_restoration(self, event: Event) -> None:
        """Remember the counter's value when a failure mode was restored."""
        if event.machine is None or event.machine not in self.binding:
            return
        counted = self._counter_h(self.binding[event.machine])
        if counted is None:
            return
        mt = self.model.machine_type(event.machine)
        modes: tuple[str, ...] = ()
        if event.kind is EventKind.MAINTENANCE_END:
            action = event.payload.get("action")
            modes = next((tuple(a.restores) for a in mt.maintenance if a.id == action), ())
        elif event.kind is EventKind.REPAIR_END and event.payload.get("mode"):
            modes = (str(event.payload["mode"]),)
        for mode in modes:
            self._restored_at[(event.machine, mode)] = counted[1]
