"""How far a calibrated twin can be trusted: re-simulate held-out history and compare.

The latest part of the window is held out; the twin is calibrated on the rest, then the
held-out period is simulated many times (fresh seeds, the real maintenance requests and
setpoint changes replayed at their real times, a warm-up before it so that machines enter
it worn as in reality) and the real failures, downtime, OEE, throughput and each signal's
distribution are compared with the simulated spread. The verdict passes when every KPI falls
inside the simulated 95 % range (widened by a tolerance for a small number of runs) and most
signals' distributions match (Kolmogorov-Smirnov distance).
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

import numpy as np
import pandas as pd
from scipy import stats

from jayul.calibrate.fit import Calibration, calibrate
from jayul.calibrate.history import TIE_ORDER
from jayul.historian import Historian
from jayul.plant.model import Plant
from jayul.records import Event, EventKind
from jayul.records.timebase import NS_PER_H, to_ns
from jayul.twin.factory import Twin

KPIS = ("failures", "downtime_h", "oee", "throughput_per_day")
WARMUP_H = 1500.0  # long enough for wear to reach its usual state between resets
SIGNAL_PERIOD_S = 3600.0
KS_PASS = 0.15  # largest Kolmogorov-Smirnov distance of a signal that still matches
SIGNALS_PASS = 0.8  # share of signals that must match


@dataclass
class Backtest:
    split_ns: int
    end_ns: int
    runs: int
    real: dict[str, float]
    simulated: dict[str, list[float]]
    signals: dict[str, dict[str, float]]
    checks: dict[str, bool] = field(default_factory=dict)

    @property
    def passed(self) -> bool:
        return bool(self.checks) and all(self.checks.values())

    @property
    def confidence(self) -> float:
        """Share of the back-test's checks that passed (KPIs, and signals as one check)."""
        return sum(self.checks.values()) / len(self.checks) if self.checks else 0.0

    def as_dict(self) -> dict[str, Any]:
        kpis = {}
        for k in KPIS:
            sims = np.asarray(self.simulated[k])
            lo, med, hi = np.percentile(sims, [2.5, 50, 97.5]) if len(sims) else (0, 0, 0)
            kpis[k] = {
                "real": round(self.real[k], 4),
                "simulated_median": round(float(med), 4),
                "simulated_95": [round(float(lo), 4), round(float(hi), 4)],
                "passed": self.checks.get(k, False),
            }
        return {
            "verdict": "passes" if self.passed else "fails",
            "confidence": round(self.confidence, 3),
            "holdout_ns": [self.split_ns, self.end_ns],
            "runs": self.runs,
            "kpis": kpis,
            "signals": self.signals,
        }


def event_kpis(plant: Plant, events: list[Event], start_ns: int, end_ns: int) -> dict[str, float]:
    """Failures, downtime, OEE and throughput in [start, end) from events alone, the same way
    for the real plant and the twin (intervals clipped to the window)."""
    hours = (end_ns - start_ns) / NS_PER_H
    n = len(plant.machines)
    down = 0.0
    busy = 0.0
    done = scrapped = failures = 0
    since: dict[tuple[str, str], int] = {}
    for ev in sorted(events, key=lambda e: (e.time, TIE_ORDER.get(e.kind, 0))):
        m = ev.machine or ""
        k = ev.kind
        if k is EventKind.FAILURE:
            if start_ns <= ev.time < end_ns:
                failures += 1
            since[(m, "down")] = ev.time
        elif k is EventKind.MAINTENANCE_START:
            since[(m, "down")] = ev.time
        elif k is EventKind.OPERATION_START:
            since[(m, "op")] = ev.time
        elif k in (EventKind.REPAIR_END, EventKind.MAINTENANCE_END):
            t0 = since.pop((m, "down"), None)
            if t0 is not None:
                down += _overlap(t0, ev.time, start_ns, end_ns)
        elif k is EventKind.OPERATION_END:
            t0 = since.pop((m, "op"), None)
            if t0 is not None:
                busy += _overlap(t0, ev.time, start_ns, end_ns)
            if start_ns <= ev.time < end_ns:
                done += 1
                scrapped += bool(ev.payload.get("scrap", False))
    for (_, what), t0 in since.items():  # still down at the end
        if what == "down":
            down += _overlap(t0, end_ns, start_ns, end_ns)
    planned = hours * n
    availability = 1.0 - down / planned if planned > 0 else 1.0
    available = planned - down
    performance = min(busy / available, 1.0) if available > 0 else 0.0
    quality = (done - scrapped) / done if done else 1.0
    return {
        "failures": float(failures),
        "downtime_h": down,
        "oee": availability * performance * quality,
        "throughput_per_day": (done - scrapped) / (hours / 24.0) if hours > 0 else 0.0,
    }


def _overlap(t0: int, t1: int, start: int, end: int) -> float:
    return max(0.0, (min(t1, end) - max(t0, start)) / NS_PER_H)


def _replay(events: list[Event]) -> list[tuple[int, str, str, float]]:
    """The real plant's maintenance requests and setpoint changes: (time, machine, what, value)."""
    out: list[tuple[int, str, str, float]] = []
    for ev in events:
        if ev.machine is None:
            continue
        if ev.kind is EventKind.MAINTENANCE_START:
            out.append((ev.time, ev.machine, str(ev.payload.get("action", "")), 0.0))
        elif ev.kind is EventKind.SETPOINT:
            value = float(ev.payload.get("value", 0.0))
            out.append((ev.time, ev.machine, "=" + str(ev.payload.get("setpoint", "")), value))
    return out


def simulate_window(
    plant: Plant,
    seed: int,
    sim_start_ns: int,
    split_ns: int,
    end_ns: int,
    replay: list[tuple[int, str, str, float]],
) -> tuple[list[Event], pd.DataFrame]:
    """One simulated future of [split, end) after a warm-up from `sim_start_ns`; its events
    and (hourly) samples of the held-out part."""
    shifted = plant.model_copy(
        update={
            "start": plant.start + timedelta(hours=(sim_start_ns - to_ns(plant.start)) / NS_PER_H)
        }
    )
    twin = Twin(shifted, seed=seed, signals=False, signal_period_s=SIGNAL_PERIOD_S)

    def to_h(t: int) -> float:
        return (t - sim_start_ns) / NS_PER_H

    split_h, end_h = to_h(split_ns), to_h(end_ns)
    samples = []
    for t, machine, what, value in replay:
        if not sim_start_ns <= t < end_ns:
            continue
        if to_h(t) >= split_h and not twin.signals:
            twin.run_until(split_h)
            twin.drain_events()
            twin.start_signals()
        twin.run_until(to_h(t))
        if what.startswith("="):
            # a setpoint the calibrated plant refuses is skipped, not fatal
            with contextlib.suppress(ValueError, KeyError):
                twin.set_setpoint(machine, what[1:], value)
        else:
            with contextlib.suppress(ValueError):
                twin.request_maintenance(machine, what)
        if twin.signals:
            samples.append(twin.drain_samples())
    if not twin.signals:
        twin.run_until(split_h)
        twin.drain_events()
        twin.start_signals()
    twin.run_until(end_h)
    samples.append(twin.drain_samples())
    events = twin.drain_events()
    frame = pd.DataFrame(
        {
            "machine": np.concatenate([s.machine for s in samples]),
            "signal": np.concatenate([s.signal for s in samples]),
            "value": np.concatenate([s.value for s in samples]),
        }
    )
    return events, frame


def run_backtest(
    plant: Plant,
    historian: Historian,
    start_ns: int,
    end_ns: int,
    holdout: float = 0.25,
    runs: int = 10,
    progress: Callable[[str], None] | None = None,
) -> tuple[Calibration, Backtest]:
    """Calibrate on the window's first part, re-simulate the held-out rest `runs` times."""
    step = progress or (lambda _m: None)
    day_ns = 24 * NS_PER_H
    split_ns = start_ns + int((end_ns - start_ns) * (1 - holdout)) // day_ns * day_ns
    cal = calibrate(plant, historian, start_ns, split_ns, progress=step)
    origin = to_ns(plant.start)
    warm = max(start_ns, split_ns - int(WARMUP_H * NS_PER_H))
    sim_start = origin + (warm - origin) // day_ns * day_ns  # whole days: the ambient's phase
    events = historian.query_events(sim_start, end_ns)
    real = event_kpis(plant, events, split_ns, end_ns)
    replay = _replay(events)
    sims: dict[str, list[float]] = {k: [] for k in KPIS}
    pooled: list[pd.DataFrame] = []
    for r in range(runs):
        ev, frame = simulate_window(cal.plant, 1000 + r, sim_start, split_ns, end_ns, replay)
        for k, v in event_kpis(cal.plant, ev, split_ns, end_ns).items():
            sims[k].append(v)
        pooled.append(frame)
        step("back-test")
    signals = _signal_check(plant, historian, pd.concat(pooled), split_ns, end_ns)
    checks = {}
    for k in KPIS:
        lo, hi = np.percentile(sims[k], [2.5, 97.5])
        tol = 0.05 * max(abs(float(np.median(sims[k]))), 1e-9) + (1.0 if k == "failures" else 0.0)
        checks[k] = bool(lo - tol <= real[k] <= hi + tol)
    matched = [v["ks"] <= KS_PASS for v in signals.values()]
    checks["signals"] = bool(matched) and float(np.mean(matched)) >= SIGNALS_PASS
    return cal, Backtest(split_ns, end_ns, runs, real, sims, signals, checks)


def _signal_check(
    plant: Plant, historian: Historian, sim: pd.DataFrame, start_ns: int, end_ns: int
) -> dict[str, dict[str, float]]:
    """Per machine type and signal: real and simulated medians and the KS distance."""
    out: dict[str, dict[str, float]] = {}
    step_ns = int(SIGNAL_PERIOD_S * 1e9)
    for type_name, mt in plant.machine_types.items():
        ids = [m.id for m in plant.machines if m.type == type_name]
        real: dict[str, list[np.ndarray]] = {s.id: [] for s in mt.signals}
        for mid in ids:
            frame = historian.query_samples(mid, start_ns, end_ns)
            frame = frame[(frame["time"] - start_ns) % step_ns < step_ns // 60 + 1]  # hourly
            for s in mt.signals:
                real[s.id].append(frame.loc[frame["signal"] == s.id, "value"].to_numpy())
        sim_t = sim[sim["machine"].isin(ids)]
        for s in mt.signals:
            r = np.concatenate(real[s.id]) if real[s.id] else np.array([])
            v = sim_t.loc[sim_t["signal"] == s.id, "value"].to_numpy(np.float64)
            if len(r) < 10 or len(v) < 10:
                continue
            ks = float(stats.ks_2samp(r, v).statistic)
            out[f"{type_name}/{s.id}"] = {
                "real_median": round(float(np.median(r)), 4),
                "simulated_median": round(float(np.median(v)), 4),
                "ks": round(ks, 4),
            }
    return out
