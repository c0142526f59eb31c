"""RUL for a fleet of plant machines: hourly rows, run-to-failure histories, one model per
(machine type, failure mode).

Three pieces, shared by training and live monitoring so both cut histories the same way:

- `HourlyRows` turns streamed samples into one row per machine and hour (the mean of each
  signal over the hour, plant-file signal order); the RUL unit is then hours.
- `LifeTracker` keeps each machine's rows and, per failure mode, the row at which the mode
  was last restored (a `repair_end` naming the mode, or a `maintenance_end` whose action
  restores it). A `failure` closes the mode's run-to-failure history.
- `FleetRulModels` holds one `BoostedWindowRul` per (machine type, failure mode), trained on
  such histories with settings scaled to hourly rows.

Nothing here runs the twin: `jayul.autopilot.rul_monitor` does (the twin is one source of
histories; a plant's own historian is another).
"""

from __future__ import annotations

import hashlib
import json
import time
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import asdict, dataclass, field

import numpy as np
import numpy.typing as npt
import pandas as pd

from jayul.health.rul.boosting import BoostedWindowRul
from jayul.health.rul.model import RulDistribution
from jayul.plant.model import Plant
from jayul.records import Event, EventKind, Samples
from jayul.records.timebase import NS_PER_H, to_ns

FloatArray = npt.NDArray[np.float64]
Pair = tuple[str, str]  # (machine type, failure mode)


class HourlyRows:
    """Hourly means of every machine's signals, from sample batches in time order.

    An hour is complete once `close_until(now_ns)` is called with `now_ns` at or past its end.
    A signal with no good sample in an hour repeats its previous hourly value (0 before any).
    """

    def __init__(self, plant: Plant) -> None:
        self.start_ns = to_ns(plant.start)
        self.machines = [m.id for m in plant.machines]
        self.signals = {
            m.id: [s.id for s in plant.machine_types[m.type].signals] for m in plant.machines
        }
        width = max(len(s) for s in self.signals.values())
        self._machine_index = {mid: i for i, mid in enumerate(self.machines)}
        # (machine index, signal id) -> column; filled per machine type's signal order
        self._column = {
            (i, sig): j
            for i, mid in enumerate(self.machines)
            for j, sig in enumerate(self.signals[mid])
        }
        self._sums: dict[int, FloatArray] = {}  # hour -> (machines, width) sums
        self._counts: dict[int, FloatArray] = {}
        self._last = np.zeros((len(self.machines), width))
        self._next_hour: int | None = None  # the first hour not closed yet
        self.width = width

    def add(self, batch: Samples) -> None:
        """Accumulate a batch (BAD and non-finite samples are skipped)."""
        if len(batch) == 0:
            return
        keep = (batch.quality == 0) & np.isfinite(batch.value)
        if not keep.all():
            batch = batch.select(keep)
        # factorize keeps the per-sample work in C: only distinct (machine, signal) pairs
        # go through Python dictionaries.
        m_codes, m_names = pd.factorize(batch.machine)
        s_codes, s_names = pd.factorize(batch.signal)
        m_map = np.array([self._machine_index.get(x, -1) for x in m_names], dtype=np.int64)
        mi = m_map[m_codes]
        pair_cols = np.full((len(m_names), len(s_names)), -1, dtype=np.int64)
        for a, mname in enumerate(m_names):
            i = self._machine_index.get(mname, -1)
            if i >= 0:
                for b, sname in enumerate(s_names):
                    pair_cols[a, b] = self._column.get((i, sname), -1)
        col = pair_cols[m_codes, s_codes]
        ok = (mi >= 0) & (col >= 0)
        hours = (batch.time[ok] - self.start_ns) // NS_PER_H
        mi, col, values = mi[ok], col[ok], batch.value[ok]
        n_cells = len(self.machines) * self.width
        for hour in np.unique(hours):
            sel = hours == hour
            flat = mi[sel] * self.width + col[sel]
            sums: FloatArray = np.bincount(flat, values[sel], minlength=n_cells).astype(np.float64)
            counts: FloatArray = np.bincount(flat, minlength=n_cells).astype(np.float64)
            h = int(hour)
            shape = (len(self.machines), self.width)
            if h in self._sums:
                self._sums[h] += sums.reshape(shape)
                self._counts[h] += counts.reshape(shape)
            else:
                self._sums[h], self._counts[h] = sums.reshape(shape), counts.reshape(shape)

    def close_until(self, now_ns: int) -> list[tuple[int, FloatArray]]:
        """The hours that ended at or before `now_ns`, oldest first: (hour, machines x width)."""
        end_hour = int((now_ns - self.start_ns) // NS_PER_H)  # hours < end_hour are complete
        if self._next_hour is None:
            if not self._sums:
                return []
            self._next_hour = min(self._sums)
        out = []
        # every hour from the first sampled one on gets a row, so rows stay one per hour
        # (an hour without any sample, e.g. with a sampling period above an hour, repeats)
        for h in range(self._next_hour, end_hour):
            if h in self._sums:
                sums, counts = self._sums.pop(h), self._counts.pop(h)
                self._last = np.where(counts > 0, sums / np.maximum(counts, 1.0), self._last)
            out.append((h, self._last.copy()))
        self._next_hour = max(self._next_hour, end_hour)
        for h in [k for k in self._sums if k < end_hour]:  # late samples of closed hours
            del self._sums[h], self._counts[h]
        return out


@dataclass
class _MachineLife:
    type: str
    width: int
    rows: list[FloatArray] = field(default_factory=list)
    first_hour: int | None = None
    start: dict[str, int | None] = field(default_factory=dict)  # mode -> first row, None = down
    restored_ns: dict[str, int] = field(default_factory=dict)  # mode -> last restoration time


class LifeTracker:
    """Per machine: hourly rows and, per failure mode, the row of its last restoration.

    Feed it with `update(samples, events, now_ns)` once per step. With `keep_histories`, each
    failure's run-to-failure history (restoration to failure) is kept in `histories[pair]`.
    `max_rows` bounds what is kept per machine (the oldest rows are dropped; a mode's history
    is then its last `max_rows` rows: ages beyond that look the same to the model).
    """

    def __init__(
        self, plant: Plant, *, keep_histories: bool = False, max_rows: int | None = None
    ) -> None:
        self.plant = plant
        self.hourly = HourlyRows(plant)
        self.keep_histories = keep_histories
        self.max_rows = max_rows
        self.machines = {
            m.id: _MachineLife(
                m.type,
                len(plant.machine_types[m.type].signals),
                start={f.id: 0 for f in plant.machine_types[m.type].failure_modes},
            )
            for m in plant.machines
        }
        self.restores = {
            (name, a.id): tuple(a.restores)
            for name, mt in plant.machine_types.items()
            for a in mt.maintenance
        }
        self.histories: dict[Pair, list[FloatArray]] = {}
        self.last_hour = -1  # the last complete hour

    def _row_at(self, life: _MachineLife, time_ns: int) -> int:
        """Row index of the hour that contains `time_ns`."""
        hour = (time_ns - self.hourly.start_ns) // NS_PER_H
        first = life.first_hour if life.first_hour is not None else self.last_hour + 1
        return int(hour - first)

    def update(self, samples: Samples | None, events: Iterable[Event], now_ns: int) -> None:
        """Take one step's samples and events (the step ends at `now_ns`)."""
        if samples is not None:
            self.hourly.add(samples)
        for hour, means in self.hourly.close_until(now_ns):
            self.last_hour = hour
            for i, mid in enumerate(self.hourly.machines):
                life = self.machines[mid]
                if life.first_hour is None:
                    life.first_hour = hour
                life.rows.append(means[i, : life.width].copy())
        for event in sorted(events, key=lambda e: e.time):
            if event.machine is None or event.machine not in self.machines:
                continue
            life = self.machines[event.machine]
            if event.kind is EventKind.FAILURE:
                self._failed(event.machine, life, str(event.payload.get("mode")), event.time)
            elif event.kind is EventKind.REPAIR_END:
                self._restored(life, (str(event.payload.get("mode")),), event.time)
            elif event.kind is EventKind.MAINTENANCE_END:
                modes = self.restores.get((life.type, str(event.payload.get("action"))), ())
                self._restored(life, modes, event.time)
        self._trim()

    def _failed(self, machine: str, life: _MachineLife, mode: str, time_ns: int) -> None:
        start = life.start.get(mode)
        if mode not in life.start:
            return
        life.start[mode] = None  # no live history until the repair restores the mode
        if not self.keep_histories or start is None:
            return
        end = min(self._row_at(life, time_ns), len(life.rows))  # rows before the failure
        if end - start >= 2:
            pair = (life.type, mode)
            self.histories.setdefault(pair, []).append(np.array(life.rows[start:end]))

    def _restored(self, life: _MachineLife, modes: Sequence[str], time_ns: int) -> None:
        row = max(self._row_at(life, time_ns), 0)
        for mode in modes:
            if mode in life.start:
                life.start[mode] = row
                life.restored_ns[mode] = time_ns

    def _trim(self) -> None:
        if self.max_rows is None:
            return
        for life in self.machines.values():
            drop = len(life.rows) - self.max_rows
            if drop <= 0:
                continue
            # a live history that started earlier keeps only its last `max_rows` rows
            del life.rows[:drop]
            assert life.first_hour is not None
            life.first_hour += drop
            for mode, start in life.start.items():
                if start is not None:
                    life.start[mode] = max(start - drop, 0)

    def live_history(self, machine: str, mode: str) -> FloatArray | None:
        """Rows since `mode` was last restored on `machine` (None while it is failed, or
        before a first complete hour)."""
        life = self.machines[machine]
        start = life.start.get(mode)
        if start is None or start >= len(life.rows):
            return None
        return np.array(life.rows[start:])

    def life_id(self, machine: str, mode: str) -> int | None:
        """Identifies the mode's current life (its restoration time); None while failed."""
        life = self.machines[machine]
        if life.start.get(mode) is None:
            return None
        return life.restored_ns.get(mode, -1)

    def age_h(self, machine: str, mode: str) -> int | None:
        """Complete hours since `mode` was last restored on `machine`."""
        life = self.machines[machine]
        start = life.start.get(mode)
        return None if start is None else max(len(life.rows) - start, 0)


@dataclass(frozen=True)
class FleetRulSettings:
    """How the fleet's RUL models are trained: hourly rows, so every length is in hours.

    `seeds` x `days`: twin runs (reactive) that make the training histories;
    `signal_period_s`: the twin's sampling period for them (hourly means of 3 samples at 1200);
    `cap`, `windows`, `baseline_rows`, `min_history`, `row_stride`, `n_estimators`,
    `n_folds`, `candidates`: `BoostedWindowRul` settings scaled to hourly rows (lives of the
    demo plant's modes run about 1,000 to 3,000 hours); `model_seed`: its folds and boosting.
    """

    seeds: tuple[int, ...] = (1001, 1002)
    days: float = 365.0
    signal_period_s: float = 1200.0
    cap: float = 600.0
    windows: tuple[int, ...] = (12, 48, 120, 240, 480)
    baseline_rows: int = 48
    min_history: int = 48
    row_stride: int = 8
    n_estimators: int = 100
    learning_rate: float = 0.08
    n_folds: int = 3
    candidates: tuple[tuple[tuple[str, int], ...], ...] = (
        (("num_leaves", 15), ("min_child_samples", 50)),
    )
    model_seed: int = 0

    def model(self) -> BoostedWindowRul:
        """An untrained model with these settings."""
        return BoostedWindowRul(
            cap=self.cap,
            windows=self.windows,
            baseline_rows=self.baseline_rows,
            candidates=tuple(dict(c) for c in self.candidates),
            n_estimators=self.n_estimators,
            learning_rate=self.learning_rate,
            n_folds=self.n_folds,
            row_stride=self.row_stride,
            min_history=self.min_history,
            seed=self.model_seed,
        )

    def key(self, plant: Plant) -> str:
        """A cache key: the plant's name and a hash of the plant file's content and these
        settings (a changed plant or setting trains afresh; the health monitor's alert timing,
        `monitoring:`, plays no part in the models)."""
        text = (
            plant.model_dump_json(exclude={"monitoring"})
            + json.dumps(asdict(self), sort_keys=True)
            + "fleet-rul-1"
        )
        return f"{plant.name}-{hashlib.sha256(text.encode()).hexdigest()[:16]}"


Progress = Callable[[str], None]


class FleetRulModels:
    """One RUL model per (machine type, failure mode), trained on run-to-failure histories."""

    def __init__(self, settings: FleetRulSettings | None = None) -> None:
        self.settings = settings or FleetRulSettings()
        self.models_: dict[Pair, BoostedWindowRul] = {}
        self.summary_: dict[str, dict[str, float]] = {}

    def fit(
        self, histories: Mapping[Pair, Sequence[FloatArray]], progress: Progress | None = None
    ) -> FleetRulModels:
        """Train each pair with at least 4 histories; pairs with fewer are left without a model
        (their RUL stays unknown rather than guessed)."""
        for pair, units in sorted(histories.items()):
            if len(units) < 4:
                if progress:
                    progress(f"{pair[0]}/{pair[1]}: only {len(units)} histories, skipped")
                continue
            started = time.perf_counter()
            model = self.settings.model().fit(list(units))
            self.models_[pair] = model
            lengths = [len(u) for u in units]
            self.summary_[f"{pair[0]}/{pair[1]}"] = {
                "histories": float(len(units)),
                "mean_life_h": float(np.mean(lengths)),
                "cv_rmse_capped_h": float(min(model.cv_rmse_)),
                "train_seconds": time.perf_counter() - started,
            }
            if progress:
                progress(f"{pair[0]}/{pair[1]}")
        return self

    def predict(self, pair: Pair, histories: Sequence[FloatArray]) -> RulDistribution | None:
        """The remaining-life distribution (hours) at each history's end; None without a model.

        The pair's `BoostedWindowRul.predict`, which computes each history's features from its
        baseline rows and its last `max(windows)` rows only (what the features read), so a
        live prediction costs the same after a year as after a week."""
        model = self.models_.get(pair)
        if model is None or not histories:
            return None
        return model.predict(histories)


def predict_every_row(model: BoostedWindowRul, history: FloatArray) -> RulDistribution:
    """The distribution at every row of one history, as if it were cut there (the features
    are causal): one call instead of one prediction per cut, for evaluation."""
    point = np.mean(
        [np.asarray(f.booster.predict(f.features.transform_all(history))) for f in model.models_],
        axis=0,
    )
    age = np.arange(1, len(history) + 1, dtype=np.float64)
    grid = model.calibrator_.grid(np.maximum(point, 0.0), age)
    return RulDistribution(np.asarray(model.levels), grid)
