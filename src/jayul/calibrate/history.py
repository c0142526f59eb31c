"""A plant's history as calibration needs it: per machine, what it did and when.

Built from the events a real plant's historian holds (operation start and end, failures,
repairs, maintenance, orders, setpoint changes); nothing the twin alone knows (health index,
parameters) is read. Bad history is refused with a message naming what is wrong and where:
no events, an interval that ends before it starts or never started, two things a machine
does at the same time, times going backwards.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from jayul.plant.model import Plant, modelled
from jayul.records import Event, EventKind
from jayul.records.timebase import NS_PER_H, to_ns


class HistoryError(ValueError):
    """History that cannot be calibrated from; the message says what and where."""


@dataclass
class Interval:
    """Something a machine did from `start_h` to `end_h` (hours since the window start)."""

    start_h: float
    end_h: float
    label: str  # operation name, maintenance action or failure mode
    detail: dict[str, object] = field(default_factory=dict)

    @property
    def hours(self) -> float:
        return self.end_h - self.start_h


@dataclass
class MachineHistory:
    machine: str
    type: str
    operations: list[Interval] = field(default_factory=list)
    maintenance: list[Interval] = field(default_factory=list)
    repairs: list[Interval] = field(default_factory=list)  # failure time -> repair end
    repair_work: list[Interval] = field(default_factory=list)  # repair start -> repair end
    failures: list[tuple[float, str]] = field(default_factory=list)
    setpoints: list[tuple[float, str, float]] = field(default_factory=list)

    def stops(self) -> list[Interval]:
        """Intervals the machine stood for maintenance or repair, in time order."""
        return sorted(self.maintenance + self.repairs, key=lambda i: i.start_h)


@dataclass
class Order:
    released_h: float
    product: str
    due_after_h: float


@dataclass
class History:
    """One window of a plant's history; times are hours since `start_ns`."""

    start_ns: int
    hours: float
    machines: dict[str, MachineHistory]
    orders: list[Order]
    events: int

    def time_ns(self, t_h: float) -> int:
        return self.start_ns + round(t_h * NS_PER_H)


# Among events of one instant: what ends, then what starts, then a failure (a tick's check
# comes after the operations that began at the same instant), then what it triggers.
TIE_ORDER = {
    EventKind.OPERATION_END: 1,
    EventKind.REPAIR_END: 2,
    EventKind.MAINTENANCE_END: 3,
    EventKind.OPERATION_START: 4,
    EventKind.FAILURE: 5,
    EventKind.REPAIR_START: 6,
    EventKind.MAINTENANCE_START: 7,
}


def _where(ev: Event) -> str:
    return f"event {ev.kind.value} of {ev.machine or 'the plant'} at t={ev.time} ns (id {ev.id})"


def build_history(plant: Plant, events: list[Event], start_ns: int, end_ns: int) -> History:
    """Pair start and end events into intervals per machine; refuse inconsistent history."""
    if not events:
        raise HistoryError(
            "no events in the chosen window: calibration needs the maintenance log and the "
            "operation events (failures, repairs, maintenance, operation start/end, orders)"
        )
    if end_ns <= start_ns:
        raise HistoryError(f"the window is empty: until ({end_ns}) is not after since ({start_ns})")
    machines = {
        m.id: MachineHistory(m.id, m.type) for m in plant.machines
    }  # machines not in the plant file are refused below
    open_op: dict[str, tuple[float, Event]] = {}
    open_maint: dict[str, tuple[float, Event]] = {}
    open_repair: dict[str, tuple[float, Event]] = {}
    failed_at: dict[str, tuple[float, str]] = {}
    orders: list[Order] = []
    plant_ns = to_ns(plant.start)
    order_products: dict[str, str] = {}
    ops_seen = 0
    last_ns = events[0].time
    for ev in events:
        if ev.time < last_ns:
            raise HistoryError(f"time goes backwards: {_where(ev)} comes after t={last_ns} ns")
        last_ns = ev.time
    # a store keeps no order among events of the same instant: ends before starts
    for ev in sorted(events, key=lambda e: (e.time, TIE_ORDER.get(e.kind, 0))):
        t = (ev.time - start_ns) / NS_PER_H
        if ev.kind is EventKind.ORDER_RELEASED:
            product = str(ev.payload.get("product", ""))
            due = ev.payload.get("due_h")
            if due is None or product not in {
                p.id for p in modelled(plant.orders, "orders").products
            }:
                raise HistoryError(f"{_where(ev)}: order without a known product or due date")
            # the twin writes due_h on its own clock; a real plant's due date is stored as
            # hours after release in `due_after_h` when it has one
            slack = ev.payload.get("due_after_h")
            if slack is None:
                slack = float(due) - (ev.time - plant_ns) / NS_PER_H
            orders.append(Order(t, product, float(slack)))
            if "order" in ev.payload:
                order_products[str(ev.payload["order"])] = product
            continue
        if ev.machine is None:
            continue
        if ev.machine not in machines:
            if ev.kind in (EventKind.ALERT, EventKind.DECISION, EventKind.VERDICT):
                continue
            raise HistoryError(f"{_where(ev)}: machine {ev.machine!r} is not in the plant file")
        mh = machines[ev.machine]
        mid = ev.machine
        if ev.kind is EventKind.OPERATION_START:
            if mid in open_op:
                raise HistoryError(f"overlapping operations: {_where(ev)} while one still runs")
            if mid in open_maint or mid in failed_at:
                raise HistoryError(f"overlapping events: {_where(ev)} while the machine is stopped")
            open_op[mid] = (t, ev)
        elif ev.kind is EventKind.OPERATION_END:
            if mid in open_op:
                t0, start = open_op.pop(mid)
                detail = dict(start.payload)
                detail["product"] = order_products.get(str(start.payload.get("order")))
                mh.operations.append(Interval(t0, t, str(start.payload.get("name", "")), detail))
                ops_seen += 1
            # an end without its start began before the window: nothing to measure
        elif ev.kind is EventKind.FAILURE:
            if mid in failed_at:
                raise HistoryError(f"overlapping events: {_where(ev)} while already failed")
            mode = str(ev.payload.get("mode", ""))
            known = {f.id for f in plant.machine_type(mid).failure_modes}
            if mode not in known:
                raise HistoryError(f"{_where(ev)}: unknown failure mode {mode!r}")
            if mid in open_op:  # a failure aborts the running operation; it still wore
                t0, start = open_op.pop(mid)
                mh.operations.append(
                    Interval(t0, t, str(start.payload.get("name", "")), {"aborted": True})
                )
            open_maint.pop(mid, None)
            failed_at[mid] = (t, mode)
            mh.failures.append((t, mode))
        elif ev.kind is EventKind.REPAIR_START:
            if mid not in failed_at and t > 0:
                raise HistoryError(f"{_where(ev)}: a repair starts without a failure before it")
            open_repair[mid] = (t, ev)
        elif ev.kind is EventKind.REPAIR_END:
            if mid in open_repair:
                t0, _ = open_repair.pop(mid)
                mode = str(ev.payload.get("mode", ""))
                mh.repair_work.append(Interval(t0, t, mode))
            if mid in failed_at:
                t_fail, mode = failed_at.pop(mid)
                mh.repairs.append(Interval(t_fail, t, mode))
        elif ev.kind is EventKind.MAINTENANCE_START:
            if mid in open_maint:
                raise HistoryError(f"overlapping maintenance: {_where(ev)} while one is running")
            if mid in open_op:
                raise HistoryError(
                    f"overlapping events: {_where(ev)} while an operation still runs"
                )
            open_maint[mid] = (t, ev)
        elif ev.kind is EventKind.MAINTENANCE_END:
            if mid in open_maint:
                t0, start = open_maint.pop(mid)
                action = str(ev.payload.get("action", start.payload.get("action", "")))
                known_actions = {a.id for a in plant.machine_type(mid).maintenance}
                if action not in known_actions:
                    raise HistoryError(f"{_where(ev)}: unknown maintenance action {action!r}")
                mh.maintenance.append(Interval(t0, t, action))
        elif ev.kind is EventKind.SETPOINT:
            mh.setpoints.append(
                (t, str(ev.payload.get("setpoint", "")), float(ev.payload.get("value", 0.0)))
            )
    if ops_seen == 0:
        raise HistoryError(
            "no complete operation (operation_start followed by operation_end) in the window: "
            "processing times and machine usage cannot be measured"
        )
    hours = (end_ns - start_ns) / NS_PER_H
    # still failed at the window's end: the repair runs past it (kept open, as downtime)
    for mid, (t_fail, mode) in failed_at.items():
        machines[mid].repairs.append(Interval(t_fail, hours, mode, {"open": True}))
    for mid, (t0, start) in open_maint.items():
        action = str(start.payload.get("action", ""))
        machines[mid].maintenance.append(Interval(t0, hours, action, {"open": True}))
    return History(start_ns, hours, machines, orders, len(events))
