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

from jayul.plant.model import MachineType, modelled
from jayul.records import Quality, Samples
from jayul.records.timebase import NS_PER_H


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


class SensorModel:
    """A machine type's signals as arrays, computed once: the per-tick work is a few matrix
    operations whatever the number of signals."""

    def __init__(self, mtype: MachineType, period_override_s: float | None = None) -> None:
        sigs = mtype.signals
        self.modes = mtype.failure_modes
        self.names = np.array([s.id for s in sigs], dtype=object)
        self.nominal = np.array([modelled(s.nominal, f"signal {s.id!r}: nominal") for s in sigs])
        self.load_gain = np.array([s.load_gain for s in sigs])
        self.ambient_gain = np.array([s.ambient_gain for s in sigs])
        self.noise = np.array([modelled(s.noise, f"signal {s.id!r}: noise") for s in sigs])
        # A sensor range the plant file leaves out: readings are not clipped.
        self.low = np.array([s.low if s.low is not None else -np.inf for s in sigs])
        self.high = np.array([s.high if s.high is not None else np.inf for s in sigs])
        # change of each signal at full effect of each failure mode: (modes, signals)
        self.effects = np.array([[f.effects.get(s.id, 0.0) for s in sigs] for f in self.modes])
        self.onset = np.array([f.onset for f in self.modes])
        periods = {period_override_s or s.period_s for s in sigs}
        self.groups = [
            (p, np.array([i for i, s in enumerate(sigs) if (period_override_s or s.period_s) == p]))
            for p in sorted(periods)
        ]


def machine_samples(
    machine_id: str,
    model: SensorModel,
    segments: list[Segment],
    ambient_swing_c: float,
    start_ns: int,
    rng: np.random.Generator,
) -> Samples:
    """All samples of one machine over consecutive segments (one tick)."""
    t0_h, t1_h = segments[0].t0, segments[-1].t1
    seg_t0 = np.array([s.t0 for s in segments])
    seg_span = np.maximum(np.array([s.t1 - s.t0 for s in segments]), 1e-12)
    seg_load = np.array([s.load for s in segments])
    seg_h0 = np.array([s.h0 for s in segments]).reshape(len(segments), -1)
    seg_h1 = np.array([s.h1 for s in segments]).reshape(len(segments), -1)
    batches = []
    for period, cols in model.groups:
        times = sample_times(t0_h, t1_h, period)
        if len(times) == 0:
            continue
        idx = np.searchsorted(seg_t0, times, side="right") - 1
        np.clip(idx, 0, len(segments) - 1, out=idx)
        load = seg_load[idx]
        frac = np.clip((times - seg_t0[idx]) / seg_span[idx], 0.0, 1.0)
        health = seg_h0[idx] + (seg_h1[idx] - seg_h0[idx]) * frac[:, None]  # (n, modes)
        visible = np.clip((health - model.onset) / (1.0 - model.onset), 0.0, 1.0)
        levels = visible * visible * (0.5 + 0.5 * load)[:, None]  # see degradation.effect_level
        amb = ambient(times) * ambient_swing_c
        values = (
            model.nominal[cols]
            + np.outer(load - 1.0, model.load_gain[cols])
            + np.outer(amb, model.ambient_gain[cols])
            + levels @ model.effects[:, cols]
            + rng.standard_normal((len(times), len(cols))) * model.noise[cols]
        )
        low, high = model.low[cols], model.high[cols]
        bad = (values < low) | (values > high)
        np.clip(values, low, high, out=values)
        n, k = values.shape
        t_ns = start_ns + np.round(times * NS_PER_H).astype(np.int64)
        batches.append(
            Samples(
                time=np.repeat(t_ns, k),
                machine=np.full(n * k, machine_id, dtype=object),
                signal=np.tile(model.names[cols], n),
                value=values.reshape(-1),
                quality=(bad.reshape(-1) * np.uint8(Quality.BAD)).astype(np.uint8),
            )
        )
    return batches[0] if len(batches) == 1 else Samples.concat(batches)
