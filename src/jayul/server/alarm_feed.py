"""Feeding the alarm board from the live loop: the monitor's alerts (keyed by the failure mode
its signals point at), the alarm rules on every batch, maintenance and repairs that end a
problem, and the gate's decisions as links to what was done.

The feed runs inside the autopilot's tick (the caller holds `LiveState.lock`); whatever goes
wrong in it is counted and kept as the last error, never raised into the loop.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from jayul.alarms import AlarmBoard, AlarmStore, Link, RuleEngine
from jayul.autopilot.process_monitor import DRIFT_DETECTOR
from jayul.historian.sql_store import SqlHistorian
from jayul.records import Alert, Samples

if TYPE_CHECKING:
    from jayul.server.live import LiveState


class AlarmFeed:
    """The board, the rule engine and the hooks that feed them."""

    def __init__(self, state: LiveState) -> None:
        self.state = state
        historian = state.historian
        store = AlarmStore(historian) if isinstance(historian, SqlHistorian) else None
        self.store = store
        self.board = AlarmBoard(store, audit=self._audit)
        stored = store.rules() if store is not None else []
        declared = {r.id for r in state.plant.alarms}
        self.rules = RuleEngine(state.plant, [*state.plant.alarms, *stored])
        self.rules.resume(self.board.alarms())  # rule alarms left open by the last run
        self.declared = declared  # ids from the plant file (read-only through the API)
        self.errors = 0
        self.last_error = ""
        state.tap.on_update = self.update
        state.tap.on_reset = self.reset

    def _audit(
        self, time: int, who: str, kind: str, subject: str, why: str, payload: dict[str, Any]
    ) -> None:
        self.state.audit.append(time, who, kind, subject, why, payload)

    def _guard(self, what: str, exc: Exception) -> None:
        self.errors += 1
        self.last_error = f"{what}: {type(exc).__name__}: {exc}"

    def update(self, batch: Samples, alerts: list[Alert]) -> None:
        try:
            for alert in alerts:
                # the failure mode the unit's detector points at; a soft sensor's drift is a
                # problem of its own on the analyser's unit (keyed by its detector)
                mode = None
                if alert.detector != DRIFT_DETECTOR:
                    mode = self.state.tap.machines[alert.machine].suspect_mode
                self.board.alert(alert, mode)
            now = self.state.port.time_ns()
            for hit in self.rules.hits(batch, now):
                self.board.rule_hit(hit)
            self.board.tick(now)
        except Exception as exc:
            self._guard("alarm feed", exc)

    def reset(self, machine: str) -> None:
        try:
            now = self.state.port.time_ns()
            self.board.resolved(machine, now, "maintenance or repair ended (detector reset)")
        except Exception as exc:
            self._guard("alarm clear", exc)

    def after_tick(self) -> None:
        """Link the gate's recent decisions to the open alarms of their machines (an alarm
        ignores a link it has, and decisions older than itself), then save what changed."""
        try:
            gate = self.state.gate
            for d in list(gate.recent) if gate is not None else []:
                out = d.outcome
                what = d.action.params.get("action", d.action.kind.value)
                link = Link(
                    kind="approval" if out.approval_id else "action",
                    id=out.approval_id or d.action.id,
                    time=d.time,
                    status=out.status.value,
                    note=f"{what}: {out.reason}",
                )
                self.board.link(d.action.machine, link)
            self.board.flush()
        except Exception as exc:
            self._guard("alarm links", exc)
