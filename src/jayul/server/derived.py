"""Series the loop derives, kept in the historian beside the measured signals so the history
explorer can draw them under the signals for any range: each machine's anomaly indicator
(`score:anomaly`, 1 = alarm level) and the RUL of its soonest-failing mode (`rul:p10_h`,
`rul:p50_h`, `rul:p90_h`), one row per tick. Names with a colon never clash with a plant
file's signal ids (which are plain identifiers)."""

from __future__ import annotations

import math
from typing import TYPE_CHECKING

from jayul.records import Samples

if TYPE_CHECKING:
    from jayul.server.live import LiveState

SCORE = "score:anomaly"
RUL_SERIES = {"rul:p10_h": "low_h", "rul:p50_h": "median_h", "rul:p90_h": "high_h"}
DERIVED = (SCORE, *RUL_SERIES)


def derived_samples(state: LiveState) -> Samples:
    """This tick's derived rows for every machine (none for what is not known yet)."""
    now = state.snapshot.now_ns
    t: list[int] = []
    m: list[str] = []
    s: list[str] = []
    v: list[float] = []
    for machine in state.snapshot.machines:
        mid = machine["id"]
        rows: list[tuple[str, float | None]] = [(SCORE, machine["indicator"])]
        rul = state.rul(mid)
        if rul is not None:
            rows += [(name, rul.get(key)) for name, key in RUL_SERIES.items()]
        for name, value in rows:
            if value is not None and math.isfinite(value):
                t.append(now)
                m.append(mid)
                s.append(name)
                v.append(float(value))
    return Samples.build(t, m, s, v)
