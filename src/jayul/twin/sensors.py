"""The sensor model: signals of one machine over one tick, vectorised.

value = nominal + load_gain (load - 1) + ambient_gain ambient(t)
        + sum over failure modes of effect(h(t)) * change * (0.5 + 0.5 load)
        + noise N(0, 1)

Load is 0 while a machine stands (idle, maintenance, failed) and about 1 while it processes
(the order's own variation and the speed setpoint move it), so the detector must tell wear
from operating conditions. Readings outside the sensor's valid range are clipped and marked
BAD, as a real transmitter saturates.
"""

from __future__ import annotations

import math

import numpy as np
import numpy.typing as npt

from jayul.plant.model import MachineType
from jayul.records import Quality, Samples
from jayul.records.timebase import NS_PER_H
from jayul.twin.degradation import effect_level


def ambient(t_h: npt.NDArray[np.float64]) -> npt.NDArray[np.float64]:
    """Daily ambient swing in units of the plant's amplitude: coldest at 03:00, warmest 15:00."""
    return np.sin(2.0 * math.pi * (t_h - 9.0) / 24.0)


def sample_times(t0_h: float, t1_h: float, period_s: float) -> npt.NDArray[np.float64]:
    """Sampling instants in [t0, t1) on the signal's absolute grid (hours)."""
    step = period_s / 3600.0
    k0 = math.ceil(t0_h / step - 1e-9)
    k1 = math.ceil(t1_h / step - 1e-9)
    return np.arange(k0, k1, dtype=np.float64) * step


class Segment:
    """A stretch of one tick with constant load; health moves linearly from h0 to h1."""

    __slots__ = ("h0", "h1", "load", "t0", "t1")

    def __init__(self, t0: float, load: float, h0: list[float]) -> None:
        self.t0 = t0
        self.t1 = t0
        self.load = load
        self.h0 = h0
        self.h1 = h0


def machine_samples(
    machine_id: str,
    mtype: MachineType,
    segments: list[Segment],
    ambient_swing_c: float,
    start_ns: int,
    rng: np.random.Generator,
    period_override_s: float | None = None,
) -> Samples:
    """All samples of one machine over consecutive segments (one tick)."""
    t0_h, t1_h = segments[0].t0, segments[-1].t1
    seg_t0 = np.array([s.t0 for s in segments])
    seg_span = np.maximum(np.array([s.t1 - s.t0 for s in segments]), 1e-12)
    seg_load = np.array([s.load for s in segments])
    seg_h0 = np.array([s.h0 for s in segments]).reshape(len(segments), -1)
    seg_h1 = np.array([s.h1 for s in segments]).reshape(len(segments), -1)
    by_period: dict[float, list[int]] = {}
    for i, sig in enumerate(mtype.signals):
        by_period.setdefault(period_override_s or sig.period_s, []).append(i)
    batches = []
    for period, sig_idx in by_period.items():
        times = sample_times(t0_h, t1_h, period)
        if len(times) == 0:
            continue
        idx = np.clip(np.searchsorted(seg_t0, times, side="right") - 1, 0, len(segments) - 1)
        load = seg_load[idx]
        frac = np.clip((times - seg_t0[idx]) / seg_span[idx], 0.0, 1.0)
        amb = ambient(times) * ambient_swing_c
        n, k = len(times), len(sig_idx)
        values = np.empty((n, k))
        stress = 0.5 + 0.5 * load
        levels = []
        for mi, mode in enumerate(mtype.failure_modes):
            h = seg_h0[idx, mi] + (seg_h1[idx, mi] - seg_h0[idx, mi]) * frac
            levels.append(effect_level(mode, h) * stress)
        for j, si in enumerate(sig_idx):
            sig = mtype.signals[si]
            v = sig.nominal + sig.load_gain * (load - 1.0) + sig.ambient_gain * amb
            for mi, mode in enumerate(mtype.failure_modes):
                change = mode.effects.get(sig.id)
                if change:
                    v = v + change * levels[mi]
            values[:, j] = v
        noise = np.array([mtype.signals[si].noise for si in sig_idx])
        values += rng.standard_normal((n, k)) * noise
        low = np.array([mtype.signals[si].low for si in sig_idx])
        high = np.array([mtype.signals[si].high for si in sig_idx])
        bad = (values < low) | (values > high)
        values = np.clip(values, low, high)
        t_ns = start_ns + np.round(times * NS_PER_H).astype(np.int64)
        names = np.array([mtype.signals[si].id for si in sig_idx], dtype=object)
        quality = np.where(bad, np.uint8(Quality.BAD), np.uint8(Quality.GOOD)).astype(np.uint8)
        batches.append(
            Samples(
                time=np.repeat(t_ns, k),
                machine=np.full(n * k, machine_id, dtype=object),
                signal=np.tile(names, n),
                value=values.reshape(-1),
                quality=quality.reshape(-1),
            )
        )
    return Samples.concat(batches)
