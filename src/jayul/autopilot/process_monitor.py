"""The health monitor of a continuous process: the units' monitors, plus the two judgements
that need the whole process at once.

- The soft sensor against its analyser (the plant file's `process.soft_sensor`): every reading
  that arrives judges the prediction made for its sample's time (`SoftSensorWatch`), and a
  drift raises an alert on the analyser's unit, through the same path as every alert: "soft
  sensor for <quantity> drifting: mean residual +x over the last n readings, interval
  coverage y". A drifting soft sensor is refitted when the caller's `refit` policy says so.
- The known fault (when a `FaultNamer` is given): each alert a unit's monitor raises names the
  known fault the process's latest rows look like, with its probability, or says none
  matches. A classifier loaded from the model registry says which version named it, in the
  alert and, with an `audit` log, in a `fault_named` record of the audit trail.

It wraps the units' `HealthMonitor` and shares its state (like the console's tap), so
everything that reads the monitor reads the units as before. Rows of the whole process are
formed per sample time across the units (a signal that did not report at that time keeps its
last value).
"""

from __future__ import annotations

from collections import deque
from collections.abc import Callable, Mapping, Sequence
from typing import Any

import numpy as np
from numpy.typing import NDArray

from jayul.autopilot.fault_naming import FaultNamer
from jayul.autopilot.monitor import HealthMonitor
from jayul.govern.audit import AuditLog
from jayul.health.process.analyser_drift import DriftFinding, SoftSensorWatch
from jayul.plant.process import delay_rows
from jayul.records import Alert, MachineState, Samples
from jayul.records.state_changes import StateChange

DRIFT_DETECTOR = "SoftSensorDrift"
SignalRef = tuple[str, str]
# Called with the watch and the finding when a quantity drifts; returns whether it refitted.
RefitPolicy = Callable[[SoftSensorWatch, DriftFinding], bool]
# Called with the watch at the end of commissioning; fits, registers and gates the first
# version: True served, False refused (no soft sensor then), None not ready yet.
FirstFitPolicy = Callable[[SoftSensorWatch], bool | None]


class ProcessMonitor(HealthMonitor):
    """The units' monitor, the soft sensor's drift and the known fault's name."""

    def __init__(
        self,
        inner: HealthMonitor,
        namer: FaultNamer | None = None,
        refit: RefitPolicy | None = None,
        min_readings: int = 40,
        first_fit: FirstFitPolicy | None = None,
        audit: AuditLog | None = None,
    ) -> None:
        # No super().__init__: the state is the inner monitor's, shared, not copied.
        self.inner = inner
        self.plant = inner.plant
        self.machines = inner.machines
        self.signatures = inner.signatures
        self.fit_h = inner.fit_h
        self.namer = namer
        self.refit = refit
        self.audit = audit
        self.drift_alerts: deque[Alert] = deque(maxlen=100)
        self.raised: deque[Alert] = deque(maxlen=1000)  # the alerts it returned, in order
        process = self.plant.process
        spec = process.soft_sensor if process is not None else None
        periods = {
            m: {s.id: s.period_s for s in self.plant.machine_type(m).signals}
            for m in self.plant.machine_ids
        }
        self.analysed: list[SignalRef] = spec.analysed_refs if spec is not None else []
        self.soft_inputs: list[SignalRef] = spec.input_refs if spec is not None else []
        wanted = self.soft_inputs + self.analysed + (namer.inputs if namer is not None else [])
        self.columns: list[SignalRef] = list(dict.fromkeys(wanted))
        self._col = {ref: j for j, ref in enumerate(self.columns)}
        self._last = np.full(len(self.columns), np.nan)
        self.watch: SoftSensorWatch | None = None
        if process is not None and spec is not None:
            machine, signal = self.analysed[0]
            period_h = periods[machine][signal] / 3600.0
            self.watch = SoftSensorWatch(
                len(self.soft_inputs), len(self.analysed), delay_rows(process, periods),
                fit_rows=int(np.ceil(self.fit_h / period_h)), min_readings=min_readings,
            )  # fmt: skip
            self.watch.first_fit = first_fit
        self.units = {
            (m, s.id): s.unit for m in self.plant.machine_ids
            for s in self.plant.machine_type(m).signals
        }  # fmt: skip
        keep = namer.rows_needed + 1 if namer is not None else 1
        self.recent: deque[NDArray[np.float64]] = deque(maxlen=keep)

    def update(
        self,
        batch: Samples,
        *,
        states: Mapping[str, MachineState] | None = None,
        changes: Sequence[StateChange] | None = None,
    ) -> list[Alert]:
        alerts = self.inner.update(batch, states=states, changes=changes)
        times, rows = self._rows(batch)
        found: list[Alert] = []
        k, q = len(self.soft_inputs), len(self.analysed)
        for t, row in zip(times, rows, strict=True):
            self.recent.append(row)
            if self.watch is not None:
                for finding in self.watch.update(int(t), row[:k], row[k : k + q]):
                    found.append(self._drift_alert(finding))
        out = [self._named(a) for a in alerts] + found
        self.raised.extend(out)
        return out

    def _rows(self, batch: Samples) -> tuple[NDArray[np.int64], NDArray[np.float64]]:
        """The batch as rows of `columns` per sample time, each gap the signal's last value."""
        times, rows = process_rows(batch, self._col, self._last)
        if len(rows):
            self._last = rows[-1]
        return times, rows

    def _named(self, alert: Alert) -> Alert:
        """The alert with the known fault the process looks like, when a classifier is given."""
        if self.namer is None or len(self.recent) == 0:
            return alert
        cols = [self._col[ref] for ref in self.namer.inputs]
        rows = np.vstack(self.recent)[:, cols]
        if not np.all(np.isfinite(rows)):
            return alert
        finding = self.namer.say(rows)
        if self.namer.source is not None:
            finding += f" ({self.namer.source})"
            if self.audit is not None:
                self.audit.append(alert.time, "process-monitor", "fault_named", self.namer.source,
                                  finding, {"machine": alert.machine})  # fmt: skip
        named = alert.model_copy(update={"finding": finding})
        mh = self.machines.get(alert.machine)
        if mh is not None and mh.last_alert is alert:
            mh.last_alert = named
        return named

    def _drift_alert(self, finding: DriftFinding) -> Alert:
        machine, signal = self.analysed[finding.quantity]
        assert self.watch is not None
        cusum = self.watch.cusums[finding.quantity]
        text = (
            f"soft sensor for {signal} drifting: mean residual {finding.mean_residual:+.3g} "
            f"{self.units[(machine, signal)]} over the last {finding.n} readings, "
            f"interval coverage {finding.coverage:.2f}"
        )
        score = max(cusum.high, cusum.low)  # read before a refit starts the CUSUM afresh
        if self.refit is not None and self.refit(self.watch, finding):
            text += "; refitted on the recent history"
        alert = Alert(
            time=finding.time, machine=machine, detector=DRIFT_DETECTOR,
            score=score, threshold=cusum.h, finding=text,
        )  # fmt: skip
        self.drift_alerts.append(alert)
        return alert

    def indicators(self) -> dict[str, float]:
        return self.inner.indicators()

    def reset_machine(self, machine: str) -> None:
        self.inner.reset_machine(machine)

    def __getattr__(self, name: str) -> Any:
        return getattr(self.inner, name)


def process_rows(
    batch: Samples, columns: Mapping[SignalRef, int], last: NDArray[np.float64]
) -> tuple[NDArray[np.int64], NDArray[np.float64]]:
    """`batch` as rows per sample time with the signals `columns` numbers (others ignored);
    a signal missing (or not good) at a time keeps its value of the row before, the first row's
    its value in `last` (NaN when never seen)."""
    n = len(last)
    if n == 0 or len(batch.time) == 0:
        return np.empty(0, dtype=np.int64), np.empty((0, n))
    col = np.fromiter(
        (columns.get((m, s), -1) for m, s in zip(batch.machine, batch.signal, strict=True)),
        dtype=np.int64, count=len(batch.time),
    )  # fmt: skip
    keep = (col >= 0) & (batch.quality == 0) & np.isfinite(batch.value)
    times, at = np.unique(batch.time[keep], return_inverse=True)
    rows = np.full((len(times), n), np.nan)
    rows[at, col[keep]] = batch.value[keep]
    prev = last
    for i in range(len(rows)):
        gap = np.isnan(rows[i])
        rows[i, gap] = prev[gap]
        prev = rows[i]
    return times, rows
