"""Health-index trajectories of C-MAPSS FD001 against the calibrated twin's.

The twin's observation model is calibrated on the fitting half of the engines: each sensor is
a nominal plus a change times the visible wear max(0, (h - onset) / (1 - onset))^2 (the
twin's `effect_level`) plus Gaussian noise, with h the engine's fraction of life used (the
mean of a Wiener path pinned at 0 and at failure). The health index, a linear map of the
sensors fitted on the same half, is read off the held-out engines' sensors and off sensors
simulated from the calibrated model, at fixed fractions of each engine's life and at fixed
cycles. Per checkpoint: the two-sample KS p and the share of held-out engines inside the
simulated 5-95 % band. The criterion is in docs/benchmarks/calibrate.md.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt
import pandas as pd
from scipy import stats

Array = npt.NDArray[np.float64]

FRACTIONS = (0.2, 0.4, 0.6, 0.8, 1.0)
CYCLES = (50, 100, 150)
ONSETS = np.round(np.arange(0.0, 0.91, 0.05), 2)
KS_ALPHA = 0.05 / (len(FRACTIONS) + len(CYCLES))  # Bonferroni over the checkpoints
COVERAGE = (0.80, 1.00)


def visible(health: Array, onset: float) -> Array:
    x = np.clip((health - onset) / (1.0 - onset), 0.0, 1.0)
    return np.asarray(x * x, dtype=np.float64)


@dataclass(frozen=True)
class SensorModel:
    """sensor = nominal + engine offset + change * visible(h, onset) + noise * N(0, 1), per
    sensor; the engine offsets (round 2) are drawn once per engine from N(0, offset_cov)."""

    onset: float
    nominal: Array
    change: Array
    noise: Array
    offset_cov: Array | None = None

    def offsets(self, engines: int, rng: np.random.Generator) -> Array:
        if self.offset_cov is None:
            return np.zeros((engines, len(self.nominal)))
        mean = np.zeros(len(self.nominal))
        return np.asarray(rng.multivariate_normal(mean, self.offset_cov, engines), np.float64)

    def draw(self, health: Array, rng: np.random.Generator, offsets: Array) -> Array:
        """Sensors (len(health), n_sensors) at the given health levels, each row with its
        engine's offset (a row of `offsets`)."""
        x = visible(health, self.onset)[:, None]
        eps = rng.standard_normal((len(health), len(self.nominal)))
        level = self.nominal + offsets + self.change * x
        return np.asarray(level + self.noise * eps, dtype=np.float64)


def fraction_used(frame: pd.DataFrame) -> Array:
    life = frame.groupby("unit")["cycle"].transform("max")
    return np.asarray((frame["cycle"] / life).to_numpy(), dtype=np.float64)


def fit_sensor_model(
    frame: pd.DataFrame, sensors: list[str], engine_offsets: bool = False
) -> SensorModel:
    """One onset for all sensors (lowest squared error of the standardized sensors on a
    grid), nominal and change per sensor by least squares, noise from the residuals; with
    `engine_offsets`, the covariance of the engines' mean residuals, and the noise from the
    residuals within each engine."""
    y = frame[sensors].to_numpy(np.float64)
    y_std = (y - y.mean(axis=0)) / y.std(axis=0)
    h = fraction_used(frame)
    best: tuple[float, float] | None = None
    for onset in ONSETS:
        x = np.column_stack([np.ones(len(h)), visible(h, float(onset))])
        _, sse, *_ = np.linalg.lstsq(x, y_std, rcond=None)
        total = float(np.sum(sse))
        if best is None or total < best[1]:
            best = (float(onset), total)
    assert best is not None
    onset = best[0]
    x = np.column_stack([np.ones(len(h)), visible(h, onset)])
    coef, *_ = np.linalg.lstsq(x, y, rcond=None)
    residuals = y - x @ coef
    if not engine_offsets:
        return SensorModel(onset, coef[0], coef[1], residuals.std(axis=0, ddof=2))
    by_engine = pd.DataFrame(residuals).groupby(frame["unit"].to_numpy())
    means = by_engine.transform("mean").to_numpy()
    within = (residuals - means).std(axis=0, ddof=2)
    cov = np.cov(by_engine.mean().to_numpy(), rowvar=False)
    return SensorModel(onset, coef[0], coef[1], within, np.asarray(cov, np.float64))


def _compare(real: Array, simulated: Array) -> dict[str, Any]:
    low, high = np.quantile(simulated, [0.05, 0.95])
    coverage = float(np.mean((real >= low) & (real <= high)))
    p = float(stats.ks_2samp(real, simulated).pvalue)
    return {
        "engines": len(real),
        "real_median": round(float(np.median(real)), 4),
        "simulated_median": round(float(np.median(simulated)), 4),
        "ks_p": round(p, 4),
        "coverage_5_95": round(coverage, 3),
        "passes": p >= KS_ALPHA and COVERAGE[0] <= coverage <= COVERAGE[1],
    }


def real_checkpoints(held: pd.DataFrame, hi: Array) -> dict[str, Array]:
    """The held-out engines' index at each checkpoint."""
    cycle = held["cycle"].to_numpy()
    life = held.groupby("unit")["cycle"].transform("max").to_numpy()
    out: dict[str, Array] = {}
    for f in FRACTIONS:
        out[f"fraction {f:g}"] = hi[cycle == np.maximum(np.ceil(f * life), 1)]
    for c in CYCLES:
        out[f"cycle {c}"] = hi[cycle == c]
    return out


def simulated_checkpoints(
    health_at: Any, lives: Array, sensors: SensorModel, index: Any, rng: np.random.Generator
) -> dict[str, Array]:
    """The simulated engines' index at each checkpoint; `health_at(rows, cycles)` is each
    simulated engine's health at a cycle (1-based), `index(sensors)` the health index."""
    rows = np.arange(len(lives))
    offsets = sensors.offsets(len(lives), rng)
    out: dict[str, Array] = {}
    for f in FRACTIONS:
        cycles = np.maximum(np.ceil(f * lives), 1).astype(int)
        out[f"fraction {f:g}"] = index(sensors.draw(health_at(rows, cycles), rng, offsets))
    for c in CYCLES:
        alive = rows[lives >= c]
        health = health_at(alive, np.full(len(alive), c))
        out[f"cycle {c}"] = index(sensors.draw(health, rng, offsets[alive]))
    return out


def trajectories(real: dict[str, Array], simulated: dict[str, Array]) -> dict[str, Any]:
    per = {k: _compare(real[k], simulated[k]) for k in real if len(real[k]) >= 5}
    return {
        "checkpoints": per,
        "passes": all(v["passes"] for v in per.values()),
        "criterion": f"KS p >= {KS_ALPHA:.5f} and 5-95 % coverage in {COVERAGE} everywhere",
    }
