"""The C-MAPSS trajectory comparison: the sensor model is recovered from sensors drawn from
known parameters, and the comparison passes a model that is the truth and fails one that is
not."""

from __future__ import annotations

import numpy as np
import pandas as pd

from jayul.bench.calibrate.cmapss_paths import (
    SensorModel,
    fit_sensor_model,
    real_checkpoints,
    simulated_checkpoints,
    trajectories,
)

TRUE = SensorModel(
    onset=0.4,
    nominal=np.array([10.0, -3.0]),
    change=np.array([2.0, -1.5]),
    noise=np.array([0.2, 0.1]),
    offset_cov=np.array([[0.09, 0.03], [0.03, 0.04]]),
)


def _engines(n: int, rng: np.random.Generator, model: SensorModel) -> pd.DataFrame:
    """Run-to-failure engines whose health is their fraction of life, sensors from `model`."""
    lives = rng.integers(120, 300, size=n)
    offsets = model.offsets(n, rng)
    rows = []
    for unit, (life, offset) in enumerate(zip(lives, offsets, strict=True), start=1):
        cycles = np.arange(1, life + 1)
        values = model.draw(cycles / life, rng, np.tile(offset, (life, 1)))
        rows.append(
            pd.DataFrame({"unit": unit, "cycle": cycles, "a": values[:, 0], "b": values[:, 1]})
        )
    return pd.concat(rows, ignore_index=True)


def test_sensor_model_recovered_from_known_parameters() -> None:
    frame = _engines(200, np.random.default_rng(3), TRUE)
    fit = fit_sensor_model(frame, ["a", "b"], engine_offsets=True)
    assert fit.onset == 0.4
    assert np.allclose(fit.nominal, TRUE.nominal, atol=0.06)
    assert np.allclose(fit.change, TRUE.change, rtol=0.05)
    assert np.allclose(fit.noise, TRUE.noise, rtol=0.05)
    assert fit.offset_cov is not None and TRUE.offset_cov is not None
    assert np.allclose(fit.offset_cov, TRUE.offset_cov, atol=0.02)
    # without offsets the engines' differences are read as noise: wider than the truth's
    plain = fit_sensor_model(frame, ["a", "b"])
    assert plain.offset_cov is None and np.all(plain.noise > 1.2 * TRUE.noise)


def _compare(model: SensorModel, seed: int) -> dict[str, object]:
    rng = np.random.default_rng(seed)
    held = _engines(60, rng, TRUE)
    weights = np.array([1.0, -1.0])

    def index(values: np.ndarray) -> np.ndarray:
        return np.asarray(values @ weights, dtype=np.float64)

    real = real_checkpoints(held, index(held[["a", "b"]].to_numpy()))
    lives = rng.integers(120, 300, size=4000).astype(float)

    def linear(rows: np.ndarray, cycles: np.ndarray) -> np.ndarray:
        return np.asarray(cycles / lives[rows], dtype=np.float64)

    return trajectories(real, simulated_checkpoints(linear, lives, model, index, rng))


def test_comparison_passes_the_truth_and_fails_a_model_without_engine_offsets() -> None:
    truth = _compare(TRUE, 5)
    assert truth["passes"], truth
    without = SensorModel(TRUE.onset, TRUE.nominal, TRUE.change, TRUE.noise)
    assert not _compare(without, 5)["passes"]
