"""Plant KPIs from the twin's ledger. Definitions in docs/kpis.md."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from jayul.twin.factory import Twin


@dataclass(frozen=True)
class Kpis:
    hours: float
    planned_h: float
    oee: float
    availability: float
    performance: float
    quality: float
    throughput: float  # orders completed per day
    on_time_rate: float
    failures: int
    maintenances: int
    downtime_h: float
    maintenance_cost: float
    failure_cost: float
    tardiness_cost: float
    total_cost: float
    orders_done: int
    orders_open: int

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


def _costs(twin: Twin) -> tuple[float, float, float, int]:
    """Maintenance, failure and tardiness cost over [0, now], and the open orders already
    late."""
    led = twin.ledger
    hours = twin.now_h
    open_late = [o for o in twin.orders.values() if o.due_h < hours]
    open_tardiness = sum(hours - o.due_h for o in open_late)
    tardiness_cost = (led.tardiness_h + open_tardiness) * twin.order_spec.tardiness_cost_per_h
    mt = twin.plant.machine_types
    # Downtime still running at `now` is charged at its machine's rate, as a closed one is.
    running_cost_f = sum(
        mt[m.type].downtime_cost_per_h * (hours - m.unavailable_since_h)
        for m in twin.machines.values()
        if m.unavailable_since_h is not None and m.failed_mode is not None
    )
    running_cost_m = sum(
        mt[m.type].downtime_cost_per_h * (hours - m.unavailable_since_h)
        for m in twin.machines.values()
        if m.unavailable_since_h is not None and m.failed_mode is None
    )
    maintenance_cost = led.maintenance_cost + running_cost_m
    failure_cost = led.failure_cost + running_cost_f
    return maintenance_cost, failure_cost, tardiness_cost, len(open_late)


def total_cost(twin: Twin) -> float:
    """`compute_kpis(twin).total_cost`, to the last bit, without the other KPIs."""
    maintenance_cost, failure_cost, tardiness_cost, _ = _costs(twin)
    return maintenance_cost + failure_cost + tardiness_cost


def compute_kpis(twin: Twin) -> Kpis:
    """KPIs over [0, now]. Downtime still running at `now` counts up to `now`; open orders
    past their due date count as late (their lateness so far is charged)."""
    led = twin.ledger
    hours = twin.now_h
    n = len(twin.machines)
    planned = hours * n
    running_down_failure = 0.0
    running_down_maint = 0.0
    for m in twin.machines.values():
        if m.unavailable_since_h is not None:
            if m.failed_mode is not None:
                running_down_failure += hours - m.unavailable_since_h
            else:
                running_down_maint += hours - m.unavailable_since_h
    downtime = (
        led.failure_downtime_h
        + led.maintenance_downtime_h
        + running_down_failure
        + running_down_maint
    )
    availability = 1.0 - downtime / planned if planned > 0 else 1.0
    available_h = planned - downtime
    performance = min(led.ideal_h / available_h, 1.0) if available_h > 0 else 0.0
    quality = (
        (led.ops_completed - led.ops_scrapped) / led.ops_completed if led.ops_completed else 1.0
    )
    maintenance_cost, failure_cost, tardiness_cost, open_late = _costs(twin)
    judged = led.orders_done + open_late
    on_time = led.orders_on_time / judged if judged else 1.0
    return Kpis(
        hours=hours,
        planned_h=planned,
        oee=availability * performance * quality,
        availability=availability,
        performance=performance,
        quality=quality,
        throughput=led.orders_done / (hours / 24.0) if hours > 0 else 0.0,
        on_time_rate=on_time,
        failures=led.failures,
        maintenances=led.maintenances,
        downtime_h=downtime,
        maintenance_cost=maintenance_cost,
        failure_cost=failure_cost,
        tardiness_cost=tardiness_cost,
        total_cost=maintenance_cost + failure_cost + tardiness_cost,
        orders_done=led.orders_done,
        orders_open=len(twin.orders),
    )
