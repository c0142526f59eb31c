"""The soft-sensor panel of the process view: the product analyser's reading before it arrives.

The plant file's `process.soft_sensor` names the analysed quantities, the analyser's dead time
(`delay_s`, a whole number of the quantities' sampling period: on the Tennessee Eastman process
0.25 h, five 3-minute rows) and the fast measurements to predict them from. A `SoftSensor` maps
the inputs to every analysed quantity, with a 90 % interval from out-of-fold residuals.

It is fitted once, like the units' monitors: when commissioning is over (the monitor's `fit_h`
hours are in the rings) and at least `MIN_READINGS` analyser readings are known, on the readings
known at that row and nothing after it. Every prediction shown is at a row at or after that fit,
from the inputs up to that row only (the features are the inputs and their trailing means), so
the prediction at time t never saw a measurement or an analyser reading from after t. Each
reading is drawn against the time its sample was taken (`delay` rows before it appeared), so the
chart compares the prediction at t with the analyser's later word on t. The drift judgement on
those readings is the process monitor's (`jayul.autopilot.process_monitor`); the panel shows its
alerts.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import numpy.typing as npt

from jayul.health.process import SoftSensor, analyser_pairs
from jayul.plant.model import Plant
from jayul.plant.process import delay_rows
from jayul.server.tap import LiveTap

MIN_READINGS = 10  # the fewest the out-of-fold intervals take (5 folds of 2 readings)

Signal = tuple[str, str]  # (machine, signal)


def _num(x: float) -> float | None:
    return float(x) if math.isfinite(x) else None


def _column(values: npt.NDArray[np.float64]) -> list[float | None]:
    return [_num(float(v)) for v in values]


class SoftSensorPanel:
    """The live soft sensor of a process plant: fitted once from the rings, then predicting."""

    def __init__(self, plant: Plant) -> None:
        process = plant.process
        spec = process.soft_sensor if process is not None else None
        self.inputs: list[Signal] = spec.input_refs if spec is not None else []
        self.analysers: list[Signal] = spec.analysed_refs if spec is not None else []
        periods = {
            m: {s.id: s.period_s for s in plant.machine_type(m).signals} for m in plant.machine_ids
        }
        self.delay = delay_rows(process, periods) if process is not None and spec else 0
        self.units = {
            s.id: s.unit for mid in plant.machine_ids for s in plant.machine_type(mid).signals
        }
        self.sensor: SoftSensor | None = None
        self.fitted_ns: int | None = None  # the row whose data the fit had, nothing after it
        self.fit_readings = 0

    def rows(self, tap: LiveTap, n: int) -> tuple[npt.NDArray[np.int64], npt.NDArray[np.float64]]:
        """The newest `n` rows the units share: times, then inputs and analysers as columns."""
        wanted = self.inputs + self.analysers
        times: npt.NDArray[np.int64] | None = None
        by_machine: dict[str, tuple[npt.NDArray[np.int64], npt.NDArray[np.float64]]] = {}
        for mid in dict.fromkeys(m for m, _ in wanted):
            t, rows = tap.rings[mid].last(n)
            by_machine[mid] = (t, rows)
            times = t if times is None else np.intersect1d(times, t)
        assert times is not None
        columns = []
        for mid, sig in wanted:
            t, rows = by_machine[mid]
            at = np.searchsorted(t, times)
            columns.append(rows[at, tap.machines[mid].signals.index(sig)])
        return times, np.column_stack(columns) if columns else np.empty((len(times), 0))

    def fit_from(
        self, tap: LiveTap, times: npt.NDArray[np.int64], data: npt.NDArray[np.float64]
    ) -> str | None:
        """Fit at the first row where commissioning is over and enough readings are known;
        the reason there is no fit yet otherwise."""
        k = len(self.inputs)
        X, Y = data[:, :k], data[:, k:]
        finite = np.all(np.isfinite(data), axis=1)
        if not finite.all():  # a gap (a unit's missed sample): fit on the rows before it
            first_gap = int(np.argmin(finite))
            X, Y, times = X[:first_gap], Y[:first_gap], times[:first_gap]
        rows, _ = analyser_pairs(X, Y, self.delay)
        appeared = rows + self.delay  # the row each reading was reported at
        period_ns = int(np.median(np.diff(times))) if len(times) > 1 else 0
        commissioned = int(times[0]) + int(tap.fit_h * 3.6e12) - period_ns if len(times) else 0
        known_by = np.searchsorted(appeared, np.arange(len(times)), side="right")
        ready = np.flatnonzero((times >= commissioned) & (known_by >= MIN_READINGS))
        if len(ready) == 0:
            return (
                f"not enough history yet: {len(rows)} analyser readings of the {MIN_READINGS} "
                f"the fit needs, over {tap.fit_h:g} h of commissioning"
            )
        end = int(ready[0])  # the fit sees rows 0..end and the readings reported by then
        known = appeared <= end
        self.sensor = SoftSensor().fit(X[: end + 1], rows[known], Y[appeared[known]])
        self.fitted_ns = int(times[end])
        self.fit_readings = int(known.sum())
        return None

    def view(self, tap: LiveTap, history_rows: int) -> dict[str, Any]:
        """The panel's JSON: per analysed quantity the latest prediction with its interval, the
        last reading and when it came, and the last `history_rows` rows of both."""
        if not self.analysers or len(self.inputs) < 2:
            reason = (
                "the plant file names no product analyser and fast measurements to predict it "
                "from (process.soft_sensor: analysed, delay_s, inputs; docs/twin.md)"
            )
            return {"available": False, "reason": reason}
        if self.sensor is None:
            times, data = self.rows(tap, tap.rings[self.analysers[0][0]].capacity)
            why_not = self.fit_from(tap, times, data)
            if why_not is not None:
                return {"available": False, "reason": why_not}
        assert self.sensor is not None and self.fitted_ns is not None
        warm = max(self.sensor.windows)  # rows the trailing means need before the first shown
        times, data = self.rows(tap, history_rows + warm)
        k = len(self.inputs)
        point, low, high = self.sensor.predict(np.nan_to_num(data[:, :k]))
        shown = slice(max(0, len(times) - history_rows), len(times))
        # a row with a missed input predicts nothing (rather than from a zero filled in)
        after_fit = (times >= self.fitted_ns) & np.all(np.isfinite(data[:, :k]), axis=1)
        readings, appeared = self._readings(data[:, k:])
        quantities = []
        for j, (mid, sig) in enumerate(self.analysers):
            pred = np.where(after_fit, point[:, j], np.nan)
            reported = np.flatnonzero(appeared)
            last = int(reported[-1]) if len(reported) else None
            quantities.append({
                "machine": mid,
                "signal": sig,
                "unit": self.units[sig],
                "prediction": _num(float(pred[-1])) if len(pred) else None,
                "low": _num(float(low[-1, j])) if len(pred) and after_fit[-1] else None,
                "high": _num(float(high[-1, j])) if len(pred) and after_fit[-1] else None,
                "reading": None if last is None else _num(float(data[last, k + j])),
                "reading_time": None if last is None else int(times[last]),
                "sample_time": None if last is None or last < self.delay
                else int(times[last - self.delay]),
                "history": {
                    "prediction": _column(pred[shown]),
                    "low": _column(np.where(after_fit, low[:, j], np.nan)[shown]),
                    "high": _column(np.where(after_fit, high[:, j], np.nan)[shown]),
                    "reading": _column(readings[:, j][shown]),
                },
            })  # fmt: skip
        return {
            "available": True,
            "fitted_time": self.fitted_ns,
            "fit_readings": self.fit_readings,
            "coverage": self.sensor.coverage,
            "delay_rows": self.delay,
            "inputs": [s for _, s in self.inputs],
            "time": times[shown].tolist(),
            "quantities": quantities,
        }

    def _readings(
        self,
        Y: npt.NDArray[np.float64],
    ) -> tuple[npt.NDArray[np.float64], npt.NDArray[np.bool_]]:
        """Each reading placed at the row its sample was drawn (NaN elsewhere), and the rows
        where a new reading appeared."""
        new = np.zeros(len(Y), dtype=bool)
        new[1:] = np.any(np.diff(Y, axis=0) != 0, axis=1) & np.all(np.isfinite(Y[1:]), axis=1)
        at_sample = np.full_like(Y, np.nan)
        rows = np.flatnonzero(new)
        rows = rows[rows >= self.delay]
        at_sample[rows - self.delay] = Y[rows]
        return at_sample, new
