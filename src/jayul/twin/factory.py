"""The digital-twin factory: orders, routings, machines, degradation, failures and crews.

SimPy provides the clock, the event queue and real-time pacing; every piece of state lives in
plain records (`jayul.twin.state`) and every pending event is a `Timer`, so `fork()` copies a
running twin exactly and the copy can be run forward without touching the original.

The twin steps millions of simulated hours in the policy benchmarks and the Gymnasium
environment, so the hot paths avoid work that changes nothing: each timer is one SimPy timeout
with a callback (not a process), machine types and wear parameters are resolved once, and
without signals no sensor segments are kept.
"""

from __future__ import annotations

import bisect
import copy
from collections.abc import Callable
from typing import Any

import numpy as np

from jayul.plant.model import MachineType, MaintenanceAction, NotModelledError, Plant, modelled
from jayul.records import Event, EventKind, Samples
from jayul.records.timebase import NS_PER_H, to_ns
from jayul.twin.clock import Clock, EventHeap, RealTimeClock
from jayul.twin.degradation import IDLE_WEAR, ModeWear
from jayul.twin.dispatch import Dispatcher, EarliestDueDate
from jayul.twin.kpis import Kpis, compute_kpis, total_cost
from jayul.twin.sensors import Segment, SensorModel, machine_samples
from jayul.twin.state import Ledger, MachineState, Operation, Order, Status, Timer

# The statuses as module constants: looking a member up on an Enum class costs more than the
# comparisons the hot paths make with it.
_IDLE, _BUSY, _WAIT_CREW = Status.IDLE, Status.BUSY, Status.WAIT_CREW
_MAINTENANCE, _DOWN = Status.MAINTENANCE, Status.DOWN
# Resolved from the plant file once and never changed: a fork shares them.
_SHARED = (
    "clock",
    "plant",
    "dispatcher",
    "_sensor_models",
    "_types",
    "operations_by_machine",
    "_wear_modes",
    "_product_cdf",
)


class Twin:
    """A simulated plant. Deterministic for a seed; `fork()` for what-if runs."""

    def __init__(
        self,
        plant: Plant,
        seed: int = 0,
        *,
        tick_h: float = 1.0,
        signals: bool = True,
        record_events: bool = True,
        speed: float | None = None,
        dispatcher: Dispatcher | None = None,
        signal_period_s: float | None = None,
    ) -> None:
        gaps = plant.simulation_gaps()
        if gaps:
            raise NotModelledError(
                f"the twin cannot simulate plant {plant.name!r}: the plant file leaves out "
                f"{len(gaps)} simulation parameter(s) (monitoring does not need them):\n  - "
                + "\n  - ".join(gaps)
            )
        # One sampling period for every signal, instead of the plant file's: coarser signals
        # make long policy benchmarks affordable.
        self.signal_period_s = signal_period_s
        self._resolve(plant)
        self.seed = seed
        self.tick_h = tick_h
        self.signals = signals
        self.record_events = record_events
        self.speed = speed  # simulated seconds per wall-clock second; None = as fast as possible
        self.dispatcher: Dispatcher = dispatcher or EarliestDueDate()
        self.start_ns = to_ns(plant.start)
        self.now_h = 0.0
        self._seed_streams(np.random.SeedSequence(seed))
        self.machines: dict[str, MachineState] = {}
        for spec in plant.machines:
            mt = plant.machine_types[spec.type]
            m = MachineState(id=spec.id, type=spec.type)
            m.health = {f.id: 0.0 for f in mt.failure_modes}
            m.run_hours_since = {f.id: 0.0 for f in mt.failure_modes}
            m.setpoints = {sp.id: sp.default for sp in mt.setpoints}
            m.segments = [Segment(0.0, 0.0, self._health_list(m))]
            self.machines[spec.id] = m
        self.orders: dict[int, Order] = {}
        self.ready: list[Operation] = []
        self.crews_free = dict(plant.crews)
        self.crew_queue: list[tuple[str, str, str]] = []  # (crew, machine, "repair"|"maint")
        self.timers: dict[int, Timer] = {}
        self.ledger = Ledger()
        self._next_timer = 0
        self._next_order = 0
        self._samples: list[Samples] = []
        self._events: list[Event] = []
        self._start_env()
        self._schedule(self._interarrival(), "order_arrival", ())
        self._schedule(self.tick_h, "tick", ())

    def _seed_streams(self, root: np.random.SeedSequence) -> None:
        """Independent random streams: order arrivals, sensor noise, and per machine its wear
        and its operations (load, scrap). Per-machine streams keep what happens to one machine
        from shifting the random draws of the others, so two plans tried on forks of the same
        future differ by what the plans did, not by reshuffled luck."""
        ids = [m.id for m in self.plant.machines]
        seeds = root.spawn(2 + 2 * len(ids))
        self.rng_orders = np.random.default_rng(seeds[0])
        self.rng_sensors = np.random.default_rng(seeds[1])
        self.rng_wear = {mid: np.random.default_rng(seeds[2 + i]) for i, mid in enumerate(ids)}
        self.rng_ops = {
            mid: np.random.default_rng(seeds[2 + len(ids) + i]) for i, mid in enumerate(ids)
        }

    # ----------------------------------------------------------------- clock and timers
    def _start_env(self) -> None:
        self.clock: Clock
        if self.speed is None:
            self.clock = EventHeap(self.now_h)
        else:
            self.clock = RealTimeClock(self.now_h, self.speed)
        for timer in sorted(self.timers.values(), key=lambda t: t.id):
            self.clock.arm(timer.due_h, timer.id)

    def _schedule(self, delay_h: float, handler: str, args: tuple[str | int | float, ...]) -> int:
        timer = Timer(self._next_timer, self.now_h + delay_h, handler, args)
        self._next_timer += 1
        self.timers[timer.id] = timer
        self.clock.arm(timer.due_h, timer.id)
        return timer.id

    def _fire(self, timer_id: int) -> None:
        timer = self.timers.pop(timer_id, None)
        if timer is None:
            return  # cancelled
        self.now_h = self.clock.now
        _HANDLERS[timer.handler](self, *timer.args)

    def run_until(self, t_h: float) -> None:
        """Advance the simulation to `t_h` hours after the plant's start, including what
        happens at `t_h` itself (so a tick due then has produced its samples)."""
        self.clock.run_until(t_h, t_h > self.now_h, self._fire)
        self.now_h = max(self.now_h, t_h)

    def step(self, dt_h: float) -> None:
        self.run_until(self.now_h + dt_h)

    def fork(
        self, seed: int | None = None, *, signals: bool = False, plant: Plant | None = None
    ) -> Twin:
        """An independent copy at the current instant. With `seed`, its future randomness
        (wear, orders, sensor noise) is drawn afresh: one sampled future per seed. With
        `plant` (the same structure with other parameters, e.g. a draw of a calibrated plant's
        uncertainty), the fork runs on that plant's numbers from now on."""
        clone = copy.copy(self)
        # not copied: immutable, rebuilt, or outputs the fork must not inherit
        skipped = (*_SHARED, "_samples", "_events")
        state = {k: v for k, v in self.__dict__.items() if k not in skipped}
        clone.__dict__.update(copy.deepcopy(state))
        clone.signals = signals and self.signals
        clone._samples, clone._events = [], []
        if signals:
            clone.start_signals()  # from now on, where the parent kept no segments
        if plant is not None:
            clone._resolve(plant)
        if seed is not None:
            clone._seed_streams(np.random.SeedSequence([self.seed, seed]))
        clone._start_env()
        return clone

    def start_signals(self) -> None:
        """Produce signals from now on. A twin without signals keeps no sensor segments, so
        they start here; setting `signals = True` alone would read stale segments."""
        if self.signals:
            return
        self.signals = True
        for m in self.machines.values():
            m.segments = [Segment(self.now_h, m.load, self._health_list(m))]

    def _resolve(self, plant: Plant) -> None:
        """What the plant file fixes, resolved once for every step (a fork shares it)."""
        self.plant = plant
        self.order_spec = modelled(plant.orders, "plant.orders")
        self._sensor_models = {
            name: SensorModel(mt, self.signal_period_s) for name, mt in plant.machine_types.items()
        }
        self._types = {m.id: plant.machine_types[m.type] for m in plant.machines}
        # what each machine can run (operation -> hours), as the dispatcher asks at every event
        self.operations_by_machine = {mid: mt.operations for mid, mt in self._types.items()}
        self._wear_modes = {
            name: tuple(ModeWear(f) for f in mt.failure_modes)
            for name, mt in plant.machine_types.items()
        }
        # the product mix as `Generator.choice(p=...)` builds its cumulative distribution, so a
        # uniform draw and a bisection pick exactly the product `choice` would
        shares = np.array([p.share for p in self.order_spec.products])
        cdf = (shares / shares.sum()).cumsum()
        cdf /= cdf[-1]
        self._product_cdf: list[float] = cdf.tolist()

    def time_ns(self, t_h: float | None = None) -> int:
        return self.start_ns + round((self.now_h if t_h is None else t_h) * NS_PER_H)

    # ----------------------------------------------------------------- outputs
    def drain_samples(self) -> Samples:
        """Samples produced since the last call (empty when signals are off)."""
        out = Samples.concat(self._samples)
        self._samples = []
        return out

    def drain_events(self) -> list[Event]:
        out, self._events = self._events, []
        return out

    def kpis(self) -> Kpis:
        return compute_kpis(self)

    def total_cost(self) -> float:
        """`kpis().total_cost`, without the other KPIs (a reward computed every tick)."""
        return total_cost(self)

    def machine_type(self, machine_id: str) -> MachineType:
        """The machine's type (`Plant.machine_type`, resolved once)."""
        return self._types[machine_id]

    def _emit(self, kind: EventKind, machine: str | None, **payload: Any) -> None:
        if self.record_events:
            self._events.append(
                Event(time=self.time_ns(), machine=machine, kind=kind, payload=payload)
            )

    # ----------------------------------------------------------------- orders
    def _interarrival(self) -> float:
        return float(self.rng_orders.exponential(1.0 / self.order_spec.arrivals_per_h))

    def _on_order_arrival(self) -> None:
        spec = self.order_spec
        product = spec.products[bisect.bisect_right(self._product_cdf, self.rng_orders.random())]
        lo, hi = spec.due_after_h
        due = self.now_h + float(self.rng_orders.uniform(lo, hi))
        oid = self._next_order
        self._next_order += 1
        ops = [
            Operation(oid, i, name, product.work, due, self.now_h)
            for i, name in enumerate(product.routing)
        ]
        self.orders[oid] = Order(oid, product.id, self.now_h, due, ops)
        self.ledger.orders_released += 1
        self.ready.append(ops[0])
        if self.record_events:  # no payload built for nothing
            self._emit(EventKind.ORDER_RELEASED, None, order=oid, product=product.id, due_h=due)
        self._schedule(self._interarrival(), "order_arrival", ())
        self._dispatch()

    # ----------------------------------------------------------------- machine state
    def _health_list(self, m: MachineState) -> list[float]:
        return [m.health[w.id] for w in self._wear_modes[m.type]]

    def _wear(self, m: MachineState) -> None:
        """Apply the wear since the machine's last change, and close its current segment."""
        now = self.now_h
        elapsed = now - m.last_change_h
        if elapsed > 0:
            status = m.status
            running = status is _BUSY
            # `wear_weight`, inlined: the wear hours per clock hour
            if running:
                effective = elapsed * max(m.load, 0.1) ** 2
            elif status is _IDLE or status is _WAIT_CREW:
                effective = elapsed * IDLE_WEAR
            else:
                effective = elapsed * 0.0
            if effective > 0:  # no draw for a machine that does not wear (as gamma_increment)
                gamma, health = self.rng_wear[m.id].gamma, m.health
                for w in self._wear_modes[m.type]:
                    if w.wiener:
                        inc = w.increment(effective, self.rng_wear[m.id])
                    else:  # `ModeWear.increment`, inlined
                        inc = gamma(w.shape_per_h * effective, w.scale)
                    level = health[w.id] + inc
                    health[w.id] = 1.0 if level > 1.0 else level  # min(level, 1.0)
            if running:
                hours = m.run_hours_since
                for w in self._wear_modes[m.type]:
                    hours[w.id] += elapsed
        m.last_change_h = now
        if self.signals:
            seg = m.segments[-1]
            seg.t1, seg.h1 = now, self._health_list(m)

    def _change(
        self, m: MachineState, status: Status, load: float, resets: tuple[str, ...] = ()
    ) -> None:
        self._wear(m)
        for mode in resets:
            m.health[mode] = 0.0
            m.run_hours_since[mode] = 0.0
        m.status, m.load = status, load
        if self.signals:
            m.segments.append(Segment(self.now_h, load, self._health_list(m)))

    def _speed_factor(self, m: MachineState) -> float:
        """A speed-like setpoint above its default runs faster and wears harder."""
        mt = self._types[m.id]
        if not mt.setpoints:
            return 1.0
        sp = mt.setpoints[0]
        return m.setpoints[sp.id] / sp.default

    def _dispatch(self) -> None:
        if not self.ready:
            return
        idle = [
            m.id for m in self.machines.values() if m.status is _IDLE and not m.pending_maintenance
        ]
        if not idle:
            return
        for op, mid in self.dispatcher.assign(self, list(self.ready), idle):
            self._start_op(op, self.machines[mid])

    def _start_op(self, op: Operation, m: MachineState) -> None:
        ready = self.ready  # by identity: Operation's generated __eq__ is slow on a long queue
        del ready[next(i for i, o in enumerate(ready) if o is op)]
        factor = self._speed_factor(m)
        duration = self._types[m.id].operations[op.name] * op.work / factor
        load = factor * float(self.rng_ops[m.id].uniform(0.85, 1.15))
        m.op, m.op_started_h = (op.order_id, op.index), self.now_h
        self._change(m, _BUSY, load)
        self._schedule(duration, "op_end", (m.id, op.order_id, op.index))
        if self.record_events:  # no payload built for nothing
            self._emit(
                EventKind.OPERATION_START, m.id, order=op.order_id, op=op.index, name=op.name
            )

    def _on_op_end(self, mid: str, order_id: int, index: int) -> None:
        m = self.machines[mid]
        if m.op != (order_id, index):
            return  # the operation was aborted by a failure
        order = self.orders[order_id]
        op = order.ops[index]
        mt = self._types[mid]
        severity, health = 0.0, m.health  # the worst mode's, as `max` over the modes gives it
        for f in mt.failure_modes:
            visible = (health[f.id] - f.onset) / (1 - f.onset)
            if visible > 0.0 and visible**2 > severity:
                severity = visible**2
        scrapped = self.rng_ops[mid].random() < 0.005 + 0.2 * severity
        m.op = None
        self._change(m, _IDLE, 0.0)
        self.ledger.ops_completed += 1
        self.ledger.ideal_h += mt.operations[op.name] * op.work
        if self.record_events:  # no payload built for nothing
            self._emit(EventKind.OPERATION_END, mid, order=order_id, op=index, scrap=bool(scrapped))
        if scrapped:
            self.ledger.ops_scrapped += 1
            self.ready.append(op)  # made again
        else:
            op.done = True
            order.next_op = index + 1
            if order.next_op < len(order.ops):
                self.ready.append(order.ops[order.next_op])
            else:
                order.done_h = self.now_h
                self.ledger.orders_done += 1
                late = self.now_h - order.due_h
                if late <= 0:
                    self.ledger.orders_on_time += 1
                else:
                    self.ledger.tardiness_h += late
                if self.record_events:  # no payload built for nothing
                    self._emit(EventKind.ORDER_DONE, None, order=order_id, late_h=max(late, 0.0))
                del self.orders[order_id]
        if m.pending_maintenance:
            self._begin_unavailable(m, "maint")
        self._dispatch()

    # ----------------------------------------------------------------- maintenance and repair
    def maintenance_action(self, machine_id: str, action_id: str) -> MaintenanceAction:
        for a in self._types[machine_id].maintenance:
            if a.id == action_id:
                return a
        raise ValueError(f"machine {machine_id!r} has no maintenance action {action_id!r}")

    def request_maintenance(self, machine_id: str, action_id: str) -> bool:
        """Ask for planned maintenance; it starts when the current operation ends and its crew
        is free. Returns False when the machine is down or already has this action pending."""
        self.maintenance_action(machine_id, action_id)  # validates
        m = self.machines[machine_id]
        if m.status is _DOWN or action_id in m.pending_maintenance:
            return False
        m.pending_maintenance.append(action_id)
        if m.status is _IDLE:
            self._begin_unavailable(m, "maint")
        return True

    def end_maintenance_now(self, machine_id: str) -> bool:
        """Finish the machine's maintenance in progress now (an operator signing it off early,
        e.g. through the OPC UA method): the crew is released and the machine returns to idle
        exactly as at the planned end. Returns False when no maintenance is in progress."""
        for tid, timer in list(self.timers.items()):
            if timer.handler == "maintenance_end" and timer.args and timer.args[0] == machine_id:
                self.timers.pop(tid)
                self._on_maintenance_end(machine_id, str(timer.args[1]))
                return True
        return False

    def set_setpoint(self, machine_id: str, setpoint_id: str, value: float) -> None:
        """Change a setpoint. The twin refuses values outside the safe envelope too."""
        sp = self.plant.setpoint(machine_id, setpoint_id)
        if not (np.isfinite(value) and sp.envelope.contains(value)):
            raise ValueError(f"{machine_id}.{setpoint_id}={value} is outside its safe envelope")
        self.machines[machine_id].setpoints[setpoint_id] = float(value)
        self._emit(EventKind.SETPOINT, machine_id, setpoint=setpoint_id, value=float(value))

    def _begin_unavailable(self, m: MachineState, kind: str) -> None:
        """Reserve the machine for maintenance or repair and ask for the crew."""
        if m.unavailable_since_h is None:
            m.unavailable_since_h = self.now_h
        self._change(m, _DOWN if kind == "repair" else _WAIT_CREW, 0.0)
        if kind == "repair":
            assert m.failed_mode is not None
            crew = self._failure_mode(m, m.failed_mode).repair_crew
        else:
            crew = self.maintenance_action(m.id, m.pending_maintenance[0]).crew
        if self.crews_free[crew] > 0:
            self._start_crew_work(crew, m, kind)
        elif kind == "repair":  # repairs go ahead of planned work in the crew's queue
            self.crew_queue.insert(0, (crew, m.id, kind))
        else:
            self.crew_queue.append((crew, m.id, kind))

    def _failure_mode(self, m: MachineState, mode_id: str) -> Any:
        return next(f for f in self._types[m.id].failure_modes if f.id == mode_id)

    def _start_crew_work(self, crew: str, m: MachineState, kind: str) -> None:
        self.crews_free[crew] -= 1
        if kind == "repair":
            assert m.failed_mode is not None
            mode = self._failure_mode(m, m.failed_mode)
            self._emit(EventKind.REPAIR_START, m.id, mode=mode.id, crew=crew)
            self._schedule(mode.repair_h, "repair_end", (m.id, crew))
        else:
            action = self.maintenance_action(m.id, m.pending_maintenance[0])
            self._change(m, _MAINTENANCE, 0.0)
            self._emit(EventKind.MAINTENANCE_START, m.id, action=action.id, crew=crew)
            self._schedule(action.duration_h, "maintenance_end", (m.id, crew))

    def _release_crew(self, crew: str) -> None:
        self.crews_free[crew] += 1
        for i, (c, mid, kind) in enumerate(self.crew_queue):
            if c == crew:
                del self.crew_queue[i]
                self._start_crew_work(crew, self.machines[mid], kind)
                return

    def _on_maintenance_end(self, mid: str, crew: str) -> None:
        m = self.machines[mid]
        action = self.maintenance_action(mid, m.pending_maintenance.pop(0))
        mt = self._types[mid]
        self._change(m, _IDLE, 0.0, resets=tuple(action.restores))
        assert m.unavailable_since_h is not None
        down = self.now_h - m.unavailable_since_h
        m.unavailable_since_h = None
        self.ledger.maintenances += 1
        self.ledger.maintenance_downtime_h += down
        cost = action.cost + mt.downtime_cost_per_h * down
        self.ledger.maintenance_cost += cost
        for mode in action.restores:
            self._charge(m, mode, cost / len(action.restores))
        self._emit(EventKind.MAINTENANCE_END, mid, action=action.id, downtime_h=down)
        self._release_crew(crew)
        if m.pending_maintenance and m.status is _IDLE:
            self._begin_unavailable(m, "maint")
        self._dispatch()

    def _charge(self, m: MachineState, mode: str, cost: float) -> None:
        key = f"{m.type}/{mode}"
        self.ledger.cost_by_mode[key] = self.ledger.cost_by_mode.get(key, 0.0) + cost

    def _fail(self, m: MachineState, mode_id: str) -> None:
        if m.status is _WAIT_CREW:
            self.crew_queue = [q for q in self.crew_queue if q[1] != m.id]
        if m.op is not None:  # the part in the machine is lost and made again
            op = self.orders[m.op[0]].ops[m.op[1]]
            self.ready.append(op)
            m.op = None
        m.pending_maintenance.clear()
        m.failed_mode = mode_id
        self.ledger.failures += 1
        self.ledger.failures_by_mode[mode_id] = self.ledger.failures_by_mode.get(mode_id, 0) + 1
        self.ledger.failures_by_machine[m.id] = self.ledger.failures_by_machine.get(m.id, 0) + 1
        self._emit(EventKind.FAILURE, m.id, mode=mode_id)
        m.unavailable_since_h = self.now_h
        self._begin_unavailable(m, "repair")

    def _on_repair_end(self, mid: str, crew: str) -> None:
        m = self.machines[mid]
        assert m.failed_mode is not None and m.unavailable_since_h is not None
        mode = self._failure_mode(m, m.failed_mode)
        self._change(m, _IDLE, 0.0, resets=(mode.id,))
        down = self.now_h - m.unavailable_since_h
        m.unavailable_since_h, m.failed_mode = None, None
        self.ledger.failure_downtime_h += down
        mt = self._types[mid]
        cost = mode.repair_cost + mt.downtime_cost_per_h * down
        self.ledger.failure_cost += cost
        self._charge(m, mode.id, cost)
        self._emit(EventKind.REPAIR_END, mid, mode=mode.id, downtime_h=down)
        self._release_crew(crew)
        self._dispatch()

    # ----------------------------------------------------------------- the tick
    def _on_tick(self) -> None:
        """Apply wear, emit the tick's signals, and fail machines whose health reached 1."""
        for m in self.machines.values():
            self._wear(m)
            if self.signals:
                self._samples.append(
                    machine_samples(
                        m.id,
                        self._sensor_models[m.type],
                        m.segments,
                        self.plant.ambient_swing_c,
                        self.start_ns,
                        self.rng_sensors,
                    )
                )
                m.segments = [Segment(self.now_h, m.load, self._health_list(m))]
        for m in self.machines.values():
            if m.status is _DOWN or m.status is _MAINTENANCE:
                continue
            if max(m.health.values(), default=0.0) >= 1.0:
                worst, top = "", -np.inf  # the first mode with the highest health index
                for mode, h in m.health.items():
                    if h > top:
                        worst, top = mode, h
                self._fail(m, worst)
        self._schedule(self.tick_h, "tick", ())
        self._dispatch()


# timer handler names -> the methods they call (`Timer.handler` is a name, so timers deep-copy)
_HANDLERS: dict[str, Callable[..., None]] = {
    "order_arrival": Twin._on_order_arrival,
    "op_end": Twin._on_op_end,
    "maintenance_end": Twin._on_maintenance_end,
    "repair_end": Twin._on_repair_end,
    "tick": Twin._on_tick,
}
