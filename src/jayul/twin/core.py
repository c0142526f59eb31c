"""The twin's state and what every part of it does to a machine: wear, status changes, timers.

`Twin` (`jayul.twin.factory`) is assembled from this core, the shop floor (`jayul.twin.shop`:
orders, dispatch, operations) and the crews (`jayul.twin.crews`: maintenance, failures,
repairs). Every piece of state lives in plain records (`jayul.twin.state`) and every pending
event is a `Timer`, so `fork()` copies a running twin exactly.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from jayul.plant.model import MachineType, Orders, Plant
from jayul.records import Event, EventKind, Samples
from jayul.records.timebase import NS_PER_H
from jayul.twin.clock import Clock
from jayul.twin.degradation import IDLE_WEAR, ModeWear
from jayul.twin.dispatch import Dispatcher
from jayul.twin.sensors import Segment, SensorModel
from jayul.twin.state import Ledger, MachineState, Operation, Order, Status, Timer

# The statuses as module constants: looking a member up on an Enum class costs more than the
# comparisons the hot paths make with it.
IDLE, BUSY, WAIT_CREW = Status.IDLE, Status.BUSY, Status.WAIT_CREW
MAINTENANCE, DOWN = Status.MAINTENANCE, Status.DOWN


class TwinCore:
    """The state every part of the twin shares (set by `Twin.__init__`), timers, and wear."""

    plant: Plant
    order_spec: Orders
    seed: int
    tick_h: float
    signals: bool
    record_events: bool
    speed: float | None
    signal_period_s: float | None
    dispatcher: Dispatcher
    start_ns: int
    now_h: float
    clock: Clock
    machines: dict[str, MachineState]
    orders: dict[int, Order]
    ready: list[Operation]
    crews_free: dict[str, int]
    crew_queue: list[tuple[str, str, str]]  # (crew, machine, "repair"|"maint")
    timers: dict[int, Timer]
    ledger: Ledger
    rng_orders: np.random.Generator
    rng_sensors: np.random.Generator
    rng_wear: dict[str, np.random.Generator]
    rng_ops: dict[str, np.random.Generator]
    # what each machine can run (operation -> hours), as the dispatcher asks at every event
    operations_by_machine: dict[str, dict[str, float]]
    _types: dict[str, MachineType]
    _wear_modes: dict[str, tuple[ModeWear, ...]]
    _sensor_models: dict[str, SensorModel]
    _product_cdf: list[float]
    _next_timer: int
    _next_order: int
    _samples: list[Samples]
    _events: list[Event]

    # ----------------------------------------------------------------- provided by the parts
    def _dispatch(self) -> None:
        raise NotImplementedError  # `jayul.twin.shop.Shop`

    def _begin_unavailable(self, m: MachineState, kind: str) -> None:
        raise NotImplementedError  # `jayul.twin.crews.Crews`

    # ----------------------------------------------------------------- timers and records
    def _schedule(self, delay_h: float, handler: str, args: tuple[str | int | float, ...]) -> int:
        timer = Timer(self._next_timer, self.now_h + delay_h, handler, args)
        self._next_timer += 1
        self.timers[timer.id] = timer
        self.clock.arm(timer.due_h, timer.id)
        return timer.id

    def time_ns(self, t_h: float | None = None) -> int:
        return self.start_ns + round((self.now_h if t_h is None else t_h) * NS_PER_H)

    def machine_type(self, machine_id: str) -> MachineType:
        """The machine's type (`Plant.machine_type`, resolved once)."""
        return self._types[machine_id]

    def _emit(self, kind: EventKind, machine: str | None, **payload: Any) -> None:
        if self.record_events:
            self._events.append(
                Event(time=self.time_ns(), machine=machine, kind=kind, payload=payload)
            )

    # ----------------------------------------------------------------- machine state
    def _health_list(self, m: MachineState) -> list[float]:
        return [m.health[w.id] for w in self._wear_modes[m.type]]

    def _wear(self, m: MachineState) -> None:
        """Apply the wear since the machine's last change, and close its current segment."""
        now = self.now_h
        elapsed = now - m.last_change_h
        if elapsed > 0:
            status = m.status
            running = status is BUSY
            # `wear_weight`, inlined: the wear hours per clock hour
            if running:
                effective = elapsed * max(m.load, 0.1) ** 2
            elif status is IDLE or status is WAIT_CREW:
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
