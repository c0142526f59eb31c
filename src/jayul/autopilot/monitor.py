"""The health monitor: scores each machine's signals as they stream, raises alerts, and keeps a
per-machine health indicator and the failure mode it points at.

Each machine gets its own detector, fitted on its first `fit_h` hours of data (the
commissioning period, when the machine is new), a threshold calibrated on those rows (on a
continuous process, on their held-out scores: `HealthMonitor.held_out_folds`), and
hysteresis so that one abnormal episode raises one alert. The indicator is an exponentially
weighted mean of score / level: about 0 to 0.5 on a healthy machine, 1 at the alarm level.

Operating state. A machine's signals follow its load: a healthy machine that stops (idle, set-up,
maintenance, down) reads far from its running rows, and a detector fitted on running rows would
call every stop a fault. So the monitor judges a machine only while it produces. `update` takes
the timed state changes during the batch (`changes`, from the plant's events: operation start
and end, failure, repair, maintenance; `jayul.records.state_changes`) and masks the rows row by
row; rows in the first `SETTLE_NS` after a start are not judged either, as a machine settles.
Without timed changes, each machine's state as the plant reports it (`states`) decides for the
whole batch. Rows while it stands are
skipped: the indicator and the alarm state are held, and the detector's trailing window
continues from the last running rows when production resumes. Commissioning lasts `fit_h` hours
of production, so a machine that often stands is fitted on as many rows as a busy one. A machine
with no state given, or `UNKNOWN`, is treated as running (the monitor then behaves as it did
before it knew states). Modelling each state separately was the alternative; it needs enough
history of every state to fit on and says nothing useful about a machine standing still.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field

import numpy as np
import numpy.typing as npt

from jayul.health.defaults import DEFAULT_MARGIN, DEFAULT_QUANTILE, default_detector
from jayul.health.detector import Detector, StreamScorer
from jayul.health.threshold import Hysteresis, QuantileThreshold
from jayul.plant.model import Plant
from jayul.records import Alert, MachineState, Samples, SignalContribution
from jayul.records.state_changes import StateChange
from jayul.records.timebase import NS_PER_H


@dataclass
class MachineHealth:
    """What the monitor knows of one machine."""

    machine: str
    signals: list[str]
    train_rows: list[npt.NDArray[np.float64]] = field(default_factory=list)
    train_periods_h: list[float] = field(default_factory=list)
    train_last_ns: int | None = None  # the last running row collected, None after a stop
    train_from_ns: int | None = None
    threshold: QuantileThreshold | None = None
    scorer: StreamScorer | None = None
    hysteresis: Hysteresis = field(default_factory=Hysteresis)
    alpha: float = 0.0  # smoothing weight per row, set once the sampling period is known
    indicator: float = 0.0
    suspect_mode: str | None = None
    last_row: npt.NDArray[np.float64] | None = None
    merge_ns: int = 0  # samples closer than this are one row (half the shortest period_s)
    last_alert: Alert | None = None
    state: MachineState = MachineState.UNKNOWN  # as of the last update
    skipped_rows: int = 0  # rows not judged because the machine was not producing


def merge_instants(times: npt.NDArray[np.int64], within_ns: int) -> npt.NDArray[np.int64]:
    """For sorted unique times, the index of the row each belongs to: a row starts at a time and
    takes every later one less than `within_ns` after it. An OPC UA server stamps each variable
    as it writes it, so one reading of a machine's signals arrives as several times microseconds
    apart; taken one row each, most of every row would repeat old values and the sampling
    period would read as microseconds."""
    rows = np.arange(len(times), dtype=np.int64)
    if within_ns <= 0 or len(times) < 2 or int(np.diff(times).min()) >= within_ns:
        return rows  # the common case (the twin, gateways' batches): one time, one row
    row, anchor = 0, int(times[0])
    for i in range(1, len(times)):
        if int(times[i]) - anchor >= within_ns:
            row, anchor = row + 1, int(times[i])
        rows[i] = row
    return rows


def pivot_rows(
    batch: Samples,
    machine: str,
    signals: list[str],
    last: npt.NDArray[np.float64] | None,
    merge_ns: int = 0,
) -> tuple[npt.NDArray[np.int64], npt.NDArray[np.float64]]:
    """One machine's samples as rows (time, signals in plant order); a missing or BAD value
    repeats the last good one (the detector needs finite rows). Samples less than `merge_ns`
    apart are one row, at its latest time (see `merge_instants`)."""
    mask = batch.machine == machine
    if not mask.any():
        return np.empty(0, dtype=np.int64), np.empty((0, len(signals)))
    t, s, v, q = batch.time[mask], batch.signal[mask], batch.value[mask], batch.quality[mask]
    times, t_idx = np.unique(t, return_inverse=True)
    group = merge_instants(times, merge_ns)
    if group[-1] < len(times) - 1:
        last_of = np.full(group[-1] + 1, 0, dtype=np.int64)
        last_of[group] = times  # sorted, so each row keeps its latest time
        times, t_idx = last_of, group[t_idx]
    col = {name: j for j, name in enumerate(signals)}
    s_idx = np.fromiter((col.get(x, -1) for x in s), dtype=np.int64, count=len(s))
    keep = (s_idx >= 0) & (q == 0) & np.isfinite(v)
    rows = np.full((len(times), len(signals)), np.nan)
    rows[t_idx[keep], s_idx[keep]] = v[keep]
    if last is not None:
        prev = last
    else:  # a signal with no value yet reads 0 until it has one (no warning for it)
        seen = ~np.isnan(rows)
        prev = np.where(seen.any(axis=0), np.nansum(rows, axis=0) / np.maximum(seen.sum(0), 1), 0)
    for i in range(len(rows)):
        bad = np.isnan(rows[i])
        if bad.any():
            rows[i, bad] = prev[bad]
        prev = rows[i]
    return times, np.nan_to_num(rows)


MIN_TRAIN_ROWS = 50  # running rows needed before a detector is fitted
# a process plant's commissioning rows, cut into this many blocks, each scored held out
# (docs/benchmarks/process.md: 5 false alerts in 48 h with in-sample levels, 1 with 4 blocks)
PROCESS_HELD_OUT_FOLDS = 4
SETTLE_NS = NS_PER_H // 2  # rows this soon after a start are not judged


def _producing(state: MachineState) -> bool:
    """Whether rows in this state are judged: running, or not known (then taken as running)."""
    return state is MachineState.RUNNING or state is MachineState.UNKNOWN


class HealthMonitor:
    """Per-machine streaming anomaly scoring for a plant."""

    def __init__(
        self,
        plant: Plant,
        fit_h: float = 96.0,
        detector_factory: Callable[[], Detector] = default_detector,
        quantile: float = DEFAULT_QUANTILE,
        margin: float = DEFAULT_MARGIN,
        smoothing_h: float | None = None,
        raise_h: float | None = None,
        clear_h: float | None = None,
        held_out_folds: int | None = None,
    ) -> None:
        self.plant = plant
        # a continuous process's level comes from held-out scores of its commissioning rows
        # (`Threshold.fit_held_out`): its rows are autocorrelated, a few hours of them hold
        # few independent states, and in-sample scores set a level its ordinary wander crosses
        self.held_out_folds = (
            held_out_folds
            if held_out_folds is not None
            else (PROCESS_HELD_OUT_FOLDS if plant.process is not None else 0)
        )
        self.fit_h = fit_h
        self.detector_factory = detector_factory
        self.quantile = quantile
        self.margin = margin
        # the alert timing: as given (`jayul run --raise-h` ...), else the plant file's
        # `monitoring:` section, whose defaults are 2, 1 and 24 h
        timing = plant.monitoring
        # time constant of the indicator
        self.smoothing_h = timing.smoothing_h if smoothing_h is None else smoothing_h
        # alarm when above the level for half of this window
        self.raise_h = timing.raise_h if raise_h is None else raise_h
        # clear after this long below 0.7 x the level
        self.clear_h = timing.clear_h if clear_h is None else clear_h
        self.machines = {
            m.id: MachineHealth(
                m.id,
                [s.id for s in plant.machine_types[m.type].signals],
                merge_ns=int(min(s.period_s for s in plant.machine_types[m.type].signals) * 5e8),
            )
            for m in plant.machines
        }
        self.signatures = {
            m.id: {
                f.id: {s: float(np.sign(c)) for s, c in f.effects.items()}
                for f in plant.machine_types[m.type].failure_modes
            }
            for m in plant.machines
        }

    def update(
        self,
        batch: Samples,
        *,
        states: Mapping[str, MachineState] | None = None,
        changes: Sequence[StateChange] | None = None,
    ) -> list[Alert]:
        """Score a batch of samples; return the alerts it raised.

        `changes` (time-ordered state changes during the batch, e.g. from `state_changes` of
        the plant's events) says which rows ran, row by row; `states` gives each machine's
        state at the end of the batch when no timed changes are known, and then a batch is
        judged only if the machine ran at both its ends. Machines neither mentions are taken as
        running (see the module's docstring)."""
        alerts: list[Alert] = []
        for mid, mh in self.machines.items():
            times, rows = pivot_rows(batch, mid, mh.signals, mh.last_row, mh.merge_ns)
            mine = [c for c in changes if c.machine == mid] if changes is not None else []
            if changes is not None:
                producing = self._rows_producing(mh, times, mine)
                if states is not None and mid in states:
                    mh.state = states[mid]
            else:
                was = _producing(mh.state)
                if states is not None:
                    mh.state = states.get(mid, MachineState.UNKNOWN)
                producing = np.full(len(rows), was and _producing(mh.state))
            if len(rows) == 0:
                continue
            mh.last_row = rows[-1]
            if not producing.all():
                mh.skipped_rows += int((~producing).sum())
                mh.train_last_ns = None  # the sampling period is not measured across a stop
                times, rows = times[producing], rows[producing]
                if len(rows) == 0:
                    continue
            if mh.scorer is None:
                used = self._train(mh, times, rows)
                if used == len(rows):
                    continue
                # the batch crosses the fit horizon: the rows after it are scored, never
                # trained on (a backfill's first batch may hold weeks, anomalies included)
                times, rows = times[used:], rows[used:]
            alert = self._score(mh, times, rows)
            if alert is not None:
                alerts.append(alert)
        return alerts

    @staticmethod
    def _rows_producing(
        mh: MachineHealth, times: npt.NDArray[np.int64], changes: Sequence[StateChange]
    ) -> npt.NDArray[np.bool_]:
        """Which rows ran, from the state before the batch and the changes during it; the
        machine's state becomes the last one."""
        producing = np.full(len(times), _producing(mh.state))
        for change in changes:
            producing[times >= change.time] = _producing(change.state)
            if _producing(change.state) and not _producing(mh.state):
                # a machine settles after it starts (speeds, pressures, currents): the first
                # rows after a start are not judged, as a commissioning engineer would wait
                producing[(times >= change.time) & (times < change.time + SETTLE_NS)] = False
            mh.state = change.state
        return producing

    def _train(
        self, mh: MachineHealth, times: npt.NDArray[np.int64], rows: npt.NDArray[np.float64]
    ) -> int:
        """Collect running rows until `fit_h` hours of production are in, then fit. Returns how
        many of `rows` were taken: a batch that crosses the end of commissioning is split, and
        the rows after it are scored, never trained on (a backfill's first batch may hold weeks,
        anomalies included)."""
        if mh.train_from_ns is None:
            mh.train_from_ns = int(times[0])
        # Sampling periods between consecutive running rows (across batches, not across a stop).
        run = times if mh.train_last_ns is None else np.concatenate([[mh.train_last_ns], times])
        if len(run) > 1:
            mh.train_periods_h.append(float(np.median(np.diff(run))) / NS_PER_H)
        mh.train_last_ns = int(times[-1])
        collected = sum(len(r) for r in mh.train_rows)
        if not mh.train_periods_h:  # one row so far: its sampling period is not known yet
            mh.train_rows.append(rows)
            return len(rows)
        # The sampling period from consecutive rows within batches: rows skipped while the
        # machine stood leave gaps that a span / count estimate would take for slow sampling.
        period_h = max(float(np.median(mh.train_periods_h)), 1e-6)
        # Commissioning lasts `fit_h` hours of production (not of the clock): a machine that
        # often stands is fitted on as much running data as a busy one.
        needed = max(MIN_TRAIN_ROWS, int(np.ceil(self.fit_h / period_h)))
        used = min(len(rows), needed - collected)
        mh.train_rows.append(rows[:used])
        if collected + used < needed:
            return used
        X = np.vstack(mh.train_rows)
        mh.train_rows = []
        mh.alpha = 2.0 / (self.smoothing_h / period_h + 1.0)
        raise_n = max(round(self.raise_h / period_h), 1)
        mh.hysteresis = Hysteresis(
            max(raise_n // 2, 1), raise_n, max(round(self.clear_h / period_h), 1), 0.7
        )
        mh.threshold = QuantileThreshold(self.detector_factory(), self.quantile, self.margin)
        mh.threshold.fit_held_out(X, self.held_out_folds)
        mh.scorer = StreamScorer(mh.threshold.detector)
        mh.scorer.score(X[-mh.threshold.detector.context_rows :])  # history for the stream
        return used

    def _score(
        self, mh: MachineHealth, times: npt.NDArray[np.int64], rows: npt.NDArray[np.float64]
    ) -> Alert | None:
        assert mh.scorer is not None and mh.threshold is not None
        level = mh.threshold.level_
        scores = mh.scorer.score(rows)
        ind = mh.indicator
        smooth = np.empty(len(scores))
        for i, s in enumerate(scores / level):
            ind += mh.alpha * (min(s, 20.0) - ind)
            smooth[i] = ind
        mh.indicator = float(ind)
        alarm = mh.hysteresis.update(smooth, 1.0)
        was_active = mh.last_alert is not None
        if not alarm[-1]:
            mh.last_alert = None
        started = np.flatnonzero(np.diff(np.concatenate([[int(was_active)], alarm])) == 1)
        if not len(started):
            return None
        i = int(started[0])
        # The explanation of the rows that raised the alarm, averaged: one noisy row is not
        # the reason, the episode is.
        explanation = mh.scorer.explain_last()
        lo = max(0, i - mh.hysteresis.raise_n + 1)
        shares = explanation.shares[lo : i + 1].mean(axis=0)
        z = explanation.z[lo : i + 1].mean(axis=0)
        mh.suspect_mode = self._attribute(mh.machine, mh.signals, shares, z)
        order = np.argsort(-shares, kind="stable")[:4]
        contributions = [
            SignalContribution(
                signal=mh.signals[j],
                share=float(shares[j]),
                direction=int(np.sign(z[j])),
                z=float(z[j]),
            )
            for k, j in enumerate(order)
            if k == 0 or abs(z[j]) >= 0.05  # "+0.0σ" explains nothing (e.g. a signal never read)
        ]
        mh.last_alert = Alert(
            time=int(times[i]),
            machine=mh.machine,
            detector=type(mh.threshold.detector).__name__,
            score=float(smooth[i] * level),  # the smoothed score that crossed the level
            threshold=float(level),
            contributions=contributions,
        )
        return mh.last_alert

    def _attribute(
        self,
        machine: str,
        signals: list[str],
        shares: npt.NDArray[np.float64],
        z: npt.NDArray[np.float64],
    ) -> str | None:
        """The failure mode whose known signature (signals and directions in the plant file)
        best matches the signals that drive the score."""
        best, best_fit = None, 0.0
        for mode, signature in self.signatures[machine].items():
            fit = sum(
                shares[j] * (1.0 if np.sign(z[j]) == signature[s] else -0.5)
                for j, s in enumerate(signals)
                if s in signature
            )
            if fit > best_fit:
                best, best_fit = mode, fit
        return best

    def indicators(self) -> dict[str, float]:
        return {mid: mh.indicator for mid, mh in self.machines.items()}

    def reset_machine(self, machine: str) -> None:
        """After maintenance: the machine is healthy again; start its alarm state afresh."""
        mh = self.machines[machine]
        mh.hysteresis.reset()
        mh.indicator = 0.0
        mh.last_alert = None
        mh.suspect_mode = None
