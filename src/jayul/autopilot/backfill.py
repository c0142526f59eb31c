"""Backfill: the health monitor run over stored history, in time order, as if it streamed.

After a history import the monitor reads the imported span from the historian a window at a
time (all machines together, oldest first), so each machine fits on its first `fit_h` hours and
scores everything after, and each alert is stamped at the time of the rows that raised it, not
at the time of the import. Alert ids are derived from (machine, time), so running the backfill
again over the same span stores no second copy of an alert.

The machines' states stored beside the samples (operation start and end, failure, repair,
maintenance) are applied in time order, window by window, as the live loop applies the states
of each tick: an idle or stopped machine is not judged (nor learnt from), the first rows after a
start settle, and the end of a repair or of maintenance resets the machine's alarm state. A
history that records no production events (a real plant's state tag stores only failures,
repairs and maintenance) reads a machine back from repair or maintenance as producing, since
nothing would ever say it started again; before the first stored event, a machine is taken as
producing (as the live monitor takes a machine whose state is not known).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np

from jayul.autopilot.monitor import HealthMonitor
from jayul.historian.base import Historian
from jayul.plant import Plant
from jayul.records import Alert, Event, EventKind, MachineState, Samples
from jayul.records.state_changes import (
    PRODUCTION_EVENT_KINDS,
    STATE_EVENT_KINDS,
    StateChange,
    state_changes,
)
from jayul.records.timebase import NS_PER_H

# How far before the span stored state events are read, for each machine's state at its start:
# a machine idle or in maintenance when the span opens is not judged as running.
STATE_LOOKBACK_NS = 30 * 24 * NS_PER_H
RESTORED = (EventKind.MAINTENANCE_END, EventKind.REPAIR_END)


@dataclass
class BackfillResult:
    windows: int = 0
    samples: int = 0
    alerts: list[Alert] = field(default_factory=list)


def _window(historian: Historian, plant: Plant, lo: int, hi: int) -> Samples:
    parts = []
    for m in plant.machines:
        frame = historian.query_samples(m.id, lo, hi)
        if len(frame):
            parts.append(
                Samples.build(
                    frame["time"].to_numpy(np.int64),
                    m.id,
                    frame["signal"].to_numpy(object),
                    frame["value"].to_numpy(np.float64),
                    frame["quality"].to_numpy(np.uint8),
                )
            )
    if not parts:
        return Samples.empty()
    return Samples(
        np.concatenate([p.time for p in parts]),
        np.concatenate([p.machine for p in parts]),
        np.concatenate([p.signal for p in parts]),
        np.concatenate([p.value for p in parts]),
        np.concatenate([p.quality for p in parts]),
    )


def stored_states(
    historian: Historian, plant: Plant, start_ns: int, end_ns: int
) -> tuple[list[StateChange], list[Event]]:
    """The plant's stored state changes up to `end_ns` (from `STATE_LOOKBACK_NS` before
    `start_ns`), in time order, and the repair and maintenance ends within the span (each
    resets the machine's alarm state, as live). A machine with no production events stored
    comes back from repair or maintenance producing (see the module's docstring)."""
    ours = set(plant.machine_ids)
    events = [
        e
        for e in historian.query_events(
            start_ns - STATE_LOOKBACK_NS, end_ns + 1, kinds=STATE_EVENT_KINDS
        )
        if e.machine in ours
    ]
    producing_recorded = {e.machine for e in events if e.kind in PRODUCTION_EVENT_KINDS}
    changes = [
        c._replace(state=MachineState.RUNNING)
        if c.state is MachineState.IDLE and c.machine not in producing_recorded
        else c
        for c in state_changes(events)
    ]
    resets = [e for e in events if e.kind in RESTORED and e.time >= start_ns]
    return changes, resets


def backfill(
    historian: Historian,
    plant: Plant,
    start_ns: int,
    end_ns: int,
    fit_h: float = 96.0,
    window_h: float = 6.0,
    progress: Callable[[float], None] | None = None,
) -> BackfillResult:
    """Run a fresh monitor over [start_ns, end_ns]; store and return its alerts."""
    result = replay(
        HealthMonitor(plant, fit_h=fit_h), historian, plant, start_ns, end_ns, window_h, progress
    )
    historian.append_events([a.to_event() for a in result.alerts])
    return result


def replay(
    monitor: HealthMonitor,
    historian: Historian,
    plant: Plant,
    start_ns: int,
    end_ns: int,
    window_h: float = 6.0,
    progress: Callable[[float], None] | None = None,
) -> BackfillResult:
    """Run `monitor` over the stored samples of [start_ns, end_ns], a window at a time, oldest
    first; return (not store) the alerts it raised, each with an id from (machine, time).

    `jayul run` warms its live monitor this way at start, so a plant whose history was imported
    (or that ran before) is judged from the first live sample instead of after `fit_h` hours
    of live production; the alerts of that span were raised when it was imported or lived."""
    result = BackfillResult()
    step = max(int(window_h * NS_PER_H), 1)
    changes, resets = stored_states(historian, plant, start_ns, end_ns)
    lo = start_ns
    while lo <= end_ns:
        hi = min(lo + step, end_ns + 1)
        batch = _window(historian, plant, lo, hi)
        result.windows += 1
        result.samples += len(batch)
        # the changes up to this window's end (those before the span: the state it opens in)
        now = [c for c in changes if c.time < hi]
        changes = changes[len(now) :]
        if len(batch) or now:
            for alert in monitor.update(batch, changes=now):
                stamped = alert.model_copy(update={"id": f"backfill-{alert.machine}-{alert.time}"})
                result.alerts.append(stamped)
        for event in resets:
            if lo <= event.time < hi and event.machine is not None:
                monitor.reset_machine(event.machine)
        if progress is not None:
            progress(min((hi - start_ns) / max(end_ns + 1 - start_ns, 1), 1.0))
        lo = hi
    return result
