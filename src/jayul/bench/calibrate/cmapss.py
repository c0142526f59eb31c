"""`jayul bench calibrate-cmapss`: the degradation model on real run-to-failure data.

C-MAPSS FD001's 100 training engines run to failure. They are split by engine id (1-50 and
51-100). On the first half: a health index is fitted (least squares of the informative
sensors on the fraction of life used, 0 new to 1 failed), and the twin's degradation process
(gamma, Wiener or exponential by AIC, `calibrate.lifetimes.fit_process`) is fitted to the
lives in cycles. The calibrated process then draws lives and health paths; they are compared
with the second half's: lives by a two-sample Kolmogorov-Smirnov test and the median, health
trajectories through the twin's sensor model at fractions of life and at fixed cycles
(`cmapss_paths`). Peer: a plain Weibull lifetime fit (scipy) of the same first half, its
health linear in the fraction of life.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt
import pandas as pd
from scipy import stats

from jayul.bench.calibrate.cmapss_paths import (
    fit_sensor_model,
    real_checkpoints,
    simulated_checkpoints,
    trajectories,
)
from jayul.bench.cmapss.data import read_runs
from jayul.calibrate.exposure import Run
from jayul.calibrate.lifetimes import fit_process

# sensors that move with wear in FD001 (the others are constant or pure noise there)
SENSORS = [
    "s2",
    "s3",
    "s4",
    "s7",
    "s8",
    "s9",
    "s11",
    "s12",
    "s13",
    "s14",
    "s15",
    "s17",
    "s20",
    "s21",
]
DRAWS = 4000


def _lives(frame: pd.DataFrame) -> npt.NDArray[np.float64]:
    return frame.groupby("unit")["cycle"].max().to_numpy(np.float64)


def _health_model(frame: pd.DataFrame) -> tuple[npt.NDArray[np.float64], float]:
    life = frame.groupby("unit")["cycle"].transform("max")
    y = (frame["cycle"] / life).to_numpy()
    x = np.column_stack([np.ones(len(frame)), frame[SENSORS].to_numpy()])
    beta, *_ = np.linalg.lstsq(x, y, rcond=None)
    return beta, 0.0


def _health(frame: pd.DataFrame, beta: npt.NDArray[np.float64]) -> npt.NDArray[np.float64]:
    x = np.column_stack([np.ones(len(frame)), frame[SENSORS].to_numpy()])
    return np.asarray(x @ beta, dtype=np.float64)


def _simulate_paths(
    family: str, mu: float, k: float, n: int, horizon: int, rng: np.random.Generator
) -> npt.NDArray[np.float64]:
    """Health paths (n, horizon) of the fitted process, one step per cycle."""
    if family == "wiener":
        inc = mu + mu / np.sqrt(k) * rng.standard_normal((n, horizon))
    elif family == "gamma":
        inc = rng.gamma(k, mu / k, size=(n, horizon))
    else:  # exponential: memoryless jump to failure, no visible path
        inc = np.zeros((n, horizon))
        jump = rng.exponential(1 / mu, size=n).astype(int)
        inc[np.arange(n), np.minimum(jump, horizon - 1)] = 1.0
    return np.cumsum(inc, axis=1)


def bench_calibrate_cmapss(data_dir: Path, seed: int = 0) -> dict[str, Any]:
    runs = read_runs(data_dir / "train_FD001.txt")
    fit_half = runs[runs["unit"] <= 50]
    held_half = runs[runs["unit"] > 50]
    lives_fit, lives_held = _lives(fit_half), _lives(held_half)
    process = fit_process(
        [Run(str(i), "engine", 0, 0, float(v), True) for i, v in enumerate(lives_fit)]
    )
    if process is None:
        raise ValueError("too few engines to fit")
    mu, k = process.wear_per_h.value, process.shape_per_h.value
    rng = np.random.default_rng(seed)
    horizon = int(lives_fit.max() * 2.5)
    paths = _simulate_paths(process.family, mu, k, DRAWS, horizon, rng)
    crossed = paths >= 1.0
    sim_lives = np.where(crossed.any(axis=1), crossed.argmax(axis=1) + 1, horizon).astype(float)
    shape, _, scale = stats.weibull_min.fit(lives_fit, floc=0)
    weibull_lives = stats.weibull_min.rvs(shape, scale=scale, size=DRAWS, random_state=rng)

    def compare(sim: npt.NDArray[np.float64]) -> dict[str, float]:
        ks = stats.ks_2samp(sim, lives_held)
        med_sim, med_real = float(np.median(sim)), float(np.median(lives_held))
        return {
            "ks_statistic": round(float(ks.statistic), 4),
            "ks_p": round(float(ks.pvalue), 4),
            "median_life": round(med_sim, 1),
            "median_rel_error": round(abs(med_sim - med_real) / med_real, 4),
        }

    beta, _ = _health_model(fit_half)

    def index(values: npt.NDArray[np.float64]) -> npt.NDArray[np.float64]:
        return np.asarray(beta[0] + values @ beta[1:], dtype=np.float64)

    real = real_checkpoints(held_half, _health(held_half, beta))

    def on_path(rows: npt.NDArray[Any], cycles: npt.NDArray[Any]) -> npt.NDArray[np.float64]:
        return np.asarray(paths[rows, np.minimum(cycles, horizon) - 1], dtype=np.float64)

    def linear(rows: npt.NDArray[Any], cycles: npt.NDArray[Any]) -> npt.NDArray[np.float64]:
        return np.asarray(cycles / weibull_lives[rows], dtype=np.float64)

    rounds: dict[str, Any] = {}
    onset = 0.0
    for name, offsets in (("round 1", False), ("round 2: engine offsets", True)):
        sensors = fit_sensor_model(fit_half, SENSORS, engine_offsets=offsets)
        onset = sensors.onset
        rounds[name] = {
            "process": trajectories(
                real, simulated_checkpoints(on_path, sim_lives, sensors, index, rng)
            ),
            "weibull_peer": trajectories(
                real, simulated_checkpoints(linear, weibull_lives, sensors, index, rng)
            ),
        }
    return {
        "split": "engines 1-50 fit, 51-100 held out",
        "held_out_median_life": float(np.median(lives_held)),
        "process": {
            "family": process.family,
            "wear_per_cycle": mu,
            "shape_per_cycle": k,
            "aic": {f: round(a, 2) for f, a in process.aic.items()},
            **compare(sim_lives),
        },
        "weibull_peer": {
            "shape": round(shape, 4),
            "scale": round(scale, 2),
            **compare(weibull_lives),
        },
        "sensor_model": {"onset": onset, "sensors": SENSORS},
        "trajectories": rounds,
    }
