"""The digital-twin factory: orders, routings, machines, degradation, failures and crews.

`Twin` is assembled from its parts: the state, timers and wear (`jayul.twin.core`), the shop
floor (`jayul.twin.shop`) and the crews (`jayul.twin.crews`); here are its life cycle (start,
run, fork), its outputs and the hourly tick. Every piece of state lives in plain records
(`jayul.twin.state`) and every pending event is a `Timer`, so `fork()` copies a running twin
exactly and the copy can be run forward without touching the original.

The twin steps millions of simulated hours in the policy benchmarks and the Gymnasium
environment, so the hot paths avoid work that changes nothing: timers fire from an event heap
of the twin's own (`jayul.twin.clock`; SimPy's real-time environment when the twin is paced),
machine types and wear parameters are resolved once, and without signals no sensor segments
are kept.
"""

from __future__ import annotations

import copy
from collections.abc import Callable

import numpy as np

from jayul.plant.model import NotModelledError, Plant, modelled
from jayul.records import Event, EventKind, Samples
from jayul.records.timebase import to_ns
from jayul.twin.clock import EventHeap, RealTimeClock
from jayul.twin.core import DOWN, MAINTENANCE
from jayul.twin.crews import Crews
from jayul.twin.degradation import ModeWear
from jayul.twin.dispatch import Dispatcher, EarliestDueDate
from jayul.twin.kpis import Kpis, compute_kpis, total_cost
from jayul.twin.sensors import Segment, SensorModel, machine_samples
from jayul.twin.shop import Shop
from jayul.twin.state import Ledger, MachineState

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


class Twin(Shop, Crews):
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
        self.dispatcher = dispatcher or EarliestDueDate()
        self.start_ns = to_ns(plant.start)
        self.now_h = 0.0
        self._seed_streams(np.random.SeedSequence(seed))
        self.machines = {}
        for spec in plant.machines:
            mt = plant.machine_types[spec.type]
            m = MachineState(id=spec.id, type=spec.type)
            m.health = {f.id: 0.0 for f in mt.failure_modes}
            m.run_hours_since = {f.id: 0.0 for f in mt.failure_modes}
            m.setpoints = {sp.id: sp.default for sp in mt.setpoints}
            m.segments = [Segment(0.0, 0.0, self._health_list(m))]
            self.machines[spec.id] = m
        self.orders = {}
        self.ready = []
        self.crews_free = dict(plant.crews)
        self.crew_queue = []
        self.timers = {}
        self.ledger = Ledger()
        self._next_timer = 0
        self._next_order = 0
        self._samples = []
        self._events = []
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
        if self.speed is None:
            self.clock = EventHeap(self.now_h)
        else:
            self.clock = RealTimeClock(self.now_h, self.speed)
        for timer in sorted(self.timers.values(), key=lambda t: t.id):
            self.clock.arm(timer.due_h, timer.id)

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
        self._product_cdf = cdf.tolist()

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

    # ----------------------------------------------------------------- setpoints
    def set_setpoint(self, machine_id: str, setpoint_id: str, value: float) -> None:
        """Change a setpoint. The twin refuses values outside the safe envelope too."""
        sp = self.plant.setpoint(machine_id, setpoint_id)
        if not (np.isfinite(value) and sp.envelope.contains(value)):
            raise ValueError(f"{machine_id}.{setpoint_id}={value} is outside its safe envelope")
        self.machines[machine_id].setpoints[setpoint_id] = float(value)
        self._emit(EventKind.SETPOINT, machine_id, setpoint=setpoint_id, value=float(value))

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
            if m.status is DOWN or m.status is MAINTENANCE:
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
