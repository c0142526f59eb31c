"""A health monitor that also keeps what the console shows: recent rows, scores and alerts.

The autopilot hands every batch of samples to its monitor; wrapping the monitor is the one
place where the live rows, the anomaly score after each batch and the alerts with their
explanations can be seen without changing the loop.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Callable, Mapping, Sequence
from typing import Any

import numpy as np

from jayul.autopilot.monitor import HealthMonitor, pivot_rows
from jayul.records import Alert, MachineState, Samples
from jayul.records.state_changes import StateChange
from jayul.server.ring import SignalRing


class LiveTap(HealthMonitor):
    """Delegates to the wrapped monitor and records rings, scores and alerts on the way."""

    def __init__(self, inner: HealthMonitor, ring_capacity: int = 7200) -> None:
        # No super().__init__: the state is the inner monitor's, shared, not copied.
        self.inner = inner
        self.plant = inner.plant
        self.machines = inner.machines
        self.signatures = inner.signatures
        self.fit_h = inner.fit_h
        self.rings = {
            mid: SignalRing(mh.signals, ring_capacity) for mid, mh in self.machines.items()
        }
        self.alerts: deque[Alert] = deque(maxlen=500)
        self._last_rows: dict[str, Any] = {}
        # Who else hears of each batch with its alerts, and of each reset (the alarm board).
        self.on_update: Callable[[Samples, list[Alert]], None] | None = None
        self.on_reset: Callable[[str], None] | None = None

    def update(
        self,
        batch: Samples,
        *,
        states: Mapping[str, MachineState] | None = None,
        changes: Sequence[StateChange] | None = None,
    ) -> list[Alert]:
        alerts = self.inner.update(batch, states=states, changes=changes)
        for mid, mh in self.machines.items():
            times, rows = pivot_rows(batch, mid, mh.signals, self._last_rows.get(mid), mh.merge_ns)
            if len(rows) == 0:
                continue
            self._last_rows[mid] = rows[-1]
            score = mh.indicator if mh.scorer is not None else float("nan")
            self.rings[mid].append(times, rows, score)
        self.alerts.extend(alerts)
        if self.on_update is not None:
            self.on_update(batch, alerts)
        return alerts

    def indicators(self) -> dict[str, float]:
        return self.inner.indicators()

    def reset_machine(self, machine: str) -> None:
        self.inner.reset_machine(machine)
        if self.on_reset is not None:
            self.on_reset(machine)

    def fitted(self, machine: str) -> bool:
        """Whether the machine's detector has finished its commissioning (training) period."""
        return self.machines[machine].scorer is not None

    def score_level(self, machine: str) -> float | None:
        mh = self.machines[machine]
        return float(mh.threshold.level_) if mh.threshold is not None else None

    def __getattr__(self, name: str) -> Any:
        return getattr(self.inner, name)


def finite_or_none(x: float | None) -> float | None:
    return None if x is None or not np.isfinite(x) else float(x)
