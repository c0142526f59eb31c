"""Live remaining useful life per machine and failure mode, for the autopilot and policies.

`RulMonitor` keeps each machine's hourly rows since every failure mode's last restoration
(`LifeTracker`), predicts each mode's remaining life with the fleet's model for its (machine
type, failure mode) every `predict_every_h` hours, and shows it to policies as
`MachineView.rul[mode]` (a `RulView`: p10 / p50 / p90 in hours, `prob_fail_before(h)`).
Between predictions the last distribution is shifted by the hours that have passed.

`load_or_train` makes the models: reactive twin runs (each failure mode runs to its own
failure, only its own repair resets it) cut into run-to-failure histories, one model per
pair, cached on disk under a key of the plant file and the settings.
"""

from __future__ import annotations

import math
import os
import pickle
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from jayul.decide.policy import RulView
from jayul.health.rul.fleet import (
    FleetRulModels,
    FleetRulSettings,
    FloatArray,
    LifeTracker,
    Pair,
)
from jayul.plant.model import Plant
from jayul.records import Event, Samples
from jayul.twin import Twin

# progress(units done so far, units in all, what was just done)
TrainingProgress = Callable[[float, float, str], None]
TwinFactory = Callable[[Plant, int, float], Twin]  # (plant, seed, signal_period_s) -> twin


@dataclass
class _Prediction:
    levels: tuple[float, ...]
    hours: FloatArray
    as_of_hour: int
    age_h: int
    life_id: int | None


class RulMonitor:
    """Per machine and failure mode, the live remaining-life distribution (hours).

    `update(samples, events, now_ns)` once per autopilot step; `view(machine)` for policies.
    A mode without a trained model, or whose machine is failed, has no view.
    """

    def __init__(
        self,
        plant: Plant,
        models: FleetRulModels,
        *,
        predict_every_h: int = 4,
        max_rows: int | None = None,
    ) -> None:
        self.plant = plant
        self.models = models
        self.predict_every_h = max(int(predict_every_h), 1)
        self.tracker = LifeTracker(plant, max_rows=max_rows)
        self._pairs = {
            (m.id, f.id): (m.type, f.id)
            for m in plant.machines
            for f in plant.machine_types[m.type].failure_modes
            if (m.type, f.id) in models.models_
        }
        self._predictions: dict[tuple[str, str], _Prediction] = {}
        self._last_run_hour = -(10**9)
        self.predictions_made = 0

    def update(self, samples: Samples | None, events: Iterable[Event], now_ns: int) -> None:
        """Take one step's samples and events; predict when due (or when a life restarted)."""
        events = list(events)
        self.tracker.update(samples, events, now_ns)
        hour = self.tracker.last_hour
        for key in list(self._predictions):  # failed, or restored since it was predicted
            if self.tracker.life_id(*key) != self._predictions[key].life_id:
                del self._predictions[key]
        missing = any(
            key not in self._predictions and self.tracker.age_h(*key) for key in self._pairs
        )
        if missing or hour - self._last_run_hour >= self.predict_every_h:
            self._predict(hour)

    def _predict(self, hour: int) -> None:
        self._last_run_hour = hour
        groups: dict[Pair, list[tuple[tuple[str, str], FloatArray]]] = {}
        for key, pair in self._pairs.items():
            history = self.tracker.live_history(*key)
            if history is not None and len(history):
                groups.setdefault(pair, []).append((key, history))
        for pair, items in groups.items():
            dist = self.models.predict(pair, [h for _, h in items])
            if dist is None:
                continue
            levels = tuple(float(x) for x in dist.levels)
            for row, (key, history) in enumerate(items):
                self._predictions[key] = _Prediction(
                    levels, dist.values[row].copy(), hour, len(history), self.tracker.life_id(*key)
                )
            self.predictions_made += len(items)

    def distribution(self, machine: str, mode: str) -> RulView | None:
        """The remaining life of `mode` on `machine` from now, or None when unknown."""
        p = self._predictions.get((machine, mode))
        if p is None:
            return None
        passed = self.tracker.last_hour - p.as_of_hour
        hours = np.maximum(p.hours - passed, 0.0)
        return RulView(
            p.levels,
            tuple(float(x) for x in hours),
            float(p.age_h + passed),
            float(self.models.settings.cap),
        )

    def view(self, machine: str) -> dict[str, RulView] | None:
        """Every known mode's `RulView` for `machine` (None when none is known)."""
        out = {}
        for (mid, mode), _ in self._pairs.items():
            if mid == machine:
                v = self.distribution(mid, mode)
                if v is not None:
                    out[mode] = v
        return out or None


# --------------------------------------------------------------------------- training
def default_twin(plant: Plant, seed: int, signal_period_s: float) -> Twin:
    return Twin(plant, seed=seed, signal_period_s=signal_period_s)


def twin_fleet_histories(
    plant: Plant,
    settings: FleetRulSettings,
    *,
    seeds: Sequence[int] | None = None,
    make_twin: TwinFactory = default_twin,
    progress: Callable[[float, str], None] | None = None,
) -> dict[Pair, list[FloatArray]]:
    """Run-to-failure histories (hourly rows) per (machine type, failure mode), from reactive
    twin runs of `settings.days` for each seed (`settings.seeds` unless given)."""
    histories: dict[Pair, list[FloatArray]] = {}
    days = math.ceil(settings.days)
    for seed in settings.seeds if seeds is None else seeds:
        twin = make_twin(plant, seed, settings.signal_period_s)
        tracker = LifeTracker(plant, keep_histories=True)
        for day in range(days):
            twin.run_until(min(day + 1.0, settings.days) * 24.0)
            tracker.update(twin.drain_samples(), twin.drain_events(), twin.time_ns())
            if progress:
                progress(1.0, f"twin seed {seed}, day {day + 1}/{days}")
        for pair, units in tracker.histories.items():
            histories.setdefault(pair, []).extend(units)
    return histories


def default_cache_dir() -> Path:
    """`$JAYUL_CACHE/rul`, or `~/.cache/jayul/rul`."""
    return Path(os.environ.get("JAYUL_CACHE", "~/.cache/jayul")).expanduser() / "rul"


def load_or_train(
    plant: Plant,
    settings: FleetRulSettings | None = None,
    *,
    cache_dir: Path | None = None,
    make_twin: TwinFactory = default_twin,
    cache_tag: str = "",
    progress: TrainingProgress | None = None,
) -> tuple[FleetRulModels, Path | None, bool]:
    """The plant's fleet RUL models: from the cache when trained before with the same plant
    file and settings, else trained (twin histories, then one model per pair) and cached.

    Returns (models, cache file or None when caching is off, whether they came from cache).
    `cache_dir=Path("")` turns caching off; `cache_tag` names a non-default `make_twin`.
    """
    settings = settings or FleetRulSettings()
    directory = default_cache_dir() if cache_dir is None else cache_dir
    path = None
    if str(directory) not in ("", "."):
        tag = f"-{cache_tag}" if cache_tag else ""
        path = directory / f"{settings.key(plant)}{tag}.pkl"
        if path.is_file():
            try:
                with path.open("rb") as handle:
                    cached = pickle.load(handle)
                if isinstance(cached, FleetRulModels):
                    return cached, path, True
            except (OSError, pickle.UnpicklingError, EOFError, AttributeError):
                pass  # an unreadable cache file is trained afresh and overwritten
    n_pairs = sum(len(mt.failure_modes) for mt in plant.machine_types.values())
    total = len(settings.seeds) * math.ceil(settings.days) + n_pairs
    done = 0.0

    def step(units: float, message: str) -> None:
        nonlocal done
        done += units
        if progress:
            progress(done, total, message)

    histories = twin_fleet_histories(plant, settings, make_twin=make_twin, progress=step)
    models = FleetRulModels(settings).fit(histories, lambda message: step(1.0, message))
    if path is not None:
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_suffix(".tmp")
        with tmp.open("wb") as out:
            pickle.dump(models, out)
        tmp.replace(path)
    return models, path, False
