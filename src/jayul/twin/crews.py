"""The crews of the twin: planned maintenance, failures and repairs, each waiting for its crew,
and what they cost."""

from __future__ import annotations

from typing import Any

from jayul.plant.model import MaintenanceAction
from jayul.records import EventKind
from jayul.twin.core import DOWN, IDLE, MAINTENANCE, WAIT_CREW, TwinCore
from jayul.twin.state import MachineState


class Crews(TwinCore):
    """Maintenance, failures and repairs (a part of `Twin`)."""

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
        if m.status is DOWN or action_id in m.pending_maintenance:
            return False
        m.pending_maintenance.append(action_id)
        if m.status is IDLE:
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

    def _begin_unavailable(self, m: MachineState, kind: str) -> None:
        """Reserve the machine for maintenance or repair and ask for the crew."""
        if m.unavailable_since_h is None:
            m.unavailable_since_h = self.now_h
        self._change(m, DOWN if kind == "repair" else WAIT_CREW, 0.0)
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
            self._change(m, MAINTENANCE, 0.0)
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
        self._change(m, IDLE, 0.0, resets=tuple(action.restores))
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
        if m.pending_maintenance and m.status is IDLE:
            self._begin_unavailable(m, "maint")
        self._dispatch()

    def _charge(self, m: MachineState, mode: str, cost: float) -> None:
        key = f"{m.type}/{mode}"
        self.ledger.cost_by_mode[key] = self.ledger.cost_by_mode.get(key, 0.0) + cost

    def _fail(self, m: MachineState, mode_id: str) -> None:
        if m.status is WAIT_CREW:
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
        self._change(m, IDLE, 0.0, resets=(mode.id,))
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
