"""The stored history the warm-start benchmark starts from: every signal of every machine at its
sampling period for `days` days up to now, healthy, with an idle night on each machine every
day (operation end at 22:00, start at 06:00, signals at a fifth of their level), written to the
historian the plant file names, as `jayul import samples` and `jayul import events` store it."""

from __future__ import annotations

import numpy as np

from jayul.historian.base import Historian
from jayul.plant.model import Plant
from jayul.records import Event, EventKind, Samples
from jayul.records.timebase import NS_PER_H

NS_PER_DAY = 24 * NS_PER_H
IDLE_FROM_H, IDLE_TO_H = 22, 6  # each night


def _level(plant: Plant, machine: str, signal: str) -> tuple[float, float]:
    """A signal's healthy level and noise: the plant file's, else 100 and 1."""
    for s in plant.machine_type(machine).signals:
        if s.id == signal:
            return (s.nominal if s.nominal is not None else 100.0), (
                s.noise if s.noise is not None and s.noise > 0 else 1.0
            )
    raise KeyError(signal)


def write_history(store: Historian, plant: Plant, end_ns: int, days: int, seed: int = 0) -> int:
    """`days` days of samples and idle nights up to `end_ns`; returns the samples stored."""
    rng = np.random.default_rng(seed)
    start = end_ns - days * NS_PER_DAY
    start -= start % NS_PER_DAY  # whole days, so the nights fall at 22:00-06:00 UTC
    stored = 0
    for day in range(days + 1):
        lo = start + day * NS_PER_DAY
        hi = min(lo + NS_PER_DAY, end_ns)
        if hi <= lo:
            break
        events = []
        for spec in plant.machines:
            night = [lo + IDLE_TO_H * NS_PER_H, lo + IDLE_FROM_H * NS_PER_H]
            events += [
                Event(time=night[0], machine=spec.id, kind=EventKind.OPERATION_START),
                Event(time=night[1], machine=spec.id, kind=EventKind.OPERATION_END),
            ]
            for sig in plant.machine_type(spec.id).signals:
                step = int(sig.period_s * 1e9)
                t = np.arange(lo, hi, step, dtype=np.int64)
                level, noise = _level(plant, spec.id, sig.id)
                hour = (t - lo) // NS_PER_H
                idle = (hour < IDLE_TO_H) | (hour >= IDLE_FROM_H)
                v = np.where(idle, 0.2, 1.0) * level + noise * rng.normal(size=len(t))
                stored += store.append_samples(Samples.build(t, spec.id, sig.id, v))
        store.append_events([e for e in events if e.time < end_ns])
    return stored
