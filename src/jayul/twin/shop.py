"""The shop floor of the twin: orders arrive, their operations wait, the dispatcher starts them
on idle machines, and a worn machine scraps more of what it makes."""

from __future__ import annotations

import bisect
from typing import TYPE_CHECKING, cast

from jayul.records import EventKind
from jayul.twin.core import BUSY, IDLE, TwinCore
from jayul.twin.state import MachineState, Operation, Order

if TYPE_CHECKING:
    from jayul.twin.factory import Twin


class Shop(TwinCore):
    """Orders, operations and dispatch (a part of `Twin`)."""

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
            m.id for m in self.machines.values() if m.status is IDLE and not m.pending_maintenance
        ]
        if not idle:
            return
        for op, mid in self.dispatcher.assign(cast("Twin", self), list(self.ready), idle):
            self._start_op(op, self.machines[mid])

    def _start_op(self, op: Operation, m: MachineState) -> None:
        ready = self.ready  # by identity: Operation's generated __eq__ is slow on a long queue
        del ready[next(i for i, o in enumerate(ready) if o is op)]
        factor = self._speed_factor(m)
        duration = self._types[m.id].operations[op.name] * op.work / factor
        load = factor * float(self.rng_ops[m.id].uniform(0.85, 1.15))
        m.op, m.op_started_h = (op.order_id, op.index), self.now_h
        self._change(m, BUSY, load)
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
        self._change(m, IDLE, 0.0)
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
