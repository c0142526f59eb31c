"""Checking incoming samples against the plant, a batch at a time, with NumPy.

A sample is accepted when its machine and signal exist in the plant file, its value is finite
and inside the sensor's valid range [low, high], its quality is a `Quality` code, and its time
is neither too far in the future nor too old (`Limits`). Everything else becomes a dead letter
with the reason and the sample's raw JSON, so that bad input is kept, never silently dropped.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from jayul.connect.bindings import Limits
from jayul.historian.base import DeadLetter
from jayul.plant import Plant
from jayul.records import Samples, utc_now_ns
from jayul.records.timebase import NS_PER_S


def _iso(t: int) -> str:
    return str(np.datetime64(t, "ns"))[:19] + "Z"


@dataclass(frozen=True)
class Candidates:
    """Parsed but unchecked samples of one machine: signal names, times, values, qualities."""

    machine: str
    signal: list[str]
    time: npt.NDArray[np.int64]
    value: npt.NDArray[np.float64]
    quality: npt.NDArray[np.int64]

    def __len__(self) -> int:
        return len(self.signal)


class SignalTable:
    """Each machine's signals with their valid ranges, for vectorised checks."""

    def __init__(self, plant: Plant, limits: Limits) -> None:
        self.limits = limits
        self.index: dict[str, dict[str, int]] = {}
        lows: list[float] = []
        highs: list[float] = []
        for m in plant.machines:
            table = {}
            for s in plant.machine_type(m.id).signals:
                table[s.id] = len(lows)
                # A sensor range the plant file leaves out is not checked.
                lows.append(s.low if s.low is not None else -math.inf)
                highs.append(s.high if s.high is not None else math.inf)
            self.index[m.id] = table
        self.low = np.asarray(lows, dtype=np.float64)
        self.high = np.asarray(highs, dtype=np.float64)

    def knows(self, machine: str) -> bool:
        return machine in self.index

    def check(
        self, c: Candidates, source: str, now_ns: int | None = None
    ) -> tuple[Samples, list[DeadLetter]]:
        """The valid rows of `c` as Samples, and one dead letter per invalid row."""
        n = len(c)
        now = utc_now_ns() if now_ns is None else now_ns
        table = self.index.get(c.machine)
        if table is None:
            reasons = np.full(n, f"unknown machine {c.machine!r}", dtype=object)
            return Samples.empty(), self._letters(c, np.ones(n, bool), reasons, source, now)
        idx = np.fromiter((table.get(s, -1) for s in c.signal), dtype=np.int64, count=n)
        known = idx >= 0
        safe = np.where(known, idx, 0)
        v = c.value
        finite = np.isfinite(v)
        in_range = known & finite & (v >= self.low[safe]) & (v <= self.high[safe])
        good_q = (c.quality >= 0) & (c.quality <= 2)
        future = np.zeros(n, dtype=bool)
        old = np.zeros(n, dtype=bool)
        if self.limits.max_future_s is not None:
            future = c.time > now + int(self.limits.max_future_s * NS_PER_S)
        if self.limits.max_age_s is not None:
            old = c.time < now - int(self.limits.max_age_s * NS_PER_S)
        t_ok = ~(future | old)
        ok = known & in_range & good_q & t_ok
        if ok.all():
            return self._samples(c, slice(None)), []
        reasons = np.full(n, "", dtype=object)
        reasons[~good_q] = "quality is not 0, 1 or 2"
        for i in np.flatnonzero(known & finite & ~in_range):
            j = safe[i]
            reasons[i] = (
                f"value outside the signal's valid range: {c.signal[i]} = {v[i]:g} "
                f"not in [{self.low[j]:g}, {self.high[j]:g}]"
            )
        reasons[~finite] = "value is not finite"
        for i in np.flatnonzero(~t_ok):
            reasons[i] = self._time_reason(int(c.time[i]), now, bool(future[i]))
        for i in np.flatnonzero(~known):
            reasons[i] = f"machine {c.machine!r} has no signal {c.signal[i]!r}"
        keep = np.flatnonzero(ok)
        return self._samples(c, keep), self._letters(c, ~ok, reasons, source, now)

    def _time_reason(self, t: int, now: int, future: bool) -> str:
        """Why a time was refused, and which epoch unit it looks like when not nanoseconds."""
        if future:
            limit = f"too far in the future (max_future_s={self.limits.max_future_s:g})"
        else:
            limit = f"too old (max_age_s={self.limits.max_age_s:g})"
        reason = f"time {t} ns ({_iso(t)}) is {limit}"
        for per, unit in ((10**3, "microseconds"), (10**6, "milliseconds"), (10**9, "seconds")):
            scaled = t * per
            if abs(now - scaled) < 50 * 365 * 86_400 * NS_PER_S:
                return (
                    f"{reason}; as {unit} since the epoch it would be {_iso(scaled)}: "
                    f"the time field looks like {unit}, not nanoseconds (declare time_unit)"
                )
        return reason

    @staticmethod
    def _samples(c: Candidates, rows: slice | npt.NDArray[np.intp]) -> Samples:
        signal = np.asarray(c.signal, dtype=object)[rows]
        return Samples.build(
            c.time[rows], c.machine, signal, c.value[rows], c.quality[rows].astype(np.uint8)
        )

    @staticmethod
    def _letters(
        c: Candidates,
        bad: npt.NDArray[np.bool_],
        reasons: npt.NDArray[np.object_],
        source: str,
        now: int,
    ) -> list[DeadLetter]:
        out = []
        for i in np.flatnonzero(bad):
            raw = {
                "machine": c.machine,
                "signal": c.signal[i],
                "t": int(c.time[i]),
                "v": float(c.value[i]),
                "q": int(c.quality[i]),
            }
            out.append(DeadLetter(now, source, str(reasons[i]), json.dumps(raw).encode()))
        return out
