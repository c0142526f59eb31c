"""The twin's clocks: when each pending timer fires, in which order, and how fast.

A twin run as fast as possible keeps its pending timers on a heap of its own (`EventHeap`);
one paced against the wall clock runs them on SimPy's real-time environment (`RealTimeClock`).
Both fire timers in the same order at the same instants, to the bit: the heap reproduces
SimPy's arithmetic (an event armed at `now` with delay `d` is due at `now + d`; a run to `t`
first stops at `now + (t - now)`), so a twin's results do not depend on its clock. The heap
exists for speed: a SimPy event costs an event object, a callback list and a priority, and the
policy benchmarks and the Gymnasium environment fire millions of timers.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import partial
from heapq import heappop, heappush
from typing import Protocol

import simpy
import simpy.rt

Fire = Callable[[int], None]  # called with the id of a timer that is due


class Clock(Protocol):
    @property
    def now(self) -> float:
        """The instant of the last timer fired or of the last run's end."""

    def arm(self, due_h: float, timer_id: int) -> None:
        """Fire `timer_id` at `due_h` (at `now` if that has passed); timers due at the same
        instant fire in the order they were armed."""

    def run_until(self, t_h: float, stop_first: bool, fire: Fire) -> None:
        """Fire every timer due up to and including `t_h`. With `stop_first`, the clock first
        runs to `t_h` as SimPy's `run(until=t_h)` does, ending at `now + (t_h - now)`."""


class EventHeap:
    """Pending timers on a heap of (due, arming order, timer id), as SimPy orders its events."""

    __slots__ = ("_heap", "_next", "now")

    def __init__(self, now: float) -> None:
        self.now = now
        self._heap: list[tuple[float, int, int]] = []
        self._next = 0

    def arm(self, due_h: float, timer_id: int) -> None:
        now = self.now
        heappush(self._heap, (now + max(due_h - now, 0.0), self._next, timer_id))
        self._next += 1

    def run_until(self, t_h: float, stop_first: bool, fire: Fire) -> None:
        heap = self._heap
        if stop_first:
            # SimPy's stop event, due at `now + (t_h - now)`, goes before the timers due then
            stop = self.now + (t_h - self.now)
            while heap and heap[0][0] < stop:
                self.now, _, timer_id = heappop(heap)
                fire(timer_id)
            self.now = stop
        while heap and heap[0][0] <= t_h:
            self.now, _, timer_id = heappop(heap)
            fire(timer_id)


class RealTimeClock:
    """Timers on SimPy's real-time environment: `3600 / speed` wall seconds per simulated
    hour (`speed` simulated seconds per wall second), never failing when behind."""

    def __init__(self, now: float, speed: float) -> None:
        self.env = simpy.rt.RealtimeEnvironment(
            initial_time=now, factor=3600.0 / speed, strict=False
        )
        self._fire: Fire | None = None

    @property
    def now(self) -> float:
        return float(self.env.now)

    def arm(self, due_h: float, timer_id: int) -> None:
        event = self.env.timeout(max(due_h - self.env.now, 0.0))
        event.callbacks.append(partial(self._on_timeout, timer_id))

    def _on_timeout(self, timer_id: int, _event: simpy.Event) -> None:
        assert self._fire is not None
        self._fire(timer_id)

    def run_until(self, t_h: float, stop_first: bool, fire: Fire) -> None:
        self._fire = fire
        if stop_first:
            self.env.run(until=t_h)
        while self.env.peek() <= t_h:
            self.env.step()
