"""The process view of a continuous process (a plant file with a `process:` section): per unit
its measured variables (the latest value, and the product limits the plant file declares),
its multivariate monitor (the score against its control limit, 1 = the limit, with its recent
history) and the diagnosis of its last alert (the variables that drove it, with direction);
the setpoints in force; the setpoint changes waiting for a person; and, on the process twin,
the run's operating cost, energy and carbon per m3 of product; and the soft sensor's prediction
of the product analyser with its interval, against the analyser's later reading."""

from __future__ import annotations

import math
from typing import Any

from fastapi import APIRouter, Depends

from jayul.autopilot.process_plant import ProcessPlant
from jayul.gate.approvals import OPEN
from jayul.records import ActionKind
from jayul.server.auth import current_session, live_state
from jayul.server.live import LiveState
from jayul.server.routes_gate import approval_json
from jayul.server.users import Session

router = APIRouter(prefix="/api", tags=["plant"])
HISTORY_ROWS = 240  # the score chart's last rows (12 h at 3-minute samples)


def _num(x: float) -> float | None:
    return float(x) if math.isfinite(x) else None


def _unit(state: LiveState, machine: str, limits: dict[tuple[str, str], tuple[float, float]],
          setpoints: dict[str, float]) -> dict[str, Any]:  # fmt: skip
    tap = state.tap
    mh = tap.machines[machine]
    # the ring's rows: the unit's signals in plant order, then the monitor's score
    times, rows = tap.rings[machine].last(HISTORY_ROWS)
    last = rows[-1] if len(rows) else None
    units = {s.id: s.unit for s in state.plant.machine_type(machine).signals}
    signals = []
    for j, sig in enumerate(mh.signals):
        value = _num(float(last[j])) if last is not None else None
        low, high = limits.get((machine, sig), (None, None))
        outside = value is not None and low is not None and high is not None
        signals.append({
            "id": sig,
            "unit": units[sig],
            "value": value,
            "low": low,
            "high": high,
            "outside": outside and not (low <= value <= high),  # type: ignore[operator]
        })  # fmt: skip
    alert = mh.last_alert
    level = tap.score_level(machine)
    return {
        "machine": machine,
        "fitted": tap.fitted(machine),
        "detector": type(mh.threshold.detector).__name__ if mh.threshold is not None else None,
        "control_limit": level,
        "score": _num(mh.indicator) if tap.fitted(machine) else None,
        "history": {"time": times.tolist(), "score": [_num(float(x)) for x in rows[:, -1]]},
        "alarm": alert is not None,
        "diagnosis": None if alert is None else {
            "time": alert.time,
            "reason": alert.reason(),
            "variables": [c.model_dump() for c in alert.contributions],
        },
        "signals": signals,
        "setpoints": setpoints,
    }  # fmt: skip


@router.get("/process", summary="The process view: units, monitors, diagnoses, setpoint proposals")
def process(
    state: LiveState = Depends(live_state), _: Session = Depends(current_session)
) -> dict[str, Any]:
    plant = state.plant
    if plant.process is None:
        return {"available": False, "reason": f"plant {plant.name!r} is not a continuous process"}
    limits = {(lim.machine, lim.signal): (lim.low, lim.high) for lim in plant.process.limits}
    with state.lock:
        snap = state.snapshot
        setpoints = {m["id"]: m["setpoints"] for m in snap.machines}
        units = [_unit(state, m, limits, setpoints.get(m, {})) for m in plant.machine_ids]
        waiting = []
        if state.gate is not None:
            waiting = [a for a in state.gate.approvals.requests(OPEN)
                       if a.action.kind is ActionKind.CHANGE_SETPOINT]  # fmt: skip
        port = state.pilot.plant
        ledger = port.twin.ledger.per_hour() if isinstance(port, ProcessPlant) else None
        soft = state.soft_sensor
        soft_sensor = soft.view(state.tap, HISTORY_ROWS) if soft is not None else None
        if soft_sensor is not None and soft_sensor["available"]:
            # the process monitor's drift alerts on the analyser (newest last), if it runs
            raised = getattr(state.tap.inner, "drift_alerts", [])
            soft_sensor["drift"] = [
                {"time": a.time, "finding": a.finding} for a in list(raised)[-5:]
            ]
    return {
        "available": True,
        "now_ns": snap.now_ns,
        "units": units,
        "proposals": [approval_json(a) for a in waiting],
        "ledger": ledger,  # the process twin's figures; None on a real process
        "emissions": plant.process.emissions.model_dump(),
        "soft_sensor": soft_sensor,  # the product analyser predicted, or why not (available)
    }
