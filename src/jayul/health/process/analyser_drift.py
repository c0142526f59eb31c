"""Drift of a soft sensor against its analyser: each reading, when it arrives, judges the
prediction made for the time its sample was drawn.

A `SoftSensorWatch` takes the process row by row (the fast inputs and the analyser's latest
reading, aligned in time). It fits a `SoftSensor` once, at the first row where commissioning is
over and `min_readings` readings are known (on those rows and readings only). With a
`first_fit` policy, that policy fits, registers and gates the first version instead: when it
refuses, the watch serves no soft sensor and judges nothing from then on (`refused`). From
then on it predicts at every row from the inputs up to that row and keeps the prediction; when a new
reading appears at row r, it describes the sample drawn `delay` rows earlier, and is compared
with the prediction kept for row r - delay: that prediction was made before the reading (or
any row after the sample) existed, so the comparison cannot peek at the analyser's future.

The residual (reading - prediction) is judged against how the residuals started out (phase I,
as in statistical process control): the first `baseline_n` readings after a fit set their
centre and spread (no smaller than the fit's out-of-fold spread), since a soft sensor fitted on
a few dozen readings carries a bias of its own that is not a drift. From then on a two-sided
CUSUM per quantity (Page 1954) on the standardised residual z: S+ = max(0, S+ + z - k),
S- = max(0, S- - z - k), drift when either passes h. With k = 0.75 and h = 10, Siegmund's
approximation gives an in-control run length of about 1.7e7 readings per side on independent
standard normal residuals (margin for residuals that are neither), and a shift of two sigmas
is seen after about nine readings, three sigmas after about five. A finding reports the mean
residual and the interval coverage over the readings of the excursion that crossed. An
excursion whose readings still fall mostly inside their 90 % intervals (coverage at or above
`ALERT_COVERAGE`) is no finding: the quantity's CUSUM starts afresh. On a wandering process the
phase I centre, set on 30 autocorrelated readings, is itself off by a sigma or two, so the
CUSUM crosses on a bias the intervals absorb (docs/benchmarks/process.md: two of three drift
alerts on normal 48 h runs had coverage 0.91 and 1.00); the interval is what the soft sensor
promised, and a drift worth a person's attention breaks it (a G reading off by 1 mol%, about
two residual sigmas, leaves well under 80 % inside). Such an absorbed crossing also moves the
quantity's centre to the mean of its last `baseline_n` residuals that fell inside their
intervals (kept when fewer are known, so the centre rests on no fewer readings than phase I's).
Left on the old centre, the bias would make the CUSUM cross again every few readings, silently,
and would blunt it by the bias's size against a drift the other way; the centre never moves
outside the intervals, so it cannot follow a drift that breaks them. A quantity that drifted raises
one finding and stays drifting (no repeat) until it is refitted or
`clear_n` readings in a row fall back inside the interval.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from jayul.health.process.soft_sensor import SoftSensor, analyser_pairs

CUSUM_K = 0.75  # the allowance, in residual sigmas: half the smallest shift worth seeing
CUSUM_H = 10.0  # the decision limit, in residual sigmas (see the module's docstring)
# a crossing is a finding only when under this share of its excursion's readings fell inside
# their 90 % interval: the coverage the retraining policy's default decay tolerance still
# accepts (0.9 promised, less 10 %: 0.81) is no drift worth an alert either
ALERT_COVERAGE = 0.8


@dataclass(frozen=True)
class DriftFinding:
    """A quantity whose analyser readings left its soft sensor's predictions."""

    quantity: int  # index into the watched quantities
    time: int  # the row (ns) at which the reading that tipped it appeared
    mean_residual: float  # reading - prediction, mean over the last `n` readings
    n: int
    coverage: float  # share of those readings inside their 90 % interval


class Cusum:
    """Two-sided CUSUM on standardised values; `update` says +1 / -1 when it crosses."""

    def __init__(self, k: float = CUSUM_K, h: float = CUSUM_H) -> None:
        self.k, self.h = k, h
        self.high = self.low = 0.0
        self.run_high = self.run_low = 0  # values since each sum last stood at zero

    def update(self, z: float) -> int:
        self.high = max(0.0, self.high + z - self.k)
        self.low = max(0.0, self.low - z - self.k)
        self.run_high = self.run_high + 1 if self.high > 0 else 0
        self.run_low = self.run_low + 1 if self.low > 0 else 0
        if self.high > self.h:
            return 1
        return -1 if self.low > self.h else 0

    def reset(self) -> None:
        self.high = self.low = 0.0
        self.run_high = self.run_low = 0


class SoftSensorWatch:
    """Fit once, predict every row, judge each analyser reading against its own prediction."""

    def __init__(self, n_inputs: int, n_quantities: int, delay: int, fit_rows: int,
                 min_readings: int = 40, history: int = 100, clear_n: int = 20,
                 baseline_n: int = 30, capacity: int = 4000) -> None:  # fmt: skip
        self.n_inputs, self.n_quantities, self.delay = n_inputs, n_quantities, delay
        self.fit_rows, self.min_readings = fit_rows, min_readings
        self.clear_n = clear_n
        self.sensor: SoftSensor | None = None
        self.fit_inputs = np.empty((0, n_inputs))  # the input rows the sensor was fitted on
        self.fitted_ns: int | None = None
        # fits, registers and gates the first version and serves it (`adopt`): True when it
        # served one, False when refused, None when the rows are not ready yet
        self.first_fit: Callable[[SoftSensorWatch], bool | None] | None = None
        self.refused = False  # the first version was refused: no soft sensor is served
        self.rows = 0  # rows seen so far
        self.times: deque[int] = deque(maxlen=capacity)
        self.inputs: deque[NDArray[np.float64]] = deque(maxlen=capacity)
        self.readings: deque[NDArray[np.float64]] = deque(maxlen=capacity)
        self.reading_rows: list[int] = []  # rows (counted from 0) where a new reading appeared
        # predictions kept by row until their reading arrives: (point, low, high)
        self.kept: dict[int, tuple[NDArray[np.float64], ...]] = {}
        self.residuals = [deque[float](maxlen=history) for _ in range(n_quantities)]
        self.inside = [deque[bool](maxlen=history) for _ in range(n_quantities)]
        self.cusums = [Cusum() for _ in range(n_quantities)]
        self.drifting = [False] * n_quantities
        self.back_inside = [0] * n_quantities
        self.absorbed = [0] * n_quantities  # crossings the intervals absorbed, since the start
        # phase I: the first `baseline_n` readings after a fit set the residuals' centre and
        # spread the CUSUM measures from (no smaller than the fit's out-of-fold spread)
        self.baseline_n = baseline_n
        self.baseline: list[NDArray[np.float64]] = []
        self.centre = np.zeros(n_quantities)
        self.sigma = np.ones(n_quantities)

    def update(self, time: int, inputs: NDArray[np.float64],
               reading: NDArray[np.float64]) -> list[DriftFinding]:  # fmt: skip
        """One row: the inputs now and the analyser's latest reading (NaN when unknown)."""
        row = self.rows
        self.rows += 1
        new = (
            len(self.readings) > 0
            and bool(np.all(np.isfinite(reading)))
            and bool(np.any(reading != self.readings[-1]))
        )
        self.times.append(time)
        self.inputs.append(np.asarray(inputs, dtype=np.float64))
        self.readings.append(np.asarray(reading, dtype=np.float64))
        if new and row >= self.delay:
            self.reading_rows.append(row)
            if len(self.reading_rows) > len(self.inputs):  # older than any row held
                del self.reading_rows[0]
        findings: list[DriftFinding] = []
        if self.sensor is None:
            self._maybe_fit(row)
        elif new:
            findings = self._judge(row, time, reading)
        if self.sensor is not None and bool(np.all(np.isfinite(inputs))):
            self._predict(row)
        return findings

    def _window(self, rows: int) -> NDArray[np.float64]:
        n = min(rows, len(self.inputs))
        return np.vstack([self.inputs[i] for i in range(len(self.inputs) - n, len(self.inputs))])

    def _maybe_fit(self, row: int) -> None:
        if self.refused or row + 1 < self.fit_rows or len(self.reading_rows) < self.min_readings:
            return
        if self.first_fit is None:
            self.refit()
        elif self.first_fit(self) is False:
            self.refused = True

    def refit(self) -> bool:
        """Fit on every row the watch holds and the readings known by the last one (the
        first fit, or a refit after drift) and serve it. False when the rows hold a gap or
        too few readings."""
        found = self.candidate()
        if found is None:
            return False
        self.adopt(found[0], found[1])
        return True

    def candidate(
        self, since_ns: int | None = None, holdout: float = 0.0
    ) -> tuple[SoftSensor, NDArray[np.float64], dict[str, float]] | None:
        """`fit_candidate` on the rows the watch holds from `since_ns` on (all by default)."""
        start = 0 if since_ns is None else int(np.searchsorted(np.asarray(self.times), since_ns))
        n = len(self.inputs) - start
        Y = np.vstack([self.readings[i] for i in range(start, len(self.readings))])
        return fit_candidate(self._window(n), Y, self.delay, self.min_readings, holdout,
                             self.sensor)  # fmt: skip

    def adopt(self, sensor: SoftSensor, X: NDArray[np.float64]) -> None:
        """Serve `sensor` (fitted on the input rows `X`) from the next row on; each quantity's
        judgement starts afresh."""
        self.sensor = sensor
        self.fit_inputs = X
        self.fitted_ns = self.times[-1]
        self.kept.clear()
        for j in range(self.n_quantities):
            self.cusums[j].reset()
            self.residuals[j].clear()
            self.inside[j].clear()
            self.drifting[j] = False
        self.baseline = []

    def _predict(self, row: int) -> None:
        assert self.sensor is not None
        warm = max(self.sensor.windows)
        point, low, high = self.sensor.predict(self._window(warm))
        self.kept[row] = (point[-1], low[-1], high[-1])
        for old in [r for r in self.kept if r < row - self.delay - 1]:
            del self.kept[old]

    def _judge(self, row: int, time: int, reading: NDArray[np.float64]) -> list[DriftFinding]:
        kept = self.kept.get(row - self.delay)  # the prediction made at the sample's row
        if kept is None:
            return []
        assert self.sensor is not None
        point, low, high = kept
        residual = np.asarray(reading - point, dtype=np.float64)
        inside = (low <= reading) & (reading <= high)
        if len(self.baseline) < self.baseline_n:  # phase I: how the residuals start out
            self.baseline.append(residual)
            if len(self.baseline) == self.baseline_n:
                first = np.vstack(self.baseline)
                self.centre = first.mean(axis=0)
                self.sigma = np.maximum(first.std(axis=0, ddof=1), self.sensor.residual_sd_)
            return []
        findings = []
        for j in range(self.n_quantities):
            self.residuals[j].append(float(residual[j]))
            self.inside[j].append(bool(inside[j]))
            z = float((residual[j] - self.centre[j]) / max(float(self.sigma[j]), 1e-12))
            crossed = self.cusums[j].update(z)
            if self.drifting[j]:
                self.back_inside[j] = self.back_inside[j] + 1 if inside[j] else 0
                if self.back_inside[j] >= self.clear_n:
                    self.drifting[j] = False
                    self.cusums[j].reset()
                continue
            if crossed:
                # the readings of the excursion that crossed (since its sum last stood at 0)
                cusum = self.cusums[j]
                run = cusum.run_high if crossed > 0 else cusum.run_low
                n = max(1, min(run, len(self.residuals[j])))
                last = list(self.residuals[j])[-n:]
                coverage = float(np.mean(list(self.inside[j])[-n:]))
                if coverage >= ALERT_COVERAGE:  # the intervals still hold: a bias, no drift
                    self.absorbed[j] += 1
                    self._recentre(j)
                    cusum.reset()
                    continue
                self.drifting[j] = True
                self.back_inside[j] = 0
                findings.append(DriftFinding(j, time, float(np.mean(last)), n, coverage))
        return findings

    def _recentre(self, j: int) -> None:
        """Quantity `j`'s centre from its last `baseline_n` residuals inside their intervals
        (unchanged while fewer are known): after a crossing the intervals absorbed, the bias
        it measured, so the CUSUM does not cross on it again."""
        held = [r for r, ok in zip(self.residuals[j], self.inside[j], strict=True) if ok]
        if len(held) >= self.baseline_n:
            self.centre[j] = float(np.mean(held[-self.baseline_n :]))


def fit_candidate(
    X: NDArray[np.float64],
    Y: NDArray[np.float64],
    delay: int,
    min_readings: int,
    holdout: float = 0.0,
    serving: SoftSensor | None = None,
) -> tuple[SoftSensor, NDArray[np.float64], dict[str, float]] | None:
    """A soft sensor fitted on the input rows `X` and the analyser's readings `Y` as the rows
    held them (a reading appears where it changes and describes the sample `delay` rows
    earlier), with the input rows; with `holdout`, its figures on the last `holdout` share of
    the readings (fitted without them), and the `serving` sensor's on the same readings.
    None when the inputs hold a gap or fewer than `min_readings` readings are known."""
    if len(X) < 2 or not np.all(np.isfinite(X)):
        return None
    rows, y = analyser_pairs(X, Y, delay)
    known = np.all(np.isfinite(y), axis=1)
    rows, y = rows[known], y[known]
    if len(rows) < min_readings:
        return None
    metrics: dict[str, float] = {}
    if holdout > 0:
        cut = int(len(rows) * (1 - holdout))
        point, low, high = SoftSensor().fit(X, rows[:cut], y[:cut]).predict(X)
        truth = y[cut:]
        p, lo, hi = point[rows[cut:]], low[rows[cut:]], high[rows[cut:]]
        metrics = {
            "holdout_rmse": float(np.sqrt(np.mean((p - truth) ** 2))),
            "holdout_interval_coverage": float(np.mean((truth >= lo) & (truth <= hi))),
            "readings": float(len(rows)),
        }
        if serving is not None:  # the serving sensor on the same held-out readings
            served, _, _ = serving.predict(X)
            error = served[rows[cut:]] - truth
            metrics["serving_holdout_rmse"] = float(np.sqrt(np.mean(error**2)))
    return SoftSensor().fit(X, rows, y), X, metrics
