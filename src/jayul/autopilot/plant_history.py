"""RUL models from a real plant's own history: the samples and failure and maintenance events
its historian holds, cut into run-to-failure histories per (machine type, failure mode) as the
twin's are (`LifeTracker`), one model per pair with at least `MIN_HISTORIES` of them.

Until a pair has enough, `train_from_history` says how many failures of which mode are still
missing, so `jayul run` can tell the operator rather than run without a word.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from jayul.health.rul.fleet import FleetRulModels, FleetRulSettings, FloatArray, LifeTracker, Pair
from jayul.historian.base import Historian
from jayul.plant.model import Plant
from jayul.records import EventKind, Samples
from jayul.records.timebase import NS_PER_H

MIN_HISTORIES = 4  # FleetRulModels.fit trains a pair from this many run-to-failure histories
_RELEVANT = [EventKind.FAILURE, EventKind.REPAIR_END, EventKind.MAINTENANCE_END]


@dataclass(frozen=True)
class HistoryModels:
    models: FleetRulModels | None  # None when no pair has enough histories
    counts: dict[Pair, int]  # run-to-failure histories found per pair
    message: str  # what was trained, or what is missing


def histories_from(
    plant: Plant,
    historian: Historian,
    now_ns: int,
    lookback_days: float = 365.0,
    chunk_days: float = 7.0,
) -> dict[Pair, list[FloatArray]]:
    """Run-to-failure histories (hourly rows) per pair from the last `lookback_days` of what
    the historian holds, read a chunk at a time."""
    start = now_ns - int(lookback_days * 24 * NS_PER_H)
    events = historian.query_events(start_ns=start, end_ns=now_ns, kinds=_RELEVANT)
    events = sorted(events, key=lambda e: e.time)
    tracker = LifeTracker(plant, keep_histories=True)
    step = int(chunk_days * 24 * NS_PER_H)
    i = 0
    for t in range(start, now_ns, step):
        stop = min(t + step, now_ns)
        batches = []
        for m in plant.machines:
            frame = historian.query_samples(m.id, t, stop)
            if len(frame):
                batches.append(
                    Samples.build(
                        frame["time"].to_numpy(np.int64),
                        m.id,
                        frame["signal"].astype(str).tolist(),
                        frame["value"].to_numpy(np.float64),
                        frame["quality"].to_numpy(np.int64),
                    )
                )
        chunk = []
        while i < len(events) and events[i].time < stop:
            chunk.append(events[i])
            i += 1
        if batches or chunk:
            tracker.update(Samples.concat(batches) if batches else None, chunk, stop)
    return {pair: list(units) for pair, units in tracker.histories.items()}


def train_from_history(plant: Plant, historian: Historian, now_ns: int) -> HistoryModels:
    """Models for the pairs with enough histories; the message names what is missing."""
    histories = histories_from(plant, historian, now_ns)
    counts = {
        (mt_name, f.id): len(histories.get((mt_name, f.id), []))
        for mt_name, mt in plant.machine_types.items()
        for f in mt.failure_modes
    }
    ready = {pair: units for pair, units in histories.items() if len(units) >= MIN_HISTORIES}
    missing = [
        f"{t}/{m}: {n} of {MIN_HISTORIES}" for (t, m), n in sorted(counts.items())
        if n < MIN_HISTORIES
    ]  # fmt: skip
    if not ready:
        return HistoryModels(
            None,
            counts,
            "RUL: not enough history yet; run-to-failure histories recorded per machine type "
            f"and failure mode ({', '.join(missing)}); each needs {MIN_HISTORIES} failures "
            "with the signals before them in the historian",
        )
    models = FleetRulModels(FleetRulSettings()).fit(ready)
    trained = ", ".join(f"{t}/{m}" for t, m in sorted(ready))
    note = f"; still missing: {', '.join(missing)}" if missing else ""
    return HistoryModels(models, counts, f"RUL: models trained from history for {trained}{note}")
