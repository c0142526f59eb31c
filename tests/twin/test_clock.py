"""The twin's own event heap fires timers as SimPy does: same order, same instants, to the bit."""

from __future__ import annotations

import dataclasses

import numpy as np

from jayul.plant import load_demo_plant
from jayul.twin import Twin
from jayul.twin.clock import EventHeap, RealTimeClock


def _history(twin: Twin) -> tuple[object, ...]:
    machines = [  # every field but the sensor segments (kept only with signals)
        [getattr(m, f.name) for f in dataclasses.fields(m) if f.name != "segments"]
        for m in twin.machines.values()
    ]
    events = [(e.time, e.machine, e.kind, sorted(e.payload.items())) for e in twin.drain_events()]
    return (twin.now_h, twin.kpis(), machines, sorted(twin.timers.items()), events)


def _drive(twin: Twin) -> tuple[object, ...]:
    """Odd steps, a request, an early sign-off and a fork: every way timers get armed."""
    for _ in range(7):
        twin.step(0.37)
    twin.request_maintenance("pump1", "overhaul")
    twin.run_until(30.1)
    twin.end_maintenance_now("pump1")
    twin.run_until(24 * 6)
    fork = twin.fork(seed=2)
    fork.request_maintenance("cnc1", "spindle_service")
    fork.run_until(24 * 9 + 0.5)
    return (_history(twin), _history(fork))


def test_the_heap_fires_timers_as_simpy_does() -> None:
    plant = load_demo_plant()
    fast = Twin(plant, seed=4, signals=False)
    paced = Twin(plant, seed=4, signals=False, speed=1e15)  # SimPy's real-time clock, no wait
    assert isinstance(fast.clock, EventHeap) and isinstance(paced.clock, RealTimeClock)
    paced.speed = None  # so that its fork runs on the heap too, as `fast`'s does
    a, b = _drive(fast), _drive(paced)
    assert a == b
    assert fast.ledger.maintenances > 0 and fast.ledger.orders_done > 0  # something happened


def test_same_instant_timers_fire_in_arming_order_and_runs_stop_as_simpy_stops() -> None:
    heap = EventHeap(0.1)
    fired: list[int] = []
    for timer_id, due in ((0, 0.3), (1, 0.3), (2, 0.2), (3, 0.0)):  # 3 is overdue: fires first
        heap.arm(due, timer_id)
    heap.run_until(0.3, True, fired.append)
    assert fired == [3, 2, 0, 1]
    heap.run_until(0.7, True, fired.append)
    assert heap.now == 0.3 + (0.7 - 0.3)  # SimPy's stop instant, not 0.7 itself
    assert np.isclose(heap.now, 0.7)
