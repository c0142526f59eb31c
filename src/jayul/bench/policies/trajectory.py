"""Trajectory-driven twin: one failure mode of some machines replays recorded degradation.

Each machine of the chosen type replays a recorded run-to-failure history (a C-MAPSS training
engine: one row per cycle, a few sensors) for the chosen failure mode:

- each recorded cycle lasts `cycle_h` hours of the machine's clock, counted while the
  machine is not stopped for repair or maintenance (standing idle or running, it ages);
- the mode's health index is the share of the history replayed so far, so the machine fails
  (the twin's own failure check, at a tick) when the replayed history ends;
- the history's sensors become signals of the machine (added to its type by
  `trajectory_plant`, raw values as recorded, each reading the row of the current cycle);
- a repair or a maintenance that restores the mode starts the next history, drawn without
  replacement from the library (shuffled again once all were used).

The mode's effects in the plant file are replaced by the recorded sensors' directions (sign
of their drift over a life), so the twin's own signals carry nothing of the replayed mode and
the health monitor's attribution still knows which signals point at it. Everything else
(orders, other failure modes, crews, costs) runs as in `Twin`. Fork works as usual; the
library is shared between forks, not copied.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt

from jayul.plant.model import Plant, Signal
from jayul.records import Samples
from jayul.records.timebase import NS_PER_H
from jayul.twin.factory import Twin
from jayul.twin.state import MachineState, Status

FloatArray = npt.NDArray[np.float64]

# FD001 sensors that move with wear (the other eleven are flat or nearly so in FD001).
DEFAULT_SENSORS = ("s2", "s3", "s4", "s7", "s11", "s12", "s15", "s17", "s20", "s21")


def load_engines(
    data_dir: Path, subset: str = "FD001", sensors: Sequence[str] = DEFAULT_SENSORS
) -> dict[int, FloatArray]:
    """Training engines of a C-MAPSS subset as {unit: (cycles, sensors) raw values}."""
    from jayul.bench.cmapss.data import SENSORS, check_subset, read_runs

    unknown = [s for s in sensors if s not in SENSORS]
    if unknown:
        raise ValueError(f"unknown C-MAPSS sensors {unknown}; expected names s1..s21")
    runs = read_runs(Path(data_dir) / f"train_{check_subset(subset)}.txt")
    return {
        int(str(unit)): rows[list(sensors)].to_numpy(dtype=np.float64)
        for unit, rows in runs.groupby("unit", sort=True)
    }


def split_engines(
    engines: Mapping[int, FloatArray], replay_share: float = 0.5, seed: int = 0
) -> tuple[dict[int, FloatArray], dict[int, FloatArray]]:
    """(training engines, replayed engines): a seeded random split, so the RUL model that
    watches the replay was trained on other engines than those replayed."""
    units = sorted(engines)
    order = np.random.default_rng(seed).permutation(len(units))
    n_replay = max(1, min(len(units) - 1, round(replay_share * len(units))))
    replay = {units[i] for i in order[:n_replay]}
    train = {u: engines[u] for u in units if u not in replay}
    return train, {u: engines[u] for u in units if u in replay}


def trajectory_plant(
    plant: Plant,
    machine_type: str,
    mode: str,
    engines: Mapping[int, FloatArray],
    sensors: Sequence[str] = DEFAULT_SENSORS,
) -> Plant:
    """`plant` with the recorded sensors added to `machine_type`'s signals and `mode`'s
    effects replaced by their directions (drift from a life's first to last 10 % of rows,
    averaged over `engines`: pass the training engines, so nothing of the replay leaks)."""
    if machine_type not in plant.machine_types:
        raise ValueError(f"plant {plant.name!r} has no machine type {machine_type!r}")
    mt = plant.machine_types[machine_type]
    if mode not in {f.id for f in mt.failure_modes}:
        raise ValueError(f"machine type {machine_type!r} has no failure mode {mode!r}")
    taken = {s.id for s in mt.signals} & set(sensors)
    if taken:
        raise ValueError(f"machine type {machine_type!r} already has signals {sorted(taken)}")
    rows = np.vstack(list(engines.values()))
    drift = np.mean(
        [
            h[-max(1, len(h) // 10) :].mean(axis=0) - h[: max(1, len(h) // 10)].mean(axis=0)
            for h in engines.values()
        ],
        axis=0,
    )
    period = mt.signals[0].period_s
    spread = np.maximum(rows.max(axis=0) - rows.min(axis=0), 1e-6)
    new_signals = [
        Signal(
            id=name,
            unit="recorded",
            nominal=float(rows[:, j].mean()),
            noise=0.0,
            low=float(rows[:, j].min() - 10 * spread[j]),
            high=float(rows[:, j].max() + 10 * spread[j]),
            period_s=period,
        )
        for j, name in enumerate(sensors)
    ]
    modes = [
        f.model_copy(
            update={"effects": {s: float(np.sign(d)) for s, d in zip(sensors, drift, strict=True)}}
        )
        if f.id == mode
        else f
        for f in mt.failure_modes
    ]
    new_type = mt.model_copy(
        update={"signals": [*mt.signals, *new_signals], "failure_modes": modes}
    )
    # Re-validate the whole plant (signal counts, references) rather than trust the copy.
    data = plant.model_dump()
    data["machine_types"][machine_type] = new_type.model_dump()
    return Plant.model_validate(data)


class _Library:
    """Recorded histories shared by a twin and its forks (never deep-copied)."""

    def __init__(self, engines: Sequence[FloatArray]) -> None:
        self.engines = [np.asarray(e, dtype=np.float64) for e in engines]

    def __deepcopy__(self, memo: dict[int, Any]) -> _Library:
        return self


@dataclass
class _Replay:
    engine: int = 0
    life_h: float = 1.0
    progress_h: float = 0.0
    running: bool = True
    # (time h, engine, progress h, 1 if the clock runs after it else 0): how sample times map
    # to recorded rows, kept until the samples of that stretch are drained
    knots: list[tuple[float, int, float, float]] = field(default_factory=list)


class TrajectoryTwin(Twin):
    """A `Twin` in which `mode` of every `machine_type` machine replays recorded histories.

    `plant` must come from `trajectory_plant` (with the same `sensors`); `engines` are the
    histories to replay, in rows of the sensors' order; `cycle_h` hours per recorded row.
    """

    def __init__(
        self,
        plant: Plant,
        engines: Sequence[FloatArray],
        machine_type: str,
        mode: str,
        *,
        sensors: Sequence[str] = DEFAULT_SENSORS,
        cycle_h: float = 8.0,
        seed: int = 0,
        **twin_options: Any,
    ) -> None:
        if not engines:
            raise ValueError("no recorded histories to replay")
        if cycle_h <= 0:
            raise ValueError(f"cycle_h must be positive, got {cycle_h}")
        signal_ids = {s.id for s in plant.machine_types[machine_type].signals}
        missing = [s for s in sensors if s not in signal_ids]
        if missing:
            raise ValueError(
                f"machine type {machine_type!r} lacks signals {missing}: build the plant with "
                "trajectory_plant(...)"
            )
        self.library = _Library(engines)
        self.replay_type, self.replay_mode = machine_type, mode
        self.replay_sensors = tuple(sensors)
        self.cycle_h = float(cycle_h)
        self._replay_rng = np.random.default_rng([seed, 0x7A1])
        self._queue: list[int] = []
        self._replays: dict[str, _Replay] = {}
        for spec in plant.machines:
            if spec.type == machine_type:
                self._replays[spec.id] = self._next_replay()
        super().__init__(plant, seed, **twin_options)
        for mid, replay in self._replays.items():
            replay.knots.append((0.0, replay.engine, 0.0, 1.0))
            self.machines[mid].health[mode] = 0.0

    def _next_replay(self) -> _Replay:
        if not self._queue:
            self._queue = [int(i) for i in self._replay_rng.permutation(len(self.library.engines))]
        engine = self._queue.pop()
        life = len(self.library.engines[engine]) * self.cycle_h
        return _Replay(engine=engine, life_h=life)

    def replayed_engine(self, machine_id: str) -> int:
        """Index (in the `engines` given) of the history `machine_id` replays now."""
        return self._replays[machine_id].engine

    # The twin calls _wear whenever a machine's state changes and at every tick; between two
    # calls the machine's status is constant, so the replay clock runs or stands throughout.
    def _wear(self, m: MachineState) -> None:
        replay = self._replays.get(m.id)
        if replay is not None and replay.running:
            replay.progress_h += max(self.now_h - m.last_change_h, 0.0)
        super()._wear(m)
        if replay is not None:
            self._sync(m, replay)

    def _change(
        self, m: MachineState, status: Status, load: float, resets: tuple[str, ...] = ()
    ) -> None:
        super()._change(m, status, load, resets)
        replay = self._replays.get(m.id)
        if replay is None:
            return
        if self.replay_mode in resets:
            fresh = self._next_replay()
            replay.engine, replay.life_h, replay.progress_h = fresh.engine, fresh.life_h, 0.0
        replay.running = status not in (Status.DOWN, Status.MAINTENANCE)
        self._sync(m, replay)
        m.segments[-1].h0 = m.segments[-1].h1 = self._health_list(m)

    def _sync(self, m: MachineState, replay: _Replay) -> None:
        m.health[self.replay_mode] = min(replay.progress_h / replay.life_h, 1.0)
        m.segments[-1].h1 = self._health_list(m)
        replay.knots.append(
            (self.now_h, replay.engine, replay.progress_h, 1.0 if replay.running else 0.0)
        )
        if len(replay.knots) > 4096 and not self._samples:
            del replay.knots[:-8]  # nothing pending refers to the older ones

    def drain_samples(self) -> Samples:
        """Samples since the last call, the replayed machines' recorded sensors filled in."""
        batch = super().drain_samples()
        if len(batch) == 0:
            return batch
        sensor_col = {name: j for j, name in enumerate(self.replay_sensors)}
        is_sensor = np.isin(batch.signal, np.array(self.replay_sensors, dtype=object))
        for mid, replay in self._replays.items():
            mask = is_sensor & (batch.machine == mid)
            if not mask.any():
                continue
            idx = np.flatnonzero(mask)
            t_h = (batch.time[idx] - self.start_ns) / NS_PER_H
            knots = np.array(replay.knots)
            k = np.clip(np.searchsorted(knots[:, 0], t_h + 1e-9, side="right") - 1, 0, None)
            engine = knots[k, 1].astype(np.int64)
            progress = knots[k, 2] + knots[k, 3] * (t_h - knots[k, 0])
            cols = np.array([sensor_col[s] for s in batch.signal[idx]], dtype=np.int64)
            for e in np.unique(engine):
                rows = self.library.engines[int(e)]
                sel = engine == e
                cycle = np.clip((progress[sel] / self.cycle_h).astype(np.int64), 0, len(rows) - 1)
                batch.value[idx[sel]] = rows[cycle, cols[sel]]
                batch.quality[idx[sel]] = 0
        for replay in self._replays.values():
            # the next samples start at the last tick (at most a tick ago): keep what covers it
            recent = [
                i for i, knot in enumerate(replay.knots) if knot[0] < self.now_h - self.tick_h
            ]
            if recent:
                del replay.knots[: recent[-1]]
        return batch


@dataclass(frozen=True)
class TrajectorySetup:
    """Everything a benchmark needs to run a plant on recorded degradation: the plant with
    the recorded sensors, the engines the RUL model may learn from, and the (other) engines
    the compared twins replay. `make_twin(seed)` builds a replaying twin."""

    plant: Plant
    machine_type: str
    mode: str
    train_engines: Mapping[int, FloatArray]
    replay_engines: Mapping[int, FloatArray]
    sensors: tuple[str, ...] = DEFAULT_SENSORS
    cycle_h: float = 8.0

    def make_twin(self, seed: int, *, replay: bool = True, **twin_options: Any) -> TrajectoryTwin:
        """A twin replaying the held-out engines (or, `replay=False`, the training ones)."""
        engines = self.replay_engines if replay else self.train_engines
        return TrajectoryTwin(
            self.plant,
            list(engines.values()),
            self.machine_type,
            self.mode,
            sensors=self.sensors,
            cycle_h=self.cycle_h,
            seed=seed,
            **twin_options,
        )


def cmapss_setup(
    plant: Plant,
    data_dir: Path,
    machine_type: str = "pump",
    mode: str = "bearing_wear",
    *,
    subset: str = "FD001",
    cycle_h: float = 8.0,
    replay_share: float = 0.5,
    split_seed: int = 0,
) -> TrajectorySetup:
    """C-MAPSS training engines of `subset` in `data_dir`, split into training and replayed
    halves, replayed as `machine_type`/`mode` of `plant` (raises `CmapssDataError`, a
    ValueError naming the file, when the data is missing or malformed)."""
    engines = load_engines(data_dir, subset)
    train, replay = split_engines(engines, replay_share, split_seed)
    return TrajectorySetup(
        trajectory_plant(plant, machine_type, mode, train),
        machine_type,
        mode,
        train,
        replay,
        DEFAULT_SENSORS,
        cycle_h,
    )
